"""Cells of a site table as flat arrays on a grid: :class:`CellArrays`, :func:`prepare_cells`.

The raster engine's input step (see :mod:`phusong.raster.grid` for the whole).
:meth:`CellArrays.from_sites` reads and checks the canonical site table once,
puts the cells in a canonical order (so results do not depend on the table's
row order), projects them onto the grid and gives every cell, once, its
*reach*: the distance at which its boresight RSRP falls to the evaluation
floor, from :func:`phusong.propagation.max_range_m`, turned into a box of
global pixel indices. :func:`prepare_cells` does that and fixes the run
constants (:class:`phusong.raster.spec.TileParams`); the in-process engine
(:func:`phusong.raster.grid.compute_grid`) and the Dask backend
(:mod:`phusong.raster.distributed`) both start from it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from rasterio.windows import Window

from phusong import propagation as prop
from phusong.errors import ConfigError, DataError, Problem
from phusong.raster.cellmodel import (
    FOOTPRINT_CODE,
    MIN_PL_SLOPE_DB_PER_DECADE,
    cell_reach_m,
    model_code,
)
from phusong.raster.spec import ENGINES, FOOTPRINT_MODELS, GridSpec, TileParams
from phusong.schema import WGS84
from phusong.vector.footprints import DEFAULT_SECTOR_WIDTH_DEG

log = logging.getLogger(__name__)

#: Antenna height used when a cell has none [m] (the 38.901 UMa default).
DEFAULT_HEIGHT_M = 25.0
#: Horizontal half-power beamwidth used for a sectorised cell without one, in
#: the path-loss models [degrees] (the 38.901 element pattern's 65°).
DEFAULT_ANTENNA_BEAMWIDTH_DEG = 65.0
#: Vertical half-power beamwidth when the link budget gives none [degrees].
DEFAULT_VERTICAL_BEAMWIDTH_DEG = 10.0
#: Default evaluation depth below the threshold for interference [dB].
DEFAULT_INTERFERENCE_MARGIN_DB = 10.0

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class CellArrays:
    """Cells as flat arrays in the grid CRS, in a canonical order.

    Cells are sorted by ``(site_id, cell_id)`` (then position, frequency and
    azimuth), so results do not depend on the row order of the site table and
    the cells of a site are contiguous. All arrays have one entry per cell.

    Attributes
    ----------
    x_m, y_m : ndarray
        Position in the grid CRS [m].
    h_bs_m : ndarray
        Antenna height [m].
    azimuth_deg : ndarray
        Antenna bearing relative to *grid* north [degrees], NaN for omni cells
        (the table's true-north azimuth corrected for the meridian convergence).
    beamwidth_deg, tilt_deg : ndarray
        Horizontal beamwidth / wedge width and downtilt [degrees].
    frequency_ghz : ndarray
        Carrier frequency [GHz] (NaN for footprints).
    base_dbm : ndarray
        ``EIRP − 10 log10(12 N_RB) − indoor loss − shadow margin`` [dBm]:
        RSRP before path loss and antenna attenuation (NaN for footprints).
    range_m : ndarray
        Footprint radius [m] (footprint models) or coverage range at the
        threshold on boresight [m] (path-loss models).
    reach_m : ndarray
        Evaluation radius [m].
    box : ndarray
        ``(n, 4)`` int64 global pixel box ``col_lo, col_hi, row_lo, row_hi``
        (inclusive) of the pixel centres within ``reach_m`` along x and y.
    cell_index : ndarray
        Global index of each cell (into ``cell_ids``); kept by :meth:`subset`.
    site_index, operator_index, carrier_index, loc_index : ndarray
        Site (into ``site_ids``), operator layer (−1: no layer), carrier
        (into ``carriers_mhz``) and site-location group of each cell.
    loc_box, site_box : ndarray
        ``(n_locations, 4)`` / ``(n_sites, 4)`` union of the pixel boxes of
        the cells at one site location / of one site (indexed by
        ``loc_index`` / ``site_index``).
    cell_ids, site_ids, cell_operator : ndarray
        Identifiers and operator names (object arrays); ``site_ids`` lists
        every site once.
    operators : tuple of str
        Operator layers.
    carriers_mhz : ndarray
        Distinct carrier frequencies [MHz].
    model_code : ndarray
        int8 path-loss model of each cell (:data:`phusong.raster.cellmodel.MODEL_CODES`;
        −1 for the footprint models).
    pl_offset_db, pl_slope_db_per_decade : ndarray
        Calibration: ``offset + slope · log10(d3D / 1 km)`` is added to the
        path loss [dB], [dB/decade].
    indoor_loss_db : ndarray
        O2I building-entry loss + indoor margin [dB] (the indoor layer).
    on_air_day : ndarray
        On-air date [days since 1970-01-01]; −inf when on air from the start.
    """

    x_m: np.ndarray
    y_m: np.ndarray
    h_bs_m: np.ndarray
    azimuth_deg: np.ndarray
    beamwidth_deg: np.ndarray
    tilt_deg: np.ndarray
    frequency_ghz: np.ndarray
    base_dbm: np.ndarray
    range_m: np.ndarray
    reach_m: np.ndarray
    box: np.ndarray
    cell_index: np.ndarray
    site_index: np.ndarray
    operator_index: np.ndarray
    carrier_index: np.ndarray
    loc_index: np.ndarray
    loc_box: np.ndarray
    site_box: np.ndarray
    cell_ids: np.ndarray
    site_ids: np.ndarray
    cell_operator: np.ndarray
    operators: tuple[str, ...]
    carriers_mhz: np.ndarray
    model_code: np.ndarray
    pl_offset_db: np.ndarray
    pl_slope_db_per_decade: np.ndarray
    indoor_loss_db: np.ndarray
    on_air_day: np.ndarray
    _tree: list = field(default_factory=list, repr=False, compare=False)

    def __len__(self) -> int:
        return int(self.x_m.size)

    @classmethod
    def from_sites(
        cls,
        sites: pd.DataFrame,
        grid: GridSpec,
        params: TileParams,
        *,
        link_budget: Any = None,
        operators: Sequence[str] | None = None,
    ) -> CellArrays:
        """Build the cell arrays of a canonical site table for ``grid``.

        Parameters
        ----------
        sites : DataFrame
            Canonical site table (:data:`phusong.schema.SITE_COLUMNS`), one row
            per cell. Needs ``lon_deg``, ``lat_deg``; ``range_m`` for the
            footprint models; ``eirp_dbm``, ``frequency_mhz``,
            ``bandwidth_mhz`` for path-loss models. ``height_m`` (NaN → 25 m),
            ``azimuth_deg`` (NaN → omni), ``beamwidth_deg``, ``tilt_deg``
            (NaN → 0°), ``site_id``, ``cell_id``, ``operator`` are optional.
        grid : GridSpec
            Target grid.
        params : TileParams
            Run constants (model, threshold, floor, UE height).
        link_budget : LinkBudget, optional
            For the indoor loss and the shadow margin.
        operators : sequence of str, optional
            Operator layers; by default every operator in the table, sorted.

        Raises
        ------
        DataError
            Missing columns or unusable values, all listed at once.
        """
        cols = _cell_columns(sites, params, link_budget)
        order = _canonical_order(cols, params.footprint)
        cols = {name: values[order] for name, values in cols.items()}
        x, y, azimuth = _grid_positions(cols, grid)
        site_ids, site_index = np.unique(cols["site_key"], return_inverse=True)
        layers, operator_index = _operator_layers(cols["operator"], operators)
        radio = _radio_arrays(cols, params, link_budget)
        box = _pixel_box(grid, x, y, radio["reach_m"])
        loc_key = pd.MultiIndex.from_arrays([site_index, x, y])
        loc_index = pd.factorize(loc_key)[0].astype("int64")
        return cls(
            x_m=x,
            y_m=y,
            h_bs_m=cols["height"],
            azimuth_deg=azimuth,
            beamwidth_deg=cols["bw"],
            tilt_deg=cols["tilt"],
            frequency_ghz=radio["frequency_ghz"],
            base_dbm=radio["base_dbm"],
            range_m=radio["range_m"],
            reach_m=radio["reach_m"],
            box=box,
            cell_index=np.arange(len(x), dtype="int32"),
            site_index=site_index.astype("int32"),
            operator_index=operator_index,
            carrier_index=radio["carrier_index"],
            loc_index=loc_index,
            loc_box=_union_boxes(box, loc_index),
            site_box=_union_boxes(box, site_index),
            cell_ids=cols["cell_id"],
            site_ids=site_ids.astype(object),
            cell_operator=cols["operator"],
            operators=layers,
            carriers_mhz=np.asarray(radio["carriers_mhz"], dtype="float64"),
            model_code=radio["model_code"],
            pl_offset_db=cols["pl_offset"],
            pl_slope_db_per_decade=cols["pl_slope"],
            indoor_loss_db=cols["o2i"] + cols["indoor_margin"],
            on_air_day=cols["on_air_day"],
        )

    def query(self, window: Window) -> np.ndarray:
        """Positions (sorted) of the cells whose pixel box intersects ``window``.

        Uses an STRtree over the pixel boxes (built on first use).
        """
        if not self._tree:
            valid = (self.box[:, 0] <= self.box[:, 1]) & (self.box[:, 2] <= self.box[:, 3])
            pos = np.flatnonzero(valid)
            b = self.box[pos].astype("float64")
            boxes = shapely.box(b[:, 0] - 0.25, b[:, 2] - 0.25, b[:, 1] + 0.25, b[:, 3] + 0.25)
            self._tree.append((shapely.STRtree(boxes), pos))
        tree, pos = self._tree[0]
        if pos.size == 0:
            return pos
        c0, r0 = int(window.col_off), int(window.row_off)
        c1, r1 = c0 + int(window.width) - 1, r0 + int(window.height) - 1
        hit = pos[tree.query(shapely.box(c0 - 0.25, r0 - 0.25, c1 + 0.25, r1 + 0.25))]
        b = self.box[hit]
        keep = (b[:, 0] <= c1) & (b[:, 1] >= c0) & (b[:, 2] <= r1) & (b[:, 3] >= r0)
        return np.sort(hit[keep])

    def subset(self, positions: np.ndarray) -> CellArrays:
        """Select the cells at ``positions`` (sorted), keeping their global indices.

        For shipping only a tile's candidate cells to a worker.
        """
        positions = np.sort(np.asarray(positions, dtype="int64"))
        per_cell = {
            name: getattr(self, name)[positions]
            for name in (
                "x_m", "y_m", "h_bs_m", "azimuth_deg", "beamwidth_deg", "tilt_deg", "frequency_ghz",
                "base_dbm", "range_m", "reach_m", "box", "cell_index", "site_index", "operator_index",
                "carrier_index", "loc_index", "cell_ids", "cell_operator", "model_code",
                "pl_offset_db", "pl_slope_db_per_decade", "indoor_loss_db", "on_air_day",
            )
        }  # fmt: skip
        return CellArrays(
            **per_cell,
            loc_box=self.loc_box,
            site_box=self.site_box,
            site_ids=self.site_ids,
            operators=self.operators,
            carriers_mhz=self.carriers_mhz,
        )


# --------------------------------------------------------------------------- reading


def _numeric(sites: pd.DataFrame, col: str, default: float = np.nan) -> np.ndarray:
    """Column ``col`` as float64 (unparseable → NaN), or ``default`` everywhere if absent."""
    if col not in sites.columns:
        return np.full(len(sites), default, dtype="float64")
    return pd.to_numeric(sites[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _text(sites: pd.DataFrame, col: str, fill: str) -> np.ndarray:
    """Column ``col`` as an object array of str (missing → ``fill``)."""
    if col not in sites.columns:
        return np.full(len(sites), fill, dtype=object)
    return sites[col].astype("string").fillna(fill).to_numpy(dtype=object)


def _cell_columns(
    sites: pd.DataFrame, params: TileParams, link_budget: Any
) -> dict[str, np.ndarray]:
    """Every per-cell input as an array, checked, with defaults filled, in table order.

    Keys: ``lon``, ``lat`` [degrees], ``az`` (NaN = omni), ``bw``, ``tilt``
    [degrees], ``height`` [m]; ``range`` [m] for the footprint models, else
    ``eirp`` [dBm], ``f_mhz``, ``bw_mhz`` [MHz]; ``cell_id``, ``site_key`` and
    ``operator`` (object arrays).

    Raises
    ------
    DataError
        Missing columns, or unusable values (every problem listed at once).
    """
    _require_columns(sites, params)
    cols = {
        "lon": _numeric(sites, "lon_deg"),
        "lat": _numeric(sites, "lat_deg"),
        "az": _numeric(sites, "azimuth_deg"),
        "bw": _numeric(sites, "beamwidth_deg"),
        "tilt": np.nan_to_num(_numeric(sites, "tilt_deg"), nan=0.0),
        "height": _numeric(sites, "height_m"),
    }
    if params.footprint:
        cols["range"] = _numeric(sites, "range_m")
    else:
        fallback = float(link_budget.bandwidth_mhz)
        bw_mhz = _numeric(sites, "bandwidth_mhz", fallback)
        cols["eirp"] = _numeric(sites, "eirp_dbm")
        cols["f_mhz"] = _numeric(sites, "frequency_mhz")
        cols["bw_mhz"] = np.where(np.isfinite(bw_mhz), bw_mhz, fallback)
    cols.update(_cell_options(sites, params))
    _check_values(cols, _source_rows(sites), params.footprint, link_budget)
    _fill_antenna_defaults(cols, params.footprint)
    cols.update(_identifiers(sites))
    return cols


#: Optional per-cell columns of the site table that the raster engine reads
#: (path-loss models), and what an absent column or an empty value means (the
#: neutral value: the run's own figure). Another step (scenario, calibration,
#: indoor model, rollout dates) adds them; :func:`prepare_cells` uses them.
CELL_OPTION_COLUMNS: dict[str, str] = {
    "path_loss_model": "path-loss model of the cell (a name of PATH_LOSS_MODELS or a short "
    "name); empty: the run's model",
    "shadow_margin_db": "shadow-fading margin [dB]; empty: σ of the cell's model × Φ⁻¹(reliability)",
    "receiver_loss_db": "body loss − UE antenna gain [dB]; empty: 0",
    "extra_loss_db": "other loss (+) or gain (−) [dB]; empty: 0",
    "pl_offset_db": "calibration offset added to the path loss [dB]; empty: 0",
    "pl_slope_db_per_decade": "calibration slope × log10(d3D / 1 km) added to the path loss "
    "[dB/decade]; empty: 0",
    "o2i_loss_db": "O2I building-entry loss [dB] (indoor layer; present → indoor layer on)",
    "indoor_margin_db": "extra margin of indoor users [dB] (indoor layer); empty: 0",
    "on_air": "on-air date (datetime; present → rollout-date layer on); empty: from the start",
    "on_air_day": "on-air date [days since 1970-01-01], used when 'on_air' is absent",
}


def _cell_options(sites: pd.DataFrame, params: TileParams) -> dict[str, np.ndarray]:
    """Read the optional per-cell columns (:data:`CELL_OPTION_COLUMNS`), neutral where absent.

    Keys: ``model`` (object, None = the run's model), ``margin`` (NaN = the
    link budget's), ``extra`` (receiver + other losses), ``pl_offset``,
    ``pl_slope``, ``o2i``, ``indoor_margin`` [dB] and ``on_air_day`` [days].
    """
    n = len(sites)
    models = np.full(n, None, dtype=object)
    if "path_loss_model" in sites.columns and not params.footprint:
        text = sites["path_loss_model"].astype("string").str.strip()
        models = np.array([None if pd.isna(v) or v == "" else str(v) for v in text], dtype=object)
    return {
        "model": models,
        "margin": _numeric(sites, "shadow_margin_db"),
        "extra": np.nan_to_num(_numeric(sites, "receiver_loss_db"), nan=0.0)
        + np.nan_to_num(_numeric(sites, "extra_loss_db"), nan=0.0),
        "pl_offset": np.nan_to_num(_numeric(sites, "pl_offset_db"), nan=0.0),
        "pl_slope": np.nan_to_num(_numeric(sites, "pl_slope_db_per_decade"), nan=0.0),
        "o2i": np.nan_to_num(_numeric(sites, "o2i_loss_db"), nan=0.0),
        "indoor_margin": np.nan_to_num(_numeric(sites, "indoor_margin_db"), nan=0.0),
        "on_air_day": _on_air_day(sites),
    }


def _on_air_day(sites: pd.DataFrame) -> np.ndarray:
    """On-air date per cell [days since 1970-01-01], −inf when unknown or absent."""
    if "on_air" in sites.columns:
        when = pd.to_datetime(sites["on_air"], errors="coerce")
        if getattr(when.dt, "tz", None) is not None:
            when = when.dt.tz_localize(None)
        days = (when - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        out = days.to_numpy(dtype="float64", na_value=np.nan)
    else:
        out = _numeric(sites, "on_air_day")
    return np.where(np.isfinite(out), out, -np.inf)


def indoor_requested(sites: pd.DataFrame) -> bool:
    """Whether the site table asks for the indoor layer (an O2I or indoor-margin column)."""
    return "o2i_loss_db" in sites.columns or "indoor_margin_db" in sites.columns


def dates_requested(sites: pd.DataFrame) -> bool:
    """Whether the site table carries on-air dates (``on_air`` or ``on_air_day``)."""
    return "on_air" in sites.columns or "on_air_day" in sites.columns


def _require_columns(sites: pd.DataFrame, params: TileParams) -> None:
    """Raise a DataError naming the columns the model needs that the table lacks."""
    need = ["lon_deg", "lat_deg"] + (
        ["range_m"] if params.footprint else ["eirp_dbm", "frequency_mhz"]
    )
    missing = [c for c in need if c not in sites.columns]
    if missing:
        raise DataError(
            f"the site table lacks column(s) {', '.join(missing)} needed by the "
            f"{params.model!r} model; read sites with phusong.read_sites().",
            file="<sites>",
        )


def _source_rows(sites: pd.DataFrame) -> np.ndarray:
    """Row of each cell in its source file, for messages (header = row 1)."""
    if "source_row" in sites.columns:
        return pd.to_numeric(sites["source_row"], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
    return np.arange(len(sites), dtype="float64") + 2


def _check_values(
    cols: dict[str, np.ndarray], rows: np.ndarray, footprint: bool, link_budget: Any
) -> None:
    """Raise one DataError listing every unusable value (row, column, reason)."""
    problems: list[Problem] = []

    def check(values: np.ndarray, col: str, ok: np.ndarray, reason: str) -> None:
        for i in np.flatnonzero(~ok):
            row = int(rows[i]) if np.isfinite(rows[i]) else None
            problems.append(Problem("<sites>", row, col, f"{reason} (got {values[i]!r})."))

    lon, lat, az, bw = cols["lon"], cols["lat"], cols["az"], cols["bw"]
    check(lon, "lon_deg", np.isfinite(lon) & (np.abs(lon) <= 180), "longitude must be in −180…180°")
    check(lat, "lat_deg", np.isfinite(lat) & (np.abs(lat) <= 90), "latitude must be in −90…90°")
    if footprint:
        rng = cols["range"]
        check(
            rng,
            "range_m",
            np.isfinite(rng) & (rng > 0),
            "range must be a positive number of metres",
        )
    else:
        eirp, f_mhz, bw_mhz = cols["eirp"], cols["f_mhz"], cols["bw_mhz"]
        check(eirp, "eirp_dbm", np.isfinite(eirp), "EIRP must be a number of dBm")
        check(
            f_mhz,
            "frequency_mhz",
            np.isfinite(f_mhz) & (f_mhz > 0),
            "frequency must be positive MHz",
        )
        scs = _scs_khz(link_budget)
        table = prop.N_RB_TABLE.get(int(scs), {})
        check(
            bw_mhz,
            "bandwidth_mhz",
            np.isin(bw_mhz, list(table)),
            f"bandwidth must be an NR channel bandwidth at {scs:g} kHz SCS "
            f"({', '.join(map(str, table))} MHz)",
        )
        known = set(prop.PATH_LOSS_MODELS) | set(prop.MODEL_ALIASES)
        models = cols["model"]
        check(
            models,
            "path_loss_model",
            np.array([m is None or m in known for m in models], dtype=bool),
            f"path-loss model must be one of {', '.join(prop.PATH_LOSS_MODELS)}",
        )
        slope = cols["pl_slope"]
        check(
            slope,
            "pl_slope_db_per_decade",
            slope >= MIN_PL_SLOPE_DB_PER_DECADE,
            f"calibration slope must be at least {MIN_PL_SLOPE_DB_PER_DECADE:g} dB/decade "
            "(the calibrated path loss must grow with distance)",
        )
    sectored = np.isfinite(az)
    check(
        bw, "beamwidth_deg", ~(sectored & np.isfinite(bw) & (bw <= 0)), "beamwidth must be positive"
    )
    if problems:
        raise DataError(problems)


def _fill_antenna_defaults(cols: dict[str, np.ndarray], footprint: bool) -> None:
    """Default beamwidth and height (logged); a wedge of 360° or more becomes omni."""
    az, bw, height = cols["az"], cols["bw"], cols["height"]
    sectored = np.isfinite(az)
    bw_fill = DEFAULT_SECTOR_WIDTH_DEG if footprint else DEFAULT_ANTENNA_BEAMWIDTH_DEG
    if np.any(sectored & ~np.isfinite(bw)):
        log.info(
            "%d sectorised cells have no beamwidth; using %g°",
            int(np.sum(sectored & ~np.isfinite(bw))),
            bw_fill,
        )
    bw = np.where(np.isfinite(bw), bw, bw_fill)
    # A wedge of 360° or more is a disc.
    cols["az"] = np.where(sectored & (bw < 360.0), az, np.nan)
    cols["bw"] = bw
    if np.any(~np.isfinite(height)):
        log.info(
            "%d cells have no antenna height; using %g m",
            int(np.sum(~np.isfinite(height))),
            DEFAULT_HEIGHT_M,
        )
    cols["height"] = np.where(np.isfinite(height) & (height > 0), height, DEFAULT_HEIGHT_M)


def _identifiers(sites: pd.DataFrame) -> dict[str, np.ndarray]:
    """Cell id (``row<N>`` if none), site key (``cell:<id>`` if none) and operator per cell."""
    cell_ids = _text(sites, "cell_id", "")
    cell_ids = np.array([c if c else f"row{i + 2}" for i, c in enumerate(cell_ids)], dtype=object)
    site_raw = _text(sites, "site_id", "")
    site_key = np.array(
        [s if s else f"cell:{c}" for s, c in zip(site_raw, cell_ids, strict=True)], dtype=object
    )
    return {
        "cell_id": cell_ids,
        "site_key": site_key,
        "operator": _text(sites, "operator", "unknown"),
    }


# --------------------------------------------------------------------------- arrays


def _canonical_order(cols: dict[str, np.ndarray], footprint: bool) -> np.ndarray:
    """Cell order independent of the table's row order: by site, cell, position, frequency."""
    freq_sort = np.zeros(len(cols["lon"])) if footprint else cols["f_mhz"]
    frame = pd.DataFrame(
        {
            "site": cols["site_key"],
            "cell": cols["cell_id"],
            "lon": cols["lon"],
            "lat": cols["lat"],
            "f": freq_sort,
            "az": np.nan_to_num(cols["az"], nan=-1.0),
            "op": cols["operator"],
        }
    )
    keys = ["site", "cell", "lon", "lat", "f", "az", "op"]
    return frame.sort_values(keys, kind="mergesort").index.to_numpy()


def _grid_positions(
    cols: dict[str, np.ndarray], grid: GridSpec
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell positions in the grid CRS [m] and antenna bearings relative to grid north [degrees]."""
    to_grid = Transformer.from_crs(WGS84, grid.crs, always_xy=True)
    lon, lat = cols["lon"], cols["lat"]
    x, y = to_grid.transform(lon, lat)
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    return x, y, _grid_azimuth(lon, lat, cols["az"], x, y, to_grid)


def _operator_layers(
    cell_operator: np.ndarray, operators: Sequence[str] | None
) -> tuple[tuple[str, ...], np.ndarray]:
    """Operator layers (default: every operator, sorted) and each cell's layer (−1: none)."""
    if operators is None:
        layers = tuple(sorted({str(o) for o in cell_operator}))
    else:
        layers = tuple(str(o) for o in operators)
    pos = {o: i for i, o in enumerate(layers)}
    return layers, np.array([pos.get(str(o), -1) for o in cell_operator], dtype="int32")


def _radio_arrays(
    cols: dict[str, np.ndarray], params: TileParams, link_budget: Any
) -> dict[str, np.ndarray]:
    """Per-cell radio figures: ``base_dbm``, ``frequency_ghz``, ``range_m``, ``reach_m``, carriers.

    Footprint models: range = reach = the footprint radius, no RSRP (NaN) and
    one carrier. Path-loss models: ``base_dbm`` = EIRP − 10 log10(12 N_RB) −
    extra losses [dBm], the boresight range at the threshold and the reach at
    the evaluation floor [m] (:func:`phusong.propagation.max_range_m`), and the
    distinct carrier frequencies [MHz] with each cell's index into them.
    """
    n = len(cols["lon"])
    if params.footprint:
        rng = cols["range"]
        return {
            "base_dbm": np.full(n, np.nan),
            "frequency_ghz": np.full(n, np.nan),
            "range_m": rng,
            "reach_m": rng.copy(),
            "carriers_mhz": np.array([0.0]),
            "carrier_index": np.zeros(n, dtype="int32"),
            "model_code": np.full(n, FOOTPRINT_CODE, dtype="int8"),
        }
    eirp, f_mhz, height = cols["eirp"], cols["f_mhz"], cols["height"]
    f_ghz = f_mhz / 1000.0
    n_rb = np.asarray(prop.n_rb_for(cols["bw_mhz"], scs_khz=_scs_khz(link_budget)), dtype="float64")
    code = np.array(
        [model_code(m if m is not None else params.model) for m in cols["model"]], dtype="int8"
    )
    extra = _cell_extra_loss_db(code, cols, link_budget)
    base = np.asarray(prop.rsrp_dbm(eirp, 0.0, n_rb, extra_loss_db=extra), dtype="float64")

    def boresight_range(level_dbm: float) -> np.ndarray:
        return cell_reach_m(
            base - level_dbm, code, f_ghz, height, params.h_ut_m, cols["pl_offset"],
            cols["pl_slope"],
        )  # fmt: skip

    reach = boresight_range(params.floor_dbm)
    # A margin against the inversion's tolerance: beyond the reach the
    # RSRP is below the floor, so a larger box changes nothing.
    reach = np.where(np.isfinite(reach), reach * 1.001 + 1.0, 0.0)
    carriers, carrier_index = np.unique(np.round(f_mhz, 6), return_inverse=True)
    return {
        "base_dbm": base,
        "frequency_ghz": f_ghz,
        "range_m": boresight_range(params.threshold_dbm),
        "reach_m": reach,
        "carriers_mhz": carriers,
        "carrier_index": carrier_index.astype("int32"),
        "model_code": code,
    }


def _cell_extra_loss_db(
    code: np.ndarray, cols: dict[str, np.ndarray], link_budget: Any
) -> np.ndarray:
    """Losses beyond path loss and antenna per cell [dB].

    The link budget's indoor and other losses, the shadow margin (the cell's
    own ``shadow_margin_db`` where given, else σ of the cell's model ×
    Φ⁻¹(reliability)) and the cell's receiver and extra losses.
    """
    extra = np.zeros(code.size)
    margin = np.zeros(code.size)
    for value in np.unique(code):
        name = prop.PATH_LOSS_MODELS[int(value)]
        sel = code == value
        margin[sel] = float(link_budget.margin_db(name))
        extra[sel] = float(link_budget.extra_loss_db(name)) - margin[sel]
    given = np.isfinite(cols["margin"])
    margin = np.where(given, cols["margin"], margin)
    return extra + margin + cols["extra"]


def _scs_khz(link_budget: Any) -> float:
    """Subcarrier spacing of the link budget [kHz] (30 kHz if it has none)."""
    return float(getattr(link_budget, "scs_khz", 30.0))


def _grid_azimuth(
    lon: np.ndarray,
    lat: np.ndarray,
    az: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    to_grid: Transformer,
) -> np.ndarray:
    """Bearing in the grid of a true-north azimuth, per cell [degrees].

    Moves 100 m along the geodesic at ``az`` and measures the grid bearing of
    that step: this absorbs the meridian convergence of the projection.
    """
    out = np.full(az.shape, np.nan)
    ok = np.isfinite(az)
    if ok.any():
        lon2, lat2, _ = _GEOD.fwd(lon[ok], lat[ok], az[ok], np.full(int(ok.sum()), 100.0))
        x2, y2 = to_grid.transform(lon2, lat2)
        out[ok] = np.degrees(np.arctan2(np.asarray(x2) - x[ok], np.asarray(y2) - y[ok])) % 360.0
    return out


def _pixel_box(grid: GridSpec, x: np.ndarray, y: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Inclusive global pixel box of the centres within ``reach`` along x and y."""
    res = grid.resolution_m
    left, top = grid.transform.c, grid.transform.f
    with np.errstate(invalid="ignore"):
        col_lo = np.ceil((x - reach - left) / res - 0.5)
        col_hi = np.floor((x + reach - left) / res - 0.5)
        row_lo = np.ceil((top - y - reach) / res - 0.5)
        row_hi = np.floor((top - y + reach) / res - 0.5)
    box = np.stack([col_lo, col_hi, row_lo, row_hi], axis=1)
    box = np.where(np.isfinite(box), box, np.array([1, 0, 1, 0]))  # NaN → empty box
    lim = 2**40
    return np.clip(box, -lim, lim).astype("int64")


def _union_boxes(box: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Union (bounding box) of the pixel boxes per group id."""
    n = int(group.max()) + 1 if group.size else 0
    out = np.empty((n, 4), dtype="int64")
    out[:, [0, 2]] = np.iinfo("int64").max
    out[:, [1, 3]] = np.iinfo("int64").min
    np.minimum.at(out[:, 0], group, box[:, 0])
    np.maximum.at(out[:, 1], group, box[:, 1])
    np.minimum.at(out[:, 2], group, box[:, 2])
    np.maximum.at(out[:, 3], group, box[:, 3])
    return out


# --------------------------------------------------------------------------- run


def _link_params(
    model: str,
    link_budget: Any,
    n_operators: int,
    n_carriers: int,
    margin_db: float,
    **options: Any,
) -> TileParams:
    """Run constants from the link budget (threshold, floor, UE height, noise).

    The evaluation floor is the lower of ``threshold − margin_db`` and the
    noise power per resource element, so that every co-channel interferer
    down to the noise floor counts in the SINR (footprint models: the
    threshold, unused).
    """
    threshold = float(getattr(link_budget, "threshold_dbm", -110.0))
    noise = float(link_budget.noise_per_re_dbm)
    floor = threshold - float(margin_db)
    if model not in FOOTPRINT_MODELS:
        floor = min(floor, noise)
    return TileParams(
        model=model,
        threshold_dbm=threshold,
        floor_dbm=floor,
        h_ut_m=float(getattr(link_budget, "h_ut_m", 1.5)),
        noise_dbm=noise,
        vertical_beamwidth_deg=float(
            getattr(link_budget, "vertical_beamwidth_deg", DEFAULT_VERTICAL_BEAMWIDTH_DEG)
        ),
        n_operators=n_operators,
        n_carriers=n_carriers,
        **options,
    )


def _resolve_model(model: str) -> str:
    """Full model name; footprint names pass through."""
    if model in FOOTPRINT_MODELS:
        return model
    try:
        return prop.resolve_model(model)
    except ConfigError as exc:
        raise ConfigError(f"{exc} Footprint models: {', '.join(FOOTPRINT_MODELS)}.") from exc


def _engine_options(
    sites: pd.DataFrame,
    model: str,
    engine: str,
    sinr_min_db: float | None,
    terrain: Any,
) -> dict[str, Any]:
    """Check the engine options; refuse those that do not apply to a footprint model."""
    if engine not in ENGINES:
        raise ConfigError(f"engine: unknown value {engine!r}; choose one of {', '.join(ENGINES)}.")
    if sinr_min_db is not None and not np.isfinite(sinr_min_db):
        raise ConfigError(f"sinr_min_db must be a number of dB or None, not {sinr_min_db!r}.")
    footprint = model in FOOTPRINT_MODELS
    if footprint and (sinr_min_db is not None or terrain is not None):
        raise ConfigError(
            f"sinr_min_db and terrain apply to path-loss models only, not to {model!r}; "
            "leave them unset or choose a path-loss model."
        )
    return {
        "engine": engine,
        "sinr_min_db": None if sinr_min_db is None else float(sinr_min_db),
        "indoor": (not footprint) and indoor_requested(sites),
        "dated": (not footprint) and dates_requested(sites),
        "terrain": terrain,
    }


def prepare_cells(
    sites: pd.DataFrame,
    grid: GridSpec,
    *,
    model: str,
    link_budget: Any = None,
    operators: Sequence[str] | None = None,
    interference_margin_db: float = DEFAULT_INTERFERENCE_MARGIN_DB,
    engine: str = "fast",
    sinr_min_db: float | None = None,
    terrain: Any = None,
) -> tuple[CellArrays, TileParams]:
    """Cell arrays and run constants of a run: the first step of every raster backend.

    :func:`phusong.raster.grid.compute_grid` starts here, and so do backends
    that schedule :func:`phusong.raster.kernel.compute_tile` themselves
    (:mod:`phusong.raster.distributed`).

    Parameters
    ----------
    sites : DataFrame
        Canonical site table, one row per cell (:data:`phusong.schema.SITE_COLUMNS`),
        with any of the optional per-cell columns of :data:`CELL_OPTION_COLUMNS`.
    grid : GridSpec
        The grid.
    model : str
        Path-loss model of :func:`phusong.propagation.path_loss_db`, or
        ``"disc"`` / ``"sector"``. Cells with a ``path_loss_model`` of their
        own use theirs.
    link_budget : phusong.propagation.LinkBudget, optional
        Default ``LinkBudget()``.
    operators : sequence of str, optional
        Operator layers (default: every operator in the table).
    interference_margin_db : float
        Evaluation depth below the threshold [dB] (0 for the footprint models);
        the evaluation floor is never above the noise floor.
    engine : {"fast", "reference"}
        Tile engine (:class:`phusong.raster.spec.TileParams`).
    sinr_min_db : float, optional
        SINR criterion of coverage [dB] (path-loss models).
    terrain : TerrainLoss, optional
        Per-site extra loss windows (path-loss models).

    Returns
    -------
    (CellArrays, TileParams)

    Raises
    ------
    ConfigError
        Unknown model or engine, a negative interference margin, or an option
        that does not apply to the model.
    DataError
        Unusable site rows (all listed).
    """
    model = _resolve_model(model)
    if link_budget is None:
        link_budget = prop.LinkBudget()
    if not (interference_margin_db >= 0):
        raise ConfigError(f"interference_margin_db must be ≥ 0, not {interference_margin_db!r}.")
    options = _engine_options(sites, model, engine, sinr_min_db, terrain)
    margin = 0.0 if model in FOOTPRINT_MODELS else float(interference_margin_db)
    pre = _link_params(model, link_budget, 0, 1, margin, **options)
    cells = CellArrays.from_sites(sites, grid, pre, link_budget=link_budget, operators=operators)
    n_carriers = max(len(cells.carriers_mhz), 1)
    return cells, _link_params(
        model, link_budget, len(cells.operators), n_carriers, margin, **options
    )


__all__ = [
    "CELL_OPTION_COLUMNS",
    "DEFAULT_HEIGHT_M",
    "DEFAULT_INTERFERENCE_MARGIN_DB",
    "CellArrays",
    "dates_requested",
    "indoor_requested",
    "prepare_cells",
]
