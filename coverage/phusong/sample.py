"""A SYNTHETIC 5G network for Hà Nội, generated reproducibly.

No real list of Hà Nội's 5G sites is public (docs/sources.md: only national counts
are reported), so the project ships a *synthetic* network to demonstrate and
test the tool. Everything it produces is labelled SYNTHETIC; it says nothing
about the real networks.

How it is built (:func:`generate_sample_network`):

- Operators on their real 5G bands (:data:`phusong.operators.SPECTRUM_5G`):
  Viettel n41 (plus n28 700 MHz sites in sparse outer communes), VinaPhone
  n78, MobiFone n77.
- Sites follow population: each operator has a number of *people per site*
  (Viettel the densest network), so site density follows the ward's
  population density (official 2025 populations / equal-area ward areas). In
  the densest core phường this gives inter-site distances of about 300-600 m.
- Outer communes (xã) are served less: each operator deploys in a xã with a
  probability that falls with its population density, and the sparsest xã get
  no 5G at all — the 99 % population goal is visibly unmet.
- Sites are placed on a jittered hexagonal lattice inside their ward (the
  regular layout radio planners aim for), in a LAEA projection; every point is
  checked to lie inside its ward with :func:`shapely.contains_xy`.
- Three sectors per site (azimuths 0/120/240° turned by a random site angle,
  ±5° jitter), 65° beamwidth, heights 20-35 m in phường and 30-45 m in xã,
  EIRP about the band default (±1 dB), downtilt 4-10° urban / 2-6° rural.
- On-air dates (:func:`with_on_air_dates`, also SYNTHETIC): every site gets
  one date between the commercial launch (15 Oct 2024, docs/sources.md) and
  :data:`ROLLOUT_END`, the city centre first and the outskirts last, the
  rollout slowing down over time; Viettel's 700 MHz (n28) sites only after
  its 700 MHz award (May 2025). They let ``phusong progress`` and
  ``phusong audit --as-of`` work on the sample out of the box.
"""

from __future__ import annotations

import gzip
import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phusong import operators as ops
from phusong.geo import area_km2, equal_area_crs
from phusong.io.files import atomic_write_bytes, atomic_write_text
from phusong.schema import SITE_COLUMNS, WGS84

log = logging.getLogger(__name__)

#: Default seed (the goal year).
DEFAULT_SEED = 2030

#: People per site in each operator's network (sets the site density).
PEOPLE_PER_SITE: dict[str, float] = {"Viettel": 6500.0, "VinaPhone": 10000.0, "MobiFone": 13500.0}

#: Site id prefix per operator.
SITE_PREFIX: dict[str, str] = {"Viettel": "VTL", "VinaPhone": "VNP", "MobiFone": "MBF"}

#: Population density [people/km²] at or above which every operator deploys in
#: a commune; below it the probability falls linearly to 0 at :data:`SPARSE_DENSITY`.
FULL_DEPLOYMENT_DENSITY = 2500.0
#: Density [people/km²] below which a commune gets no 5G from anyone.
SPARSE_DENSITY = 950.0
#: Communes below this density get Viettel's 700 MHz (n28) layer [people/km²].
N28_DENSITY = 1800.0
#: Probability that Viettel's n28 layer serves a commune below :data:`N28_DENSITY`
#: (and in one below :data:`SPARSE_DENSITY`).
N28_PROBABILITY = 0.7
N28_SPARSE_PROBABILITY = 0.25
#: People per n28 site where it is deployed.
PEOPLE_PER_N28_SITE = 18000.0

#: Columns of the shipped operator sheet.
SHEET_COLUMNS = (
    "site_id",
    "cell_id",
    "operator",
    "mcc",
    "mnc",
    "radio",
    "lat",
    "lon",
    "azimuth_deg",
    "beamwidth_deg",
    "tilt_deg",
    "height_m",
    "eirp_dbm",
    "band",
    "frequency_mhz",
    "bandwidth_mhz",
)

#: File names written by :func:`write_sample`.
SHEET_FILE = "hanoi_5g_sites_SYNTHETIC.csv"
OPENCELLID_FILE = "hanoi_5g_opencellid_SYNTHETIC.csv.gz"

# --- issue #15: SYNTHETIC on-air dates -----------------------------------------
#: Column of the shipped sheet holding the (SYNTHETIC) on-air date, after
#: :data:`SHEET_COLUMNS`.
SHEET_DATE_COLUMN = "on_air"
#: Commercial 5G launch in Việt Nam (Viettel first): the first on-air date.
LAUNCH_DATE = pd.Timestamp("2024-10-15")
#: First on-air date of Viettel's 700 MHz (n28) sites: after the May 2025 award.
N28_START_DATE = pd.Timestamp("2025-06-01")
#: Last on-air date of the synthetic rollout (8 quarters after the launch quarter began).
ROLLOUT_END = pd.Timestamp("2026-09-30")
#: Share of each operator's sites on air on the launch day (the launch networks).
LAUNCH_SHARE: dict[str, float] = {"Viettel": 0.25, "VinaPhone": 0.12, "MobiFone": 0.08}
#: Exponent of the rollout curve: date = launch + span · u^k (k > 1: fast first, then slower).
ROLLOUT_EXPONENT = 1.6
#: Centre of Hà Nội (Hoàn Kiếm) the rollout starts from: (lon, lat) [degrees].
ROLLOUT_CENTRE = (105.8542, 21.0285)
#: Standard deviation of the noise on a site's rank in its operator's rollout (0–1 scale).
ROLLOUT_RANK_NOISE = 0.12


def _lattice_in(geom: shapely.Geometry, n_target: float, rng: np.random.Generator) -> np.ndarray:
    """About ``n_target`` points on a jittered hexagonal lattice inside ``geom`` [m]."""
    if n_target <= 0:
        return np.empty((0, 2))
    minx, miny, maxx, maxy = geom.bounds
    area = geom.area
    # A hexagonal lattice of spacing d has one point per (√3/2) d².
    d = np.sqrt(2.0 * area / (np.sqrt(3.0) * n_target))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half = 0.75 * np.hypot(maxx - minx, maxy - miny) + d
    nx = int(np.ceil(2 * half / d)) + 1
    ny = int(np.ceil(2 * half / (d * np.sqrt(3) / 2))) + 1
    i, j = np.meshgrid(np.arange(nx), np.arange(ny))
    x = i * d + (j % 2) * d / 2 - half
    y = j * d * np.sqrt(3) / 2 - half
    theta = rng.uniform(0, np.pi / 3)
    ox, oy = rng.uniform(0, d, 2)
    xr = cx + (x + ox) * np.cos(theta) - (y + oy) * np.sin(theta)
    yr = cy + (x + ox) * np.sin(theta) + (y + oy) * np.cos(theta)
    xr = xr.ravel() + rng.normal(0, 0.15 * d, xr.size)
    yr = yr.ravel() + rng.normal(0, 0.15 * d, yr.size)
    inside = shapely.contains_xy(geom, xr, yr)
    pts = np.column_stack([xr[inside], yr[inside]])
    want = max(1, round(n_target))
    if len(pts) < want:  # small or thin ward: add uniform random interior points
        extra = _uniform_in(geom, want - len(pts), rng)
        pts = np.vstack([pts, extra])
    return pts


def _uniform_in(geom: shapely.Geometry, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` uniform random points inside ``geom`` (vectorised rejection sampling)."""
    minx, miny, maxx, maxy = geom.bounds
    out = np.empty((0, 2))
    fill = max(geom.area / ((maxx - minx) * (maxy - miny)), 0.01)
    while len(out) < k:
        m = int((k - len(out)) / fill * 1.5) + 8
        x = rng.uniform(minx, maxx, m)
        y = rng.uniform(miny, maxy, m)
        keep = shapely.contains_xy(geom, x, y)
        out = np.vstack([out, np.column_stack([x[keep], y[keep]])])
    return out[:k]


def _carrier(operator: str, band: str | None = None) -> ops.Carrier:
    """Return the sample's carrier of an operator (every sample operator has one)."""
    carrier = ops.carrier_for(operator, band)
    if carrier is None:  # pragma: no cover - the sample's operators are in SPECTRUM_5G
        raise ValueError(f"no 5G carrier for {operator} {band or ''}")
    return carrier


def generate_sample_network(
    wards: gpd.GeoDataFrame | None = None,
    seed: int = DEFAULT_SEED,
    *,
    people_per_site: dict[str, float] | None = None,
    sectors: int = 3,
) -> gpd.GeoDataFrame:
    """Generate a SYNTHETIC, plausible 5G network over the wards.

    Parameters
    ----------
    wards : GeoDataFrame, optional
        Canonical ward table with ``population`` and ``kind``; default the
        shipped Hà Nội wards.
    seed : int
        Seed of the random generator; the same seed gives the same network.
    people_per_site : dict, optional
        Operator -> people per site (default :data:`PEOPLE_PER_SITE`).
    sectors : int
        Sectors per site (3 by default).

    Returns
    -------
    GeoDataFrame
        The canonical site table (:data:`phusong.schema.SITE_COLUMNS`), one
        row per cell, ``attrs["synthetic"] = True``. ``range_m`` is the band
        default (``range_source = "default:<band>"``), ``source_row`` the row
        in the sheet written by :func:`write_sample`.

    Notes
    -----
    Sites of operator *o* in ward *w*: N = P_w / p_o, where P_w is the ward
    population and p_o the operator's people per site, placed on a hexagonal
    lattice of spacing d = √(2 A_w / (√3 N)) (A_w the ward area). In a
    commune (xã) of density ρ the operator deploys with probability
    clip((ρ − ρ_sparse) / (ρ_full − ρ_sparse), 0, 1).
    """
    if wards is None:
        from phusong.io.wards import read_wards

        wards = read_wards()
    pps = {**PEOPLE_PER_SITE, **(people_per_site or {})}
    rng = np.random.default_rng(seed)
    crs = equal_area_crs(wards)
    geoms = wards.geometry.to_crs(crs).to_numpy()
    area = area_km2(wards, crs)
    pop = wards["population"].to_numpy(dtype="float64", na_value=np.nan)
    pop = np.where(np.isnan(pop), 0.0, pop)
    density = pop / np.maximum(area, 1e-9)
    urban = (wards["kind"].astype("string").fillna("") == "phường").to_numpy(dtype=bool)
    p_deploy = np.where(
        urban,
        1.0,
        np.clip((density - SPARSE_DENSITY) / (FULL_DEPLOYMENT_DENSITY - SPARSE_DENSITY), 0, 1),
    )
    layers = [(op, _carrier(op), pps[op]) for op in ("Viettel", "VinaPhone", "MobiFone")]
    n28 = _carrier("Viettel", "n28")

    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    op_l: list[str] = []
    carrier_l: list[ops.Carrier] = []
    urban_l: list[bool] = []
    for w, geom in enumerate(geoms):
        draws = rng.uniform(size=len(layers) + 1)
        for k, (op, carrier, people) in enumerate(layers):
            if draws[k] >= p_deploy[w]:
                continue
            n_target = pop[w] / people
            if not urban[w] and density[w] < N28_DENSITY and op == "Viettel":
                n_target *= 0.5  # n41 only in the village centres; n28 covers the rest
            pts = _lattice_in(geom, n_target, rng)
            xs.append(pts[:, 0])
            ys.append(pts[:, 1])
            op_l += [op] * len(pts)
            carrier_l += [carrier] * len(pts)
            urban_l += [urban[w]] * len(pts)
        p_n28 = N28_PROBABILITY if density[w] >= SPARSE_DENSITY else N28_SPARSE_PROBABILITY
        if not urban[w] and density[w] < N28_DENSITY and draws[-1] < p_n28:
            pts = _lattice_in(geom, pop[w] / PEOPLE_PER_N28_SITE, rng)
            xs.append(pts[:, 0])
            ys.append(pts[:, 1])
            op_l += ["Viettel"] * len(pts)
            carrier_l += [n28] * len(pts)
            urban_l += [False] * len(pts)
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    n_sites = len(x)
    site_op = np.array(op_l, dtype=object)
    site_urban = np.array(urban_l, dtype=bool)
    site_band = np.array([c.band for c in carrier_l], dtype=object)
    site_freq = np.array([c.centre_mhz for c in carrier_l])
    site_bw = np.array([c.bandwidth_mhz for c in carrier_l])
    # order sites by operator then band, numbered per operator
    order = np.lexsort((y, x, site_band.astype(str), site_op.astype(str)))
    x, y = x[order], y[order]
    site_op, site_urban, site_band = site_op[order], site_urban[order], site_band[order]
    site_freq, site_bw = site_freq[order], site_bw[order]
    number = pd.Series(site_op).groupby(site_op).cumcount().to_numpy() + 1
    prefix = pd.Series(site_op).map(SITE_PREFIX).to_numpy(dtype=str)
    site_id = np.char.add(prefix, np.char.zfill(number.astype(str), 5))
    pts = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=crs).to_crs(WGS84)
    lon = np.round(pts.x.to_numpy(), 6)
    lat = np.round(pts.y.to_numpy(), 6)
    height = np.round(
        np.where(site_urban, rng.uniform(20, 35, n_sites), rng.uniform(30, 45, n_sites)), 1
    )
    tilt = np.round(
        np.where(site_urban, rng.uniform(4, 10, n_sites), rng.uniform(2, 6, n_sites)), 1
    )
    eirp_site = np.array([ops.default_eirp_dbm(b) for b in site_band]) + np.clip(
        rng.normal(0, 1.0, n_sites), -2.5, 2.5
    )
    rotation = rng.uniform(-20, 20, n_sites)

    # cells
    s = np.repeat(np.arange(n_sites), sectors)
    sector = np.tile(np.arange(sectors), n_sites)
    azimuth = np.round(
        (rotation[s] + sector * 360.0 / sectors + rng.normal(0, 5, s.size)) % 360.0, 1
    )
    azimuth = np.where(azimuth >= 360.0, 0.0, azimuth)
    cell_id = np.char.add(np.char.add(site_id[s], "-"), (sector + 1).astype(str))
    band = site_band[s]
    mnc = pd.Series(site_op[s]).map(ops.OPERATOR_MNC).to_numpy()
    out = gpd.GeoDataFrame(
        {
            "cell_id": pd.array(cell_id, dtype="string"),
            "site_id": pd.array(site_id[s], dtype="string"),
            "operator": pd.array(site_op[s], dtype="string"),
            "mcc": pd.array(np.full(s.size, ops.MCC_VIETNAM), dtype="Int64"),
            "mnc": pd.array(mnc, dtype="Int64"),
            "radio": pd.array(np.full(s.size, "NR"), dtype="string"),
            "lon_deg": lon[s],
            "lat_deg": lat[s],
            "azimuth_deg": azimuth,
            "beamwidth_deg": np.full(s.size, ops.DEFAULT_BEAMWIDTH_DEG),
            "tilt_deg": tilt[s],
            "height_m": height[s],
            "eirp_dbm": np.round(eirp_site[s], 1),
            "frequency_mhz": site_freq[s],
            "band": pd.array(band, dtype="string"),
            "bandwidth_mhz": site_bw[s],
            "range_m": np.array([ops.default_range_m(b) for b in band]),
            "range_source": pd.array(np.char.add("default:", band.astype(str)), dtype="string"),
            "frequency_source": pd.array(np.full(s.size, "file"), dtype="string"),
            "source_row": pd.array(np.arange(2, s.size + 2), dtype="Int64"),
        },
        geometry=gpd.points_from_xy(lon[s], lat[s]),
        crs=WGS84,
    )
    out = out.loc[:, list(SITE_COLUMNS)]
    out.attrs["synthetic"] = True
    out.attrs["source"] = f"SYNTHETIC sample network (seed {seed})"
    return out


def with_on_air_dates(sites: gpd.GeoDataFrame, seed: int = DEFAULT_SEED) -> gpd.GeoDataFrame:
    """Add SYNTHETIC on-air dates (``on_air``, ``on_air_source``) to a sample network.

    Parameters
    ----------
    sites : GeoDataFrame
        A network from :func:`generate_sample_network` (one row per cell).
    seed : int
        Seed; the dates use their own generator (``seed + 3``), so the
        network itself is unchanged.

    Returns
    -------
    GeoDataFrame
        A copy with ``on_air`` (``datetime64[ns]``; one date per site, shared
        by its cells) and ``on_air_source`` = ``"synthetic"``, the columns of
        :data:`phusong.schema.SITE_DATE_COLUMNS`.

    Notes
    -----
    Within each operator (and, for Viettel, separately for its n28 layer) the
    sites are ranked by distance from :data:`ROLLOUT_CENTRE` plus noise
    (:data:`ROLLOUT_RANK_NOISE`), giving a quantile q ∈ [0, 1]. The first
    :data:`LAUNCH_SHARE` of them are on air at the launch; the others at
    ``start + (end − start) · u^k`` with ``u = (q − s) / (1 − s)``, ``s`` the
    launch share and ``k`` = :data:`ROLLOUT_EXPONENT`, so the rollout is fast
    at first and slows down. Nothing here is real: no operator's rollout
    dates are public.
    """
    rng = np.random.default_rng(seed + 3)
    one = sites.drop_duplicates("site_id")
    lon0, lat0 = ROLLOUT_CENTRE
    dx = (one["lon_deg"].to_numpy() - lon0) * np.cos(np.radians(lat0))
    dist = np.hypot(dx, one["lat_deg"].to_numpy() - lat0)
    noisy = np.argsort(np.argsort(dist)) / max(len(one) - 1, 1)
    noisy = noisy + rng.normal(0.0, ROLLOUT_RANK_NOISE, len(one))
    layer = one["operator"].astype(str).to_numpy() + "/" + one["band"].astype(str).to_numpy()
    site_dates = np.empty(len(one), dtype="datetime64[ns]")
    for key in sorted(set(layer)):
        sel = layer == key
        op, band = key.split("/")
        q = np.argsort(np.argsort(noisy[sel])) / max(int(sel.sum()) - 1, 1)
        start = N28_START_DATE if band == "n28" else LAUNCH_DATE
        share = 0.0 if band == "n28" else LAUNCH_SHARE.get(op, 0.1)
        u = np.clip((q - share) / (1.0 - share), 0.0, 1.0) ** ROLLOUT_EXPONENT
        days = np.round(u * (ROLLOUT_END - start).days).astype("int64")
        site_dates[sel] = (start + pd.to_timedelta(days, unit="D")).to_numpy()
    by_site = pd.Series(site_dates, index=one["site_id"].to_numpy())
    out = sites.copy()
    out["on_air"] = by_site.reindex(sites["site_id"].to_numpy()).to_numpy()
    out["on_air_source"] = pd.array(["synthetic"] * len(out), dtype="string")
    out.attrs = {**sites.attrs, "on_air_source": "synthetic"}
    return out


def to_sheet(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """Convert a site table to the operator site/sector sheet (:data:`SHEET_COLUMNS`).

    A table with on-air dates (:func:`with_on_air_dates`) gets a last column
    :data:`SHEET_DATE_COLUMN` of ISO dates (``2024-10-15``).
    """
    sheet = pd.DataFrame(
        {
            "site_id": sites["site_id"],
            "cell_id": sites["cell_id"],
            "operator": sites["operator"],
            "mcc": sites["mcc"],
            "mnc": sites["mnc"],
            "radio": sites["radio"],
            "lat": sites["lat_deg"],
            "lon": sites["lon_deg"],
            "azimuth_deg": sites["azimuth_deg"],
            "beamwidth_deg": sites["beamwidth_deg"],
            "tilt_deg": sites["tilt_deg"],
            "height_m": sites["height_m"],
            "eirp_dbm": sites["eirp_dbm"],
            "band": sites["band"],
            "frequency_mhz": sites["frequency_mhz"],
            "bandwidth_mhz": sites["bandwidth_mhz"],
        }
    )
    if "on_air" in sites:  # issue #15: ISO dates, after the other columns
        sheet[SHEET_DATE_COLUMN] = pd.to_datetime(sites["on_air"]).dt.strftime("%Y-%m-%d")
    return sheet.reset_index(drop=True)


def to_opencellid(sites: gpd.GeoDataFrame, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Convert a site table to OpenCelliD rows (NR, range = the band default [m]).

    Cell ids are NR cell identities with a 24-bit gNB id: ``NCI = gNB << 12 |
    sector``, so :func:`phusong.read_sites` groups the cells back into sites.
    Tracking area codes are one per operator and ~20 km² block; ``unit`` is a
    PCI; ``samples``/``created``/``updated`` are random but plausible (after
    the 15 Oct 2024 commercial launch). With on-air dates
    (:func:`with_on_air_dates`), ``created`` (first observed) is 0–14 days
    after the cell's on-air date, so that it works as the usual proxy.
    """
    rng = np.random.default_rng(seed + 1)
    site_codes, _ = pd.factorize(sites["site_id"])
    gnb = 100_000 + site_codes.astype(np.int64)
    sector = sites.groupby("site_id", sort=False).cumcount().to_numpy() + 1
    cell = (gnb << 12) | sector
    lon = sites["lon_deg"].to_numpy()
    lat = sites["lat_deg"].to_numpy()
    tac = 20000 + (np.floor((lat - 20.5) / 0.04) * 40 + np.floor((lon - 105.2) / 0.04)).astype(int)
    n = len(sites)
    created = 1728950400 + rng.integers(0, 300 * 86400, n)  # from 15 Oct 2024
    if "on_air" in sites:  # issue #15: first observed 0–14 days after the on-air date
        lag = np.random.default_rng(seed + 4).integers(0, 14 * 86400, n)
        on_air = pd.to_datetime(sites["on_air"]).to_numpy(dtype="datetime64[s]").astype("int64")
        created = on_air - 7 * 3600 + 12 * 3600 + lag  # local noon (UTC+7) of the day, then the lag
    return pd.DataFrame(
        {
            "radio": "NR",
            "mcc": sites["mcc"].to_numpy(),
            "net": sites["mnc"].to_numpy(),
            "area": tac,
            "cell": cell,
            "unit": rng.integers(0, 1008, n),
            "lon": lon,
            "lat": lat,
            "range": np.round(sites["range_m"].to_numpy()).astype(int),
            "samples": rng.integers(1, 400, n),
            "changeable": 1,
            "created": created,
            "updated": created + rng.integers(0, 120 * 86400, n),
            "averageSignal": 0,
        }
    )


def network_stats(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """Sites and cells per operator and band (with a total row)."""
    g = sites.groupby(["operator", "band"], observed=True)
    stats = pd.DataFrame({"sites": g["site_id"].nunique(), "cells": g.size()}).reset_index()
    total = pd.DataFrame(
        {
            "operator": ["all"],
            "band": ["all"],
            "sites": [sites["site_id"].nunique()],
            "cells": [len(sites)],
        }
    )
    return pd.concat([stats, total], ignore_index=True)


def write_sample(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = DEFAULT_SEED,
    wards: gpd.GeoDataFrame | None = None,
    overwrite: bool = True,
) -> dict[str, Path]:
    """Write the SYNTHETIC sample network files and their README.

    Parameters
    ----------
    out_dir : path
        Folder to write into (created if needed).
    seed : int
        Seed for :func:`generate_sample_network`.
    wards : GeoDataFrame, optional
        Wards to generate for (default the shipped Hà Nội wards).
    overwrite : bool
        Replace existing files.

    Returns
    -------
    dict
        ``"sheet"``, ``"opencellid"`` and ``"readme"`` -> written path.
    """
    out = Path(out_dir)
    sites = with_on_air_dates(generate_sample_network(wards, seed), seed)
    sheet_csv = to_sheet(sites).to_csv(index=False, float_format="%.6g", lineterminator="\n")
    sheet_path = atomic_write_text(out / SHEET_FILE, sheet_csv, overwrite=overwrite)
    ocid_csv = to_opencellid(sites, seed).to_csv(index=False, lineterminator="\n")
    ocid_gz = gzip.compress(ocid_csv.encode("utf-8"), compresslevel=9, mtime=0)
    ocid_path = atomic_write_bytes(out / OPENCELLID_FILE, ocid_gz, overwrite=overwrite)
    readme = atomic_write_text(out / "README.md", _readme(sites, seed), overwrite=overwrite)
    for path in (sheet_path, ocid_path, readme):
        os.chmod(path, 0o644)  # shipped data: readable by all (temporary files are 0600)
    log.info("wrote SYNTHETIC sample network (%d cells) to %s", len(sites), out)
    return {"sheet": sheet_path, "opencellid": ocid_path, "readme": readme}


def _readme(sites: gpd.GeoDataFrame, seed: int) -> str:
    stats = network_stats(sites)
    table = "\n".join(
        f"| {r.operator} | {r.band} | {r.sites:,} | {r.cells:,} |" for r in stats.itertuples()
    )
    return f"""# SYNTHETIC sample 5G network for Hà Nội — NOT REAL DATA

**Everything in this folder is SYNTHETIC.** The sites, cells, positions,
heights, powers and identifiers were generated by a program. They are not the
real networks of Viettel, VinaPhone or MobiFone and must not be used to draw
conclusions about real 5G coverage in Hà Nội.

**No real list of Hà Nội's 5G sites is public.** The operators publish only
national counts (about 11,000 5G sites nationwide in July 2025; Viettel
reported 22,758 by December 2025) and no open database (OpenCelliD included)
holds a usable set of Hà Nội NR cells. To audit the real networks, load an
operator's site sheet or an OpenCelliD export instead of these files.

## Files

| file | what |
|---|---|
| `{SHEET_FILE}` | operator site/sector sheet: one row per cell (`{", ".join(SHEET_COLUMNS)}`, then `{SHEET_DATE_COLUMN}`: the SYNTHETIC on-air date, ISO `YYYY-MM-DD`) |
| `{OPENCELLID_FILE}` | the same cells in OpenCelliD CSV format (`radio,mcc,net,area,cell,unit,lon,lat,range,…`), NR rows, `range` = the band's default radius in metres, `created` = when the cell was first observed (0–14 days after its SYNTHETIC on-air date; phusong reads it as a labelled proxy for the on-air date); positions are the masts (real OpenCelliD positions are averaged phone observations) and the azimuths and bands are lost in this format (read back, every cell is omni and Viettel's n28 cells take Viettel's primary band n41 with a note) |

Both files read through `phusong.read_sites` with zero rejected rows (tested).
`phusong.io.sites.sample_sites_path("sheet")` / `("opencellid")` give their paths.

## How they were generated

```
python -c "from phusong.sample import write_sample; write_sample('data/sample', seed={seed})"
```

`phusong.sample.generate_sample_network(seed={seed})` on the shipped 126 wards
(© OpenStreetMap contributors, ODbL; official 2025 populations):

- operators on their real 5G bands: Viettel n41 (2500–2600 MHz) plus n28
  (700 MHz) sites in sparse outer communes, VinaPhone n78 (3700–3800 MHz),
  MobiFone n77 (3800–3900 MHz);
- site density follows ward population density (people per site: Viettel
  {PEOPLE_PER_SITE["Viettel"]:,.0f}, VinaPhone {PEOPLE_PER_SITE["VinaPhone"]:,.0f}, MobiFone \
{PEOPLE_PER_SITE["MobiFone"]:,.0f}); about 300–600 m between sites in the dense core;
- communes (xã) below {FULL_DEPLOYMENT_DENSITY:,.0f} people/km² are served with falling
  probability; the sparsest (< {SPARSE_DENSITY:,.0f} people/km²) get at most Viettel's 700 MHz
  layer (1 in {1 / N28_SPARSE_PROBABILITY:.0f}) and several get no 5G at all, so the 99 %
  population goal is visibly unmet;
- 3 sectors per site (0/120/240° turned by a random angle, ±5° jitter), 65°
  beamwidth, heights 20–35 m (phường) / 30–45 m (xã), EIRP ≈ band default ± 1 dB;
- SYNTHETIC on-air dates (`phusong.sample.with_on_air_dates`, one per site):
  from the commercial launch on {LAUNCH_DATE:%d %b %Y} to {ROLLOUT_END:%d %b %Y}, the
  centre first and the outskirts last, {LAUNCH_SHARE["Viettel"]:.0%} of Viettel's,
  {LAUNCH_SHARE["VinaPhone"]:.0%} of VinaPhone's and {LAUNCH_SHARE["MobiFone"]:.0%} of
  MobiFone's sites on air at the launch, then a rollout that slows down over time;
  Viettel's 700 MHz sites from {N28_START_DATE:%d %b %Y} (after the May 2025 award). No
  operator's real rollout dates are public: these only let `phusong progress` and
  `phusong audit --as-of` be tried out.

## Contents (seed {seed})

| operator | band | sites | cells |
|---|---|---|---|
{table}
"""


__all__ = [
    "DEFAULT_SEED",
    "LAUNCH_DATE",
    "OPENCELLID_FILE",
    "ROLLOUT_END",
    "SHEET_COLUMNS",
    "SHEET_DATE_COLUMN",
    "SHEET_FILE",
    "generate_sample_network",
    "network_stats",
    "to_opencellid",
    "to_sheet",
    "with_on_air_dates",
    "write_sample",
]
