"""The new site: its configuration, its planning radius and its rows in a site table."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from phusong.errors import ConfigError
from phusong.models import FOOTPRINT_MODELS
from phusong.options import AUDIT
from phusong.schema import SITE_COLUMNS, WGS84

if TYPE_CHECKING:
    from phusong.propagation import ModelName

#: Operator of the new sites when nothing else decides it.
DEFAULT_OPERATOR = "Viettel"

#: Extra columns a proposed-site table carries beyond the schema.
PLAN_SITE_EXTRA_COLUMNS = ("order", "covered_people_gain")


@dataclass(frozen=True)
class NewSite:
    """Configuration of a proposed site (one per candidate position).

    Parameters
    ----------
    operator : str
        Operator brand, e.g. ``"Viettel"``.
    mnc : int
        Mobile network code (MCC 452).
    band : str
        3GPP band, e.g. ``"n41"``.
    frequency_mhz : float
        Carrier centre frequency [MHz].
    bandwidth_mhz : float
        Carrier bandwidth [MHz].
    eirp_dbm : float
        EIRP per carrier at boresight [dBm].
    height_m : float
        Antenna height above ground [m].
    sectors : int
        1 (omni) or a number of equal sectors (3 = the usual macro).
    beamwidth_deg : float
        Horizontal half-power beamwidth of a sector antenna [degrees].
    tilt_deg : float
        Electrical downtilt [degrees].
    range_m : float, optional
        Footprint radius [m], overriding the model.
    """

    operator: str = DEFAULT_OPERATOR
    mnc: int = 4
    band: str = "n41"
    frequency_mhz: float = 2550.0
    bandwidth_mhz: float = 100.0
    eirp_dbm: float = 63.0
    height_m: float = 25.0
    sectors: int = 3
    beamwidth_deg: float = 65.0
    tilt_deg: float = 6.0
    range_m: float | None = None

    def edge_loss_db(self) -> float:
        """Antenna loss at the worst azimuth between two sectors [dB].

        Notes
        -----
        TR 38.901 Table 7.3-1: ``A_H(φ) = min(12 (φ/φ3dB)², 30)`` dB with
        ``φ = 180°/sectors`` (60° for three sectors: 10.2 dB at 65°); 0 for
        an omni site.
        """
        if self.sectors <= 1:
            return 0.0
        phi = 180.0 / self.sectors
        return float(min(12.0 * (phi / self.beamwidth_deg) ** 2, 30.0))


def default_new_site(operator: str | None = None, **overrides: Any) -> NewSite:
    """Return the default new 5G site of an operator.

    Band, centre frequency and bandwidth are the operator's primary 5G carrier
    (:data:`phusong.operators.SPECTRUM_5G`); EIRP, height, beamwidth and tilt
    are the site reader's defaults (:mod:`phusong.operators`), so a proposed
    site looks like an existing site read without those columns.

    Parameters
    ----------
    operator : str, optional
        Operator brand (aliases such as ``"VNPT"`` are understood); default
        Viettel.
    **overrides
        Any :class:`NewSite` field.

    Raises
    ------
    ConfigError
        The operator has no 5G spectrum on record.
    """
    from phusong import operators as ops

    brand = ops.operator_brand(operator) if operator is not None else DEFAULT_OPERATOR
    carrier = ops.carrier_for(brand) if brand else None
    if brand is None or carrier is None:
        valid = ", ".join(ops.SPECTRUM_5G)
        raise ConfigError(
            f"operator: no 5G spectrum on record for {operator!r}; choose one of {valid}, "
            "or pass new_site=NewSite(...) with the band and frequency."
        )
    site = NewSite(
        operator=brand,
        mnc=int(ops.OPERATOR_MNC[brand]),
        band=carrier.band,
        frequency_mhz=float(carrier.centre_mhz),
        bandwidth_mhz=float(carrier.bandwidth_mhz),
        eirp_dbm=float(ops.default_eirp_dbm(carrier.band)),
        height_m=float(ops.DEFAULT_HEIGHT_M),
        sectors=3,
        beamwidth_deg=float(ops.DEFAULT_BEAMWIDTH_DEG),
        tilt_deg=float(ops.DEFAULT_TILT_DEG),
    )
    return replace(site, **overrides) if overrides else site


def audit_param(params: Any, name: str, default: Any = None) -> Any:
    """One audit parameter from an :class:`~phusong.audit.AuditParams`, a dict or ``None``.

    Parameters
    ----------
    params : AuditParams, dict or None
        The audit's parameters.
    name : str
        Parameter name (``model``, ``radius_m``, ``goal``, ``operators``, …).
    default : any
        Returned when ``params`` is ``None`` or lacks the parameter.
    """
    if params is None:
        return default
    if isinstance(params, dict):
        return params.get(name, default)
    return getattr(params, name, default)


def footprint_radius_m(site: NewSite, params: Any = None) -> float:
    """Planning radius of a new site under the audit's model and parameters [m].

    Parameters
    ----------
    site : NewSite
        The new-site configuration.
    params : AuditParams or dict, optional
        The audit's parameters (``model``, ``radius_m``, ``threshold_dbm``,
        ``indoor_loss_db``, ``reliability``); default: the disc model.

    Returns
    -------
    float
        Radius [m] of the disc the plan counts as served.

    Notes
    -----
    Disc/sector models: ``site.range_m``, else the audit's ``radius_m``, else
    the band's default range (:func:`phusong.operators.default_range_m`),
    which is what the audit gives a cell read without a range. Path-loss
    models: the distance at which SS-RSRP falls to the threshold
    (:func:`phusong.propagation.max_range_m`) with the audit's link budget
    (indoor loss, shadowing margin) plus the antenna loss half-way between
    two sectors (:meth:`NewSite.edge_loss_db`): the disc is served in *every*
    direction, so a re-audit of the proposed sites covers at least the disc.
    """
    if site.range_m is not None:
        return float(site.range_m)
    model = str(audit_param(params, "model", AUDIT["model"].default))
    if model in FOOTPRINT_MODELS:
        r = audit_param(params, "radius_m")
        if r:
            return float(r)
        from phusong.operators import default_range_m

        return float(default_range_m(site.band))
    from phusong import propagation as prop

    budget = prop.LinkBudget(
        threshold_dbm=float(audit_param(params, "threshold_dbm", AUDIT["threshold_dbm"].default)),
        bandwidth_mhz=float(site.bandwidth_mhz),
        indoor_loss_db=float(
            audit_param(params, "indoor_loss_db") or AUDIT["indoor_loss_db"].default
        ),
        reliability=float(audit_param(params, "reliability") or AUDIT["reliability"].default),
    )
    return float(
        prop.max_range_m(
            eirp_dbm=site.eirp_dbm,
            frequency_ghz=site.frequency_mhz / 1000.0,
            model=cast("ModelName", model),
            h_bs_m=site.height_m,
            h_ut_m=budget.h_ut_m,
            n_rb=budget.n_rb,
            threshold_dbm=budget.threshold_dbm,
            extra_loss_db=budget.extra_loss_db(model) + site.edge_loss_db(),
        )
    )


def proposed_site_table(
    xy: np.ndarray,
    order: np.ndarray,
    gain: np.ndarray,
    site: NewSite,
    radius: float,
    crs: CRS,
    model: str,
    sector_edge_db: float | None = None,
) -> gpd.GeoDataFrame:
    """Cells of the proposed sites in the canonical site schema.

    Parameters
    ----------
    xy : ndarray, shape (n, 2)
        Chosen positions in ``crs`` [m], in the order added.
    order : ndarray of int, shape (n,)
        Rank of each site (1 = added first).
    gain : ndarray, shape (n,)
        People each site adds, in that order [people].
    site : NewSite
        Configuration of every new site.
    radius : float
        Planning radius [m] (``range_m`` of every cell).
    crs : pyproj.CRS
        CRS of ``xy``.
    model : str
        The audit's coverage model (sets the sectors' beamwidth).
    sector_edge_db : float, optional
        The ``sector`` model's wedge edge [dB] (default
        :data:`phusong.vector.footprints.DEFAULT_SECTOR_EDGE_DB`): under the
        footprint models a sector's beamwidth is chosen so that its wedge is
        ``360°/sectors`` wide by that rule, and the k wedges tile the disc.

    Returns
    -------
    GeoDataFrame
        One row per cell (``NEW-0001-1`` …), columns
        :data:`phusong.schema.SITE_COLUMNS` then
        :data:`PLAN_SITE_EXTRA_COLUMNS`, EPSG:4326.
    """
    n = len(xy)
    k = max(int(site.sectors), 1)
    rep = np.repeat(np.arange(n), k)
    sector = np.tile(np.arange(k), n)
    site_ids = np.array([f"NEW-{i + 1:04d}" for i in range(n)], dtype=object)[rep]
    lonlat = gpd.GeoSeries(shapely.points(xy[:, 0], xy[:, 1]) if n else [], crs=crs).to_crs(WGS84)
    lon = shapely.get_x(lonlat.to_numpy())[rep] if n else np.zeros(0)
    lat = shapely.get_y(lonlat.to_numpy())[rep] if n else np.zeros(0)
    omni = k == 1
    path_loss = model not in FOOTPRINT_MODELS
    # Under the disc/sector models the planner counts each new site as a full
    # disc: k wedges of 360°/k tile exactly that disc (a re-audit, or
    # 'phusong audit' on the proposed sheet, then covers what was planned).
    # physics (issue #12): the sector model's wedge is 2 φ3dB √(edge/12) wide,
    # so the beamwidth is the one whose wedge is 360°/k.
    if omni:
        beam = np.nan
    elif path_loss:
        beam = site.beamwidth_deg
    else:
        from phusong.vector.footprints import DEFAULT_SECTOR_EDGE_DB

        edge = DEFAULT_SECTOR_EDGE_DB if sector_edge_db is None else float(sector_edge_db)
        beam = (360.0 / k) / (2.0 * np.sqrt(edge / 12.0))
    data: dict[str, Any] = {
        "cell_id": [f"{s}-{j + 1}" for s, j in zip(site_ids, sector, strict=True)],
        "site_id": site_ids,
        "operator": site.operator,
        "mcc": pd.array([452] * len(rep), dtype="Int64"),
        "mnc": pd.array([site.mnc] * len(rep), dtype="Int64"),
        "radio": "NR",
        "lon_deg": lon,
        "lat_deg": lat,
        "azimuth_deg": np.nan if omni else sector * (360.0 / k),
        "beamwidth_deg": beam,
        "tilt_deg": site.tilt_deg,
        "height_m": site.height_m,
        "eirp_dbm": site.eirp_dbm,
        "frequency_mhz": site.frequency_mhz,
        "band": site.band,
        "bandwidth_mhz": site.bandwidth_mhz,
        "range_m": radius,
        "range_source": f"plan:{model}",
        "frequency_source": f"plan:{site.operator}",
        "source_row": pd.array([pd.NA] * len(rep), dtype="Int64"),
        "order": order[rep] if n else np.zeros(0, np.int64),
        "covered_people_gain": gain[rep] if n else np.zeros(0),
    }
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rep)))
    for col, (dtype, _) in SITE_COLUMNS.items():
        if col != "geometry" and dtype in ("string", "float64"):
            frame[col] = frame[col].astype(dtype)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)[
        [*SITE_COLUMNS, *PLAN_SITE_EXTRA_COLUMNS]
    ]


__all__ = [
    "DEFAULT_OPERATOR",
    "PLAN_SITE_EXTRA_COLUMNS",
    "NewSite",
    "audit_param",
    "default_new_site",
    "footprint_radius_m",
    "proposed_site_table",
]
