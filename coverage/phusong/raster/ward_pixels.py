"""Which grid pixels make up each ward, with exact partial-pixel weights.

Several per-ward figures are sums or quantiles over the pixels of a ward:
coverage at many dates (:mod:`phusong.progress.run`), the population-weighted
mean and 10th percentile of throughput (:mod:`phusong.speed`). Computing
the ward/pixel overlap once and reusing it makes each such figure a
:func:`numpy.bincount`.

:func:`ward_pixels` asks exactextract for each ward's pixels and the exact
fraction of each pixel inside the ward (the same partial-pixel weights
:mod:`phusong.raster.zonal` uses), and the people in each (ward, pixel)
piece:

``uniform:official``
    people = population × (fraction × pixel area) / ward area (the ward's
    official population spread evenly, as everywhere else);
``raster:<name>``
    people = fraction × people of the pixel
    (:func:`phusong.io.population.population_on_grid`);
``dasymetric:<name>``
    the raster as weights, rescaled to each ward's official total
    (:mod:`phusong.dasymetric`).

So a sum over a ward of ``covered × people`` equals the audit's covered
population exactly, and ``covered × fraction × pixel area`` its covered
area.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import exactextract
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from exactextract.raster import NumPyRasterSource

from phusong.io.population import population_on_grid
from phusong.recent import Recent

__all__ = [
    "QUANTILE_HISTOGRAM_CELLS",
    "WARDS_PER_CALL",
    "Overlap",
    "WardPixels",
    "forget_overlaps",
    "overlap_key",
    "ward_overlap",
    "ward_pixel_chunks",
    "ward_pixels",
    "ward_pixels_for",
    "ward_weighted_quantile",
    "weighted_quantile",
]


@dataclass(frozen=True)
class WardPixels:
    """Pieces (ward, pixel) of a grid, with their area share and people.

    Attributes
    ----------
    ward : numpy.ndarray
        int64 ward position (0 … n_wards − 1) of each piece.
    pixel : numpy.ndarray
        int64 flat index (row · width + column) of the piece's pixel.
    fraction : numpy.ndarray
        float64 share of the pixel inside the ward (0–1].
    people : numpy.ndarray
        float64 people in the piece [people].
    n_wards : int
        Number of wards.
    ward_area_m2 : numpy.ndarray
        Area of each ward in the grid CRS [m²] (a part outside the grid counts
        as unserved).
    ward_population : numpy.ndarray
        People of each ward: the official figure, or the raster's sum over it.
    pixel_area_m2 : float
        Ground area of one pixel [m²].
    population_source : str
        ``"uniform:official"`` or ``"raster:<name>"``.
    """

    ward: np.ndarray
    pixel: np.ndarray
    fraction: np.ndarray
    people: np.ndarray
    n_wards: int
    ward_area_m2: np.ndarray
    ward_population: np.ndarray
    pixel_area_m2: float
    population_source: str

    def sum_by_ward(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (one per piece) over each ward; shape ``(n_wards,)``."""
        return np.bincount(self.ward, weights=values, minlength=self.n_wards)

    def area_m2(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Area of each ward whose pixels are in ``mask`` (per piece; all when None) [m²]."""
        w = self.fraction * self.pixel_area_m2
        return self.sum_by_ward(w if mask is None else w * mask)

    def people_in(self, mask: np.ndarray | None = None) -> np.ndarray:
        """People of each ward living in pixels where ``mask`` (per piece) holds [people]."""
        return self.sum_by_ward(self.people if mask is None else self.people * mask)

    def at(self, layer: np.ndarray) -> np.ndarray:
        """Values of a ``(height, width)`` grid layer at every piece's pixel."""
        return np.asarray(layer).ravel()[self.pixel]


#: Wards handed to exactextract at a time (bounds the memory of the pixel lists).
WARDS_PER_CALL = 16


def ward_pixel_chunks(geoms: np.ndarray, grid: Any) -> Iterator[tuple[np.ndarray, ...]]:
    """Yield ``(ward positions, flat pixel indices, coverage fractions)`` for chunks of wards.

    exactextract's ``cell_id`` and ``coverage``: every pixel a ward touches,
    with the exact fraction of the pixel inside it; :data:`WARDS_PER_CALL`
    wards at a time, over a one-byte stand-in raster (nothing of the grid's
    size but that).
    """
    left, bottom, right, top = grid.bounds
    src = NumPyRasterSource(
        np.zeros(grid.shape, dtype="uint8"), left, bottom, right, top, name="grid",
        srs_wkt=grid.crs.to_wkt(),
    )  # fmt: skip
    for start in range(0, len(geoms), WARDS_PER_CALL):
        pos = np.arange(start, min(start + WARDS_PER_CALL, len(geoms)))
        features = gpd.GeoDataFrame({"_i": pos}, geometry=geoms[pos], crs=grid.crs)
        res = exactextract.exact_extract(
            src, features, ["cell_id", "coverage"], output="pandas", include_cols=["_i"]
        )
        ids = [np.asarray(a, dtype="int64") for a in res["cell_id"]]
        lengths = np.array([a.size for a in ids], dtype="int64")
        if not lengths.sum():
            continue
        ward = np.repeat(res["_i"].to_numpy(dtype="int64"), lengths)
        cov = np.concatenate([np.asarray(a, dtype="float64") for a in res["coverage"]])
        yield ward, np.concatenate(ids), cov


def _pieces(geoms: np.ndarray, grid: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ward position, flat pixel index, fraction) of every piece with a share of the ward."""
    chunks = list(ward_pixel_chunks(geoms, grid))
    if not chunks:
        empty = np.empty(0, dtype="int64")
        return empty, empty, np.empty(0)
    ward, pixel, fraction = (np.concatenate(parts) for parts in zip(*chunks, strict=True))
    keep = fraction > 0
    ward, pixel, fraction = ward[keep], pixel[keep], fraction[keep]
    if ward.size and np.any(ward[1:] < ward[:-1]):  # grouped by ward, in ward order
        order = np.argsort(ward, kind="stable")
        ward, pixel, fraction = ward[order], pixel[order], fraction[order]
    return ward, pixel, fraction


@dataclass(frozen=True)
class Overlap:
    """The wards' pixels on a grid and the people raster on it, found once per audit.

    Every per-ward step of an audit (zonal sums, throughput, terrain-unknown
    area, the progress series) reads the same ward × pixel pieces; finding
    them (exactextract) and resampling the people raster are the costly
    parts, so an audit does both once (:func:`ward_overlap`) and hands the
    result on.

    Attributes
    ----------
    ward, pixel, fraction : numpy.ndarray
        As in :class:`WardPixels` (pieces with a positive share only),
        grouped by ward in ward order.
    n_wards : int
        Number of wards.
    ward_area_m2 : numpy.ndarray
        Area of each ward in the grid CRS [m²].
    people : numpy.ndarray or None
        People per grid pixel, ``(height, width)``
        (:func:`phusong.io.population.population_on_grid`); ``None`` without
        a population raster.
    people_label : str or None
        ``"raster:<name>"`` of that raster.
    raster : object
        The population raster the people came from (``None`` without one);
        reuse is refused for another raster.
    wards_key : str
        Fingerprint of the ward geometries in the grid CRS and of the grid
        (:func:`overlap_key`); reuse is refused for other wards or another grid.
    """

    ward: np.ndarray
    pixel: np.ndarray
    fraction: np.ndarray
    n_wards: int
    ward_area_m2: np.ndarray
    people: np.ndarray | None = None
    people_label: str | None = None
    raster: Any = None
    wards_key: str = ""
    #: Per-ward results that depend only on this overlap and a ward's unserved pieces
    #: (the gap polygons of :func:`phusong.raster.zonal.ward_coverage_raster`), by key.
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def serves(self, population_raster: Any, key: str | None = None) -> bool:
        """Whether this overlap is of the wards and grid ``key`` (when given) with ``population_raster``'s people."""
        if key is not None and key != self.wards_key:
            return False
        return population_raster is None or population_raster is self.raster


def overlap_key(geoms: np.ndarray, grid: Any) -> str:
    """Fingerprint of ward geometries (in the grid CRS) and a grid: SHA-1 of their bytes."""
    digest = hashlib.sha1(usedforsecurity=False)
    for wkb in shapely.to_wkb(np.asarray(geoms, dtype=object)):
        digest.update(b"" if wkb is None else wkb)
    digest.update(repr((tuple(grid.transform), grid.shape, str(grid.crs))).encode())
    return digest.hexdigest()


def ward_overlap(wards: gpd.GeoDataFrame, grid: Any, population_raster: Any = None) -> Overlap:
    """Find the wards' pixel pieces on ``grid`` and resample the people raster (once).

    Parameters
    ----------
    wards : GeoDataFrame
        Wards, any CRS (reprojected to the grid's).
    grid : GridSpec
        The grid.
    population_raster : path or dataset, optional
        People per pixel, any CRS and resolution.

    Returns
    -------
    Overlap
    """
    geoms = np.asarray(wards.to_crs(grid.crs).geometry.to_numpy(), dtype=object)
    key = overlap_key(geoms, grid)
    raster_key = _raster_key(population_raster)
    kept = None if raster_key is None else _OVERLAPS.get((key, raster_key))
    if kept is not None:  # the same wards, grid and people raster as a recent audit
        return kept
    ward, pixel, fraction = _pieces(geoms, grid)
    people = label = None
    if population_raster is not None:
        people, label = population_on_grid(population_raster, grid)
    found = Overlap(ward, pixel, fraction, len(geoms), shapely.area(geoms), people, label,
                    population_raster, key)  # fmt: skip
    if raster_key is not None:
        for arr in (found.ward, found.pixel, found.fraction, found.ward_area_m2, found.people):
            if arr is not None:
                arr.flags.writeable = False  # shared by the audits that find it here
        _OVERLAPS.put((key, raster_key), found)
    return found


def _raster_key(raster: Any) -> tuple[Any, ...] | None:
    """Identity of a people raster for :data:`_OVERLAPS` (a file by its bytes' SHA-256)."""
    from phusong.io.files import sha256_file

    if raster is None:
        return ("none",)
    if isinstance(raster, (str, os.PathLike)):
        try:
            return ("sha256", sha256_file(raster))
        except OSError:
            return None
    return None  # an open dataset: not kept


#: Overlaps of the last audits: a plan re-audits the same wards on the same grid with
#: the same people, and finds the pieces (exactextract) and the people here.
_OVERLAPS: Recent[Overlap] = Recent(size=2)


def forget_overlaps() -> None:
    """Forget the overlaps (and the gaps remembered on them) kept from the last audits."""
    _OVERLAPS.clear()


def ward_pixels(
    wards: gpd.GeoDataFrame,
    grid: Any,
    population_raster: str | os.PathLike[str] | Any | None = None,
    *,
    rescale: bool = False,
    source: str | None = None,
    overlap: Overlap | None = None,
) -> WardPixels:
    """Find the pieces (ward, pixel) of a grid and the people in each.

    Parameters
    ----------
    wards : GeoDataFrame
        Canonical wards (``population``), any CRS.
    grid : GridSpec
        The grid (:class:`phusong.raster.grid.GridSpec`).
    population_raster : path or dataset, optional
        People per pixel; default the official populations spread evenly.
    rescale : bool
        Use the raster as weights rescaled to each ward's official total
        (dasymetric, :mod:`phusong.dasymetric`): see Notes.
    source : str, optional
        The ``population_source`` code to record (default from the inputs).
    overlap : Overlap, optional
        The pieces (and people raster) already found for these wards and this
        grid (:func:`ward_overlap`); found here when not given or when it
        counted people from another raster.

    Returns
    -------
    WardPixels

    Notes
    -----
    Pixel values are their flat indices, so that exactextract's ``values``
    and ``coverage`` give each ward's pixels and the share of each inside the
    ward exactly. People of a piece: uniform, ``official × fraction × pixel
    area / ward area``; raster, ``fraction × people of the pixel``;
    dasymetric, ``official × mass / mass(ward)`` with ``mass = fraction ×
    people of the pixel`` — a ward whose raster mass is 0 spreads its
    official total evenly, a ward without an official figure keeps the
    raster's count (as :mod:`phusong.dasymetric` counts them).
    """
    key = None if overlap is None else overlap_key(wards.to_crs(grid.crs).geometry.to_numpy(), grid)
    if overlap is None or not overlap.serves(population_raster, key):
        overlap = ward_overlap(wards, grid, population_raster)
    area, n = overlap.ward_area_m2, overlap.n_wards
    ward, pixel, fraction = overlap.ward, overlap.pixel, overlap.fraction
    official = pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype="float64")
    piece_m2 = fraction * grid.pixel_area_m2
    even = piece_m2 * np.divide(1.0, area, out=np.zeros(len(area)), where=area > 0)[ward]
    if population_raster is None:
        people = np.nan_to_num(official)[ward] * even
        return WardPixels(ward, pixel, fraction, people, n, area, official,
                          float(grid.pixel_area_m2), source or "uniform:official")  # fmt: skip
    people_grid, label = overlap.people, str(overlap.people_label)
    assert people_grid is not None  # found with the raster just above
    mass = fraction * np.asarray(people_grid).ravel()[pixel].astype("float64")
    ward_mass = np.bincount(ward, weights=mass, minlength=n)
    if not rescale:
        return WardPixels(ward, pixel, fraction, mass, n, area, ward_mass,
                          float(grid.pixel_area_m2), source or label)  # fmt: skip
    known = np.isfinite(official)
    weighted = (known & (ward_mass > 0))[ward]
    by_mass = np.nan_to_num(official)[ward] * mass / np.where(weighted, ward_mass[ward], 1.0)
    by_area = np.nan_to_num(official)[ward] * even
    people = np.where(weighted, by_mass, np.where(known[ward], by_area, mass))
    total = np.where(known, official, ward_mass)
    return WardPixels(ward, pixel, fraction, people, n, area, total,
                      float(grid.pixel_area_m2), source or f"dasymetric:{label}")  # fmt: skip


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Weighted quantile: the smallest value whose cumulative weight reaches ``q`` of the total.

    Parameters
    ----------
    values : ndarray
        Values (NaN entries are ignored).
    weights : ndarray
        Non-negative weights (e.g. people).
    q : float
        Quantile, 0–1 (0.1 = 10th percentile).

    Returns
    -------
    float
        ``min{v : W(v) ≥ q · W}``, with ``W(v)`` the weight of values ≤ v and W
        the total; NaN when there is no weight.

    Notes
    -----
    The inverse of the weighted distribution function, without interpolation
    (numpy's ``inverted_cdf`` method, generalised to weights): "10 % of the
    people get at most this much".
    """
    v = np.asarray(values, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    ok = ~np.isnan(v) & (w > 0)
    v, w = v[ok], w[ok]
    if not len(v):
        return float("nan")
    order = np.argsort(v, kind="mergesort")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, q * cum[-1] * (1 - 1e-12), side="left"))
    return float(v[order][min(k, len(v) - 1)])


#: Most histogram cells (wards × bins) :func:`ward_weighted_quantile` uses to narrow its search.
QUANTILE_HISTOGRAM_CELLS = 1 << 22


def ward_weighted_quantile(
    ward: np.ndarray, values: np.ndarray, weights: np.ndarray, n_wards: int, q: float
) -> np.ndarray:
    """:func:`weighted_quantile` of ``values`` within each ward, without sorting them all.

    Parameters
    ----------
    ward : ndarray of int
        Ward position of each entry (0 … n_wards − 1).
    values, weights : ndarray
        One per entry (NaN values and zero weights are ignored).
    n_wards : int
        Number of wards.
    q : float
        Quantile, 0–1.

    Returns
    -------
    ndarray
        float64 per ward; NaN for a ward with no weight.

    Notes
    -----
    The same answer as :func:`weighted_quantile` ward by ward (tested
    against it), in linear time: a weighted histogram of every ward's values
    (B equal bins over the values' range, one :func:`numpy.bincount`) finds
    the bin in which each ward's cumulative weight reaches ``q`` of its
    total; only the entries of those bins are then sorted. Sorting millions
    of pixels (the 20 m city grid) took seconds; this takes a fraction of
    one.
    """
    v = np.asarray(values, dtype="float64")
    w = np.asarray(weights, dtype="float64")
    ward = np.asarray(ward, dtype="int64")
    ok = ~np.isnan(v) & (w > 0)
    ward, v, w = ward[ok], v[ok], w[ok]
    out = np.full(n_wards, np.nan)
    if not len(v):
        return out
    n_bins = int(max(16, min(4096, QUANTILE_HISTOGRAM_CELLS // max(n_wards, 1))))
    lo, hi = float(v.min()), float(v.max())
    scale = n_bins / (hi - lo) if hi > lo else 0.0
    bins = np.minimum(((v - lo) * scale).astype("int64"), n_bins - 1)
    hist = np.bincount(ward * n_bins + bins, weights=w, minlength=n_wards * n_bins)
    hist = hist.reshape(n_wards, n_bins)
    cum = np.cumsum(hist, axis=1)
    total = cum[:, -1]
    goal = q * total * (1 - 1e-12)
    has = total > 0
    # the first non-empty bin where the goal is reached
    target = np.argmax((cum >= goal[:, None]) & (hist > 0), axis=1)
    before = np.where(target > 0, cum[np.arange(n_wards), np.maximum(target - 1, 0)], 0.0)
    # the entries of each ward's target bin, sorted by ward then value
    pick = np.flatnonzero(bins == target[ward])
    order = pick[np.lexsort((v[pick], ward[pick]))]
    k, vk = ward[order], v[order]
    run = np.cumsum(w[order])
    start = np.searchsorted(k, np.arange(n_wards), side="left")  # first entry of each ward
    offset = np.concatenate([[0.0], run])[start]  # weight of earlier wards' entries
    reached = np.flatnonzero(before[k] + (run - offset[k]) >= goal[k])
    best = np.full(n_wards, len(vk), dtype="int64")
    np.minimum.at(best, k[reached], reached)
    found = has & (best < len(vk))
    out[found] = vk[best[found]]
    # rounding at the bin edge (the histogram's running sum a hair short): the bin's last value
    short = has & ~found
    if short.any():
        last = np.searchsorted(k, np.flatnonzero(short), side="right") - 1
        out[short] = vk[np.maximum(last, 0)]
    return out


def ward_pixels_for(
    wards: gpd.GeoDataFrame,
    grid: Any,
    choice: Any = None,
    population_raster: Any = None,
    *,
    overlap: Overlap | None = None,
) -> WardPixels:
    """Find the wards' pixels (:func:`ward_pixels`) counting people the way the audit did.

    Parameters
    ----------
    wards : GeoDataFrame
        Canonical wards.
    grid : GridSpec
        The grid.
    choice : PopulationChoice, optional
        The audit's population choice (:func:`phusong.dasymetric.choose_population`):
        a dasymetric one rescales its raster to the official totals.
    population_raster : path, optional
        Without a choice: people per pixel as counted.
    overlap : Overlap, optional
        The pieces already found (:func:`ward_overlap`), e.g. by the audit's
        zonal step (:attr:`phusong.raster.grid.GridResult.overlap`).
    """
    if choice is not None and getattr(choice, "dasymetric", False):
        return ward_pixels(wards, grid, choice.raster, rescale=True, source=choice.source,
                           overlap=overlap)  # fmt: skip
    if choice is not None:
        return ward_pixels(wards, grid, source=getattr(choice, "source", None), overlap=overlap)
    return ward_pixels(wards, grid, population_raster, overlap=overlap)
