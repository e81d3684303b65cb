"""Country scale: the raster route, tiled, on a Dask cluster.

The same computation as :func:`phusong.raster.grid.compute_grid` and
:func:`phusong.raster.zonal.ward_coverage_raster`, cut into independent tiles that
Dask (:mod:`dask.distributed`) runs on workers. Nothing here decides *what* is
computed: every pixel comes from :func:`phusong.raster.kernel.compute_tile`, the pure
per-tile function of the grid engine. This module only ships the inputs, maps
tiles over workers and combines their results, exactly:

* :func:`compute_grid_distributed` returns the full :class:`~phusong.raster.grid.GridResult`
  (the mosaic is assembled on the client with :meth:`GridResult.place`, as the
  in-process engine does). Use it when the raster fits in the client's memory
  (a city, a province).
* :func:`ward_coverage_tiled` never assembles the raster. Each tile task
  computes its pixels, then its *partial per-ward sums* — area and people per
  redundancy class (0, 1, 2–4, 5+ serving sites), for "any" operator and per
  operator — with exact partial-pixel weights (exactextract coverage fractions
  of the ward polygons clipped to the tile). Every pixel belongs to exactly one
  tile, so the client only adds the partial sums: areas, and people spread
  evenly from official populations, do not depend on the tiling (up to the
  floating-point summation order, ~1e-15 relative). With a population raster,
  each tile resamples it with :func:`phusong.io.population.population_on_grid`; GDAL's
  approximate reprojection depends slightly on the destination extent, so
  people move by ~1e-4 relative between tilings (measured; see
  ``docs/cluster.md``).

Schedulers (``scheduler=``, see :func:`parse_scheduler` and :func:`dask_client`):
``None`` computes in-process, one tile after the other, with the same task
function; ``"processes"`` or an int ``N`` makes a
``LocalCluster(n_workers=N, threads_per_worker=1)`` and closes it afterwards; a
``"tcp://host:8786"`` address or a :class:`distributed.Client` uses that
cluster (and leaves it running).

Memory per worker (one thread per worker) is bounded by the tile, not by the
area: about ``tile_px² × (30 + 4 n_carriers + 14 n_operators)`` bytes for the
grid engine's accumulators, its scratch and the server classes, plus the cell table
(sent once per worker, ~0.5 kB per cell) and the interpreter with its
libraries (~300 MB). ``docs/cluster.md`` has the sizing and measured peaks.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rasterio.windows import Window

from phusong.coverage_table import N_CLASSES, ward_coverage_table
from phusong.errors import ConfigError
from phusong.io.population import population_on_grid
from phusong.raster.cells import DEFAULT_INTERFERENCE_MARGIN_DB, CellArrays, prepare_cells
from phusong.raster.grid import GridResult
from phusong.raster.kernel import TileResult, compute_tile
from phusong.raster.spec import GridSpec, TileParams, positive_int
from phusong.schema import ANY_OPERATOR

log = logging.getLogger(__name__)

#: What ``scheduler=`` accepts: None, "processes", a worker count, an address, a Client.
SchedulerLike = Any

#: Address schemes understood by dask.distributed.
ADDRESS_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "ucx://", "inproc://")


# --------------------------------------------------------------------------- schedulers


def parse_scheduler(value: str | int | None) -> str | int | None:
    """Turn the text of a ``--scheduler`` option into a ``scheduler=`` value.

    Parameters
    ----------
    value : str, int or None
        ``None``, ``""``, ``"none"``, ``"sync"`` or ``"in-process"`` → compute
        in-process; ``"processes"`` → a local cluster with one single-threaded
        worker per CPU; a positive integer (``4`` or ``"4"``) → a local cluster
        of that many workers; ``"tcp://host:8786"`` (or ``tls://``, ``ws://``,
        ``wss://``, ``ucx://``, ``inproc://``) → an existing scheduler; a bare
        ``"host:8786"`` is read as ``"tcp://host:8786"``.

    Returns
    -------
    None, "processes", int or str
        A value accepted by :func:`dask_client`.

    Raises
    ------
    ConfigError
        Anything else; the message lists the accepted forms.
    """
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ConfigError(_scheduler_help(value))
        return None
    if isinstance(value, int | np.integer):
        if int(value) < 1:
            raise ConfigError(_scheduler_help(value))
        return int(value)
    if not isinstance(value, str):
        raise ConfigError(_scheduler_help(value))
    text = value.strip()
    low = text.lower()
    if low in ("", "none", "sync", "synchronous", "in-process", "inprocess"):
        return None
    if low == "processes":
        return "processes"
    if low.isdigit():
        if int(low) < 1:
            raise ConfigError(_scheduler_help(value))
        return int(low)
    if low.startswith(ADDRESS_SCHEMES):
        if not low.split("://", 1)[1]:
            raise ConfigError(_scheduler_help(value))
        return text
    host, sep, port = text.rpartition(":")
    if sep and host and port.isdigit() and "/" not in host:
        return f"tcp://{text}"
    raise ConfigError(_scheduler_help(value))


def _scheduler_help(value: Any) -> str:
    return (
        f"scheduler: cannot use {value!r}; give nothing (in-process), 'processes' (one "
        "local worker per CPU), a number of local workers such as 4, or a Dask scheduler "
        "address such as tcp://host:8786."
    )


@contextmanager
def dask_client(
    scheduler: SchedulerLike, *, memory_limit: str | float | None = "auto"
) -> Iterator[Any]:
    """Context manager giving a :class:`distributed.Client`, or ``None`` for in-process.

    Parameters
    ----------
    scheduler : None, "processes", int, str or distributed.Client
        See :func:`parse_scheduler`. A Client is used as is and left open; an
        address gets a Client that is closed on exit (the cluster keeps
        running); ``"processes"`` / an int get a ``LocalCluster`` with
        ``threads_per_worker=1`` (the tile function is numpy-bound and one
        thread per process bounds memory per worker), closed on exit.
    memory_limit : str or float, optional
        Per-worker memory limit of a local cluster (``"auto"`` = RAM / workers).

    Yields
    ------
    distributed.Client or None
    """
    if scheduler is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - the dask extra is a test dependency
        raise ConfigError(
            "scheduler: dask.distributed is not installed; install phusong[dask] "
            "(pip install 'phusong[dask]') or leave the scheduler unset."
        ) from exc
    if isinstance(scheduler, Client):
        yield scheduler
        return
    spec = parse_scheduler(scheduler)
    if spec is None:
        yield None
        return
    if isinstance(spec, int) or spec == "processes":
        n = (os.cpu_count() or 1) if spec == "processes" else int(spec)
        log.info("starting a LocalCluster of %d single-threaded worker processes", n)
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                memory_limit=memory_limit,
                dashboard_address=":0",
            ) as cluster,
            Client(cluster) as client,
        ):
            log.info("Dask dashboard: %s", client.dashboard_link)
            yield client
        return
    log.info("connecting to the Dask scheduler at %s", spec)
    try:
        client = Client(spec, timeout="30s")
    except OSError as exc:
        raise ConfigError(
            f"scheduler: cannot reach the Dask scheduler at {spec} ({exc}); start one with "
            "'dask scheduler' and workers with 'dask worker {spec}', or check the address."
        ) from exc
    try:
        yield client
    finally:
        client.close()


def _n_workers(client: Any) -> int:
    if client is None:
        return 1
    return max(len(client.scheduler_info(n_workers=-1).get("workers", {})), 1)


def map_tiles(
    client: Any,
    fn: Callable[..., Any],
    windows: Sequence[Window],
    shared: Sequence[Any],
    on_result: Callable[[Any], None],
    *,
    progress: Callable[[float], Any] | None = None,
    in_flight_per_worker: int = 2,
) -> None:
    """Run ``fn(window, *shared)`` for every window and hand each result to ``on_result``.

    In-process (``client is None``) the windows run one after the other. On a
    cluster, ``shared`` is scattered to every worker once
    (``client.scatter(..., broadcast=True)``), at most ``in_flight_per_worker``
    tasks per worker are queued at a time, and results are gathered as they
    complete (:class:`distributed.as_completed`) and released at once, so
    neither the client nor the workers ever hold more than a few tile results,
    whatever the number of tiles. ``on_result`` must not depend on the order of
    completion (sums and placements do not).

    Parameters
    ----------
    client : distributed.Client or None
        Where to run.
    fn : callable
        Pure task function, importable by the workers.
    windows : sequence of Window
        One task per window.
    shared : sequence
        Arguments after the window, identical for every task (sent once).
    on_result : callable
        Called on the client with each task's result.
    progress : callable, optional
        Called with the fraction of tasks done (0…1).
    in_flight_per_worker : int
        Queue depth per worker.
    """
    n = len(windows)
    say = progress or (lambda f: None)
    if n == 0:
        say(1.0)
        return
    if client is None:
        for i, win in enumerate(windows):
            on_result(fn(win, *shared))
            say((i + 1) / n)
        return
    from distributed import as_completed

    futures_shared = [client.scatter(obj, broadcast=True, hash=False) for obj in shared]
    limit = max(in_flight_per_worker * _n_workers(client), 1)
    todo = iter(windows)
    outstanding = {
        client.submit(fn, win, *futures_shared, pure=False) for win in _take(todo, limit)
    }
    pending = as_completed(list(outstanding), with_results=True)
    done = 0
    try:
        for future, result in pending:
            outstanding.discard(future)
            future.release()
            on_result(result)
            del result
            done += 1
            say(done / n)
            nxt = next(todo, None)
            if nxt is not None:
                fut = client.submit(fn, nxt, *futures_shared, pure=False)
                outstanding.add(fut)
                pending.add(fut)
    except BaseException:
        # A failed tile (or an interrupt) stops the run: cancel what is queued.
        client.cancel(list(outstanding))
        raise
    finally:
        for f in futures_shared:
            f.release()


def _take(it: Iterator[Window], k: int) -> list[Window]:
    out = []
    for _ in range(k):
        nxt = next(it, None)
        if nxt is None:
            break
        out.append(nxt)
    return out


# --------------------------------------------------------------------------- full grid


def compute_grid_distributed(
    sites: pd.DataFrame,
    grid: GridSpec,
    *,
    model: str,
    link_budget: Any = None,
    tile_px: int = 1024,
    scheduler: SchedulerLike = None,
    operators: Sequence[str] | None = None,
    progress: Callable[[float], Any] | None = None,
    interference_margin_db: float = DEFAULT_INTERFERENCE_MARGIN_DB,
    engine: str = "fast",
    sinr_min_db: float | None = None,
    terrain: Any = None,
) -> GridResult:
    """:func:`phusong.raster.grid.compute_grid`, with the tiles computed by Dask workers.

    The cell table is sent to every worker once; each task runs
    :func:`phusong.raster.kernel.compute_tile` on one window and the client places the
    result into the mosaic (:meth:`GridResult.place`). Pixel for pixel equal to
    :func:`~phusong.raster.grid.compute_grid` (same function, same cell order), for any
    scheduler and tile size.

    Parameters
    ----------
    sites : DataFrame
        Canonical site table.
    grid : GridSpec
        Grid to fill.
    model : str
        Path-loss model (``"uma_nlos"`` …) or ``"disc"`` / ``"sector"``.
    link_budget : LinkBudget, optional
        Default ``LinkBudget()``.
    tile_px : int
        Tile edge [pixels]: one task per tile; bounds each worker's memory.
    scheduler : None, "processes", int, str or distributed.Client
        Where to compute (see :func:`dask_client`).
    operators : sequence of str, optional
        Operator layers.
    progress : callable, optional
        Called with the fraction of tiles done.
    interference_margin_db : float
        As for :func:`~phusong.raster.grid.compute_grid` [dB].
    engine, sinr_min_db, terrain
        As for :func:`~phusong.raster.grid.compute_grid` (``terrain`` must be
        picklable: it is sent to the workers).

    Returns
    -------
    GridResult
        ``stats`` adds ``scheduler`` and ``workers`` (Dask workers used).

    Notes
    -----
    The client holds the whole mosaic (``height × width`` × ~26 bytes plus
    ~5 bytes per operator layer). For a country at fine resolution use
    :func:`ward_coverage_tiled`, which never assembles it.
    """
    t0 = time.perf_counter()
    tile_px = positive_int(tile_px, "tile_px")
    cells, params = prepare_cells(
        sites, grid, model=model, link_budget=link_budget, operators=operators,
        interference_margin_db=interference_margin_db, engine=engine, sinr_min_db=sinr_min_db,
        terrain=terrain,
    )  # fmt: skip
    result = GridResult.allocate(grid, cells, params)
    windows = list(grid.tiles(tile_px))
    n_eval = 0

    def place(tile: TileResult) -> None:
        nonlocal n_eval
        result.place(tile, params)
        n_eval += tile.n_evaluations

    with dask_client(scheduler) as client:
        workers = _n_workers(client)
        map_tiles(client, compute_tile, windows, (cells, grid, params), place, progress=progress)
    result.stats = {
        "seconds": time.perf_counter() - t0,
        "tiles": len(windows),
        "cells": len(cells),
        "evaluations": int(n_eval),
        "workers": workers,
        "scheduler": _describe(scheduler),
    }
    log.info(
        "distributed grid %d×%d at %g m: %d cells, %d tiles on %d worker(s) in %.1f s",
        grid.width, grid.height, grid.resolution_m, len(cells), len(windows), workers,
        result.stats["seconds"],
    )  # fmt: skip
    return result


def _describe(scheduler: SchedulerLike) -> str:
    if scheduler is None:
        return "in-process"
    if isinstance(scheduler, int | str):
        return str(scheduler)
    return type(scheduler).__name__


# --------------------------------------------------------------------------- per-ward, tiled


@dataclass
class WardZones:
    """Ward polygons in the grid CRS, shipped once to every worker.

    Attributes
    ----------
    geometries : ndarray
        shapely (Multi)Polygons in the grid CRS, one per ward, in ward order.
    crs_wkt : str
        WKT of the grid CRS (for exactextract).
    """

    geometries: np.ndarray
    crs_wkt: str
    _tree: list = field(default_factory=list, repr=False, compare=False)

    def query(self, bounds: tuple[float, float, float, float]) -> np.ndarray:
        """Sorted positions of the wards whose envelope meets ``bounds`` (left, bottom, right, top)."""
        if not self._tree:
            self._tree.append(shapely.STRtree(self.geometries))
        return np.sort(self._tree[0].query(shapely.box(*bounds)))

    def tiles_hit(self, boxes: np.ndarray) -> np.ndarray:
        """Sorted positions of the ``boxes`` that intersect at least one ward."""
        if not self._tree:
            self._tree.append(shapely.STRtree(self.geometries))
        pairs = self._tree[0].query(boxes, predicate="intersects")
        return np.unique(pairs[0])

    def __getstate__(self) -> dict[str, Any]:
        # The STRtree is rebuilt where it is used, not shipped.
        return {"geometries": self.geometries, "crs_wkt": self.crs_wkt, "_tree": []}


@dataclass(frozen=True)
class PopulationSource:
    """People per pixel for a tile: a raster resampled onto the grid, or none.

    Parameters
    ----------
    path : str or None
        People-per-pixel GeoTIFF; ``None`` means the official ward populations
        are spread evenly (computed on the client from the area sums).
    """

    path: str | None = None

    @property
    def label(self) -> str:
        """``"raster:<file name>"`` or ``"uniform:official"`` (as in the other routes)."""
        return f"raster:{Path(self.path).name}" if self.path else "uniform:official"

    def tile(self, grid: GridSpec, window: Window) -> np.ndarray | None:
        """People in each pixel of ``window`` [people], float64, or ``None``."""
        if self.path is None:
            return None
        # The tile is a grid of its own (same CRS, resolution and pixel edges), so each
        # pixel gets the value the whole-grid resampling gives it, up to GDAL's
        # approximate reprojection; only the source window under the tile is read.
        people, _label = population_on_grid(self.path, grid.tile_grid(window))
        return people


@dataclass
class TileSums:
    """Partial per-ward sums of one tile.

    Attributes
    ----------
    wards : ndarray
        int64 positions of the wards met by the tile.
    area_m2 : ndarray
        ``(n, n_groups, 4)`` area of each ward in the tile per group ("any",
        then each operator) and redundancy class (0, 1, 2–4, 5+ sites) [m²].
    people : ndarray or None
        Same shape, people (population raster only) [people].
    n_evaluations : int
        Cell-pixel evaluations of the grid engine.
    seconds : float
        Wall time spent in the task [s].
    cpu_seconds : float
        CPU time of the worker process during the task [s] (less than
        ``seconds`` when the machine is shared).
    """

    wards: np.ndarray
    area_m2: np.ndarray
    people: np.ndarray | None
    n_evaluations: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def window_bounds(grid: GridSpec, window: Window) -> tuple[float, float, float, float]:
    """``(left, bottom, right, top)`` of ``window`` in the grid CRS [m]."""
    res = grid.resolution_m
    left = grid.transform.c + int(window.col_off) * res
    top = grid.transform.f - int(window.row_off) * res
    return (left, top - int(window.height) * res, left + int(window.width) * res, top)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal part of each geometry (intersections may add lines)."""
    out = geoms.copy()
    mixed = np.flatnonzero(shapely.get_type_id(out) == 7)  # GeometryCollection
    for i in mixed:
        parts = shapely.get_parts(out[i])
        polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(polys) if polys.size else shapely.Polygon()
    return out


#: Redundancy class of 0, 1, 2, 3, 4, ≥5 serving sites (index = min(n, 5)).
_CLASS_LUT = np.array([0, 1, 2, 2, 2, 3], dtype="uint8")


def ward_tile_sums(
    window: Window,
    cells: CellArrays,
    grid: GridSpec,
    params: TileParams,
    zones: WardZones,
    population: PopulationSource,
) -> TileSums:
    r"""Compute one tile and its partial per-ward sums (the tiled task; pure).

    Parameters
    ----------
    window : Window
        Tile of ``grid``.
    cells, grid, params
        As for :func:`phusong.raster.kernel.compute_tile`.
    zones : WardZones
        Ward polygons in the grid CRS.
    population : PopulationSource
        Where people are.

    Returns
    -------
    TileSums
        Empty (no ward) when no ward meets the tile; the grid engine then does
        not run at all.

    Notes
    -----
    Each ward polygon is clipped to the tile's extent and exactextract gives
    the exact fraction ``c_p`` of every tile pixel ``p`` it covers. With
    ``n_g(p)`` the serving sites of group ``g`` at ``p``, ``A`` the pixel area
    and ``P(p)`` the people in ``p``:

    .. math:: S^{area}_{w,g,k} = \sum_{p:\ class(n_g(p)) = k} c_p A ,\qquad
              S^{people}_{w,g,k} = \sum_{p:\ class(n_g(p)) = k} c_p P(p)

    Pixels belong to exactly one tile, so the sums over tiles are the sums
    over the grid.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    bounds = window_bounds(grid, window)
    pos = zones.query(bounds)
    n_groups = 1 + params.n_operators
    empty = TileSums(np.empty(0, "int64"), np.zeros((0, n_groups, N_CLASSES)), None)
    if pos.size == 0:
        return empty
    clipped = _polygonal(shapely.intersection(zones.geometries[pos], shapely.box(*bounds)))
    keep = shapely.area(clipped) > 0
    pos, clipped = pos[keep], clipped[keep]
    if pos.size == 0:
        return empty

    tile = compute_tile(window, cells, grid, params)
    h, w = int(window.height), int(window.width)
    servers = np.empty((n_groups, h, w), dtype="uint16")
    servers[0] = tile.n_servers
    servers[1:] = tile.op_n_servers
    n_eval = int(tile.n_evaluations)
    del tile
    classes = _CLASS_LUT[np.minimum(servers, 5)]
    del servers

    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    source = NumPyRasterSource(classes[0], *bounds, srs_wkt=zones.crs_wkt)
    frame = gpd.GeoDataFrame(geometry=clipped, crs=zones.crs_wkt)
    res = exact_extract(source, frame, ["cell_id", "coverage"], output="pandas")
    ids_list = list(res["cell_id"])
    cov_list = list(res["coverage"])
    lengths = np.array([len(a) for a in ids_list], dtype="int64")
    piece = np.repeat(np.arange(pos.size), lengths)
    ids = np.concatenate(ids_list).astype("int64") if lengths.sum() else np.empty(0, "int64")
    cov = np.concatenate(cov_list).astype("float64") if lengths.sum() else np.empty(0)
    people_px = population.tile(grid, window)

    area = np.zeros((pos.size, n_groups, N_CLASSES))
    people = None if people_px is None else np.zeros_like(area)
    w_area = cov * grid.pixel_area_m2
    w_people = None if people_px is None else cov * people_px.ravel()[ids]
    size = pos.size * N_CLASSES
    for g in range(n_groups):
        key = piece * N_CLASSES + classes[g].ravel()[ids]
        area[:, g, :] = np.bincount(key, weights=w_area, minlength=size).reshape(-1, N_CLASSES)
        if people is not None:
            people[:, g, :] = np.bincount(key, weights=w_people, minlength=size).reshape(
                -1, N_CLASSES
            )
    return TileSums(
        wards=pos.astype("int64"),
        area_m2=area,
        people=people,
        n_evaluations=n_eval,
        seconds=time.perf_counter() - t0,
        cpu_seconds=time.process_time() - c0,
    )


def ward_coverage_tiled(
    wards: gpd.GeoDataFrame,
    sites: pd.DataFrame,
    grid: GridSpec,
    *,
    model: str,
    link_budget: Any = None,
    tile_px: int = 1024,
    scheduler: SchedulerLike = None,
    population: str | os.PathLike[str] | None = None,
    operators: Sequence[str] | None = None,
    progress: Callable[[float], Any] | None = None,
    interference_margin_db: float = DEFAULT_INTERFERENCE_MARGIN_DB,
    stats: dict[str, Any] | None = None,
    engine: str = "fast",
    terrain: Any = None,
) -> pd.DataFrame:
    """Per-ward coverage computed tile by tile, never assembling the raster.

    Parameters
    ----------
    wards : GeoDataFrame
        Ward table (:data:`phusong.schema.WARD_COLUMNS`), any CRS.
    sites : DataFrame
        Canonical site table.
    grid : GridSpec
        Grid (:meth:`GridSpec.for_area` of ``wards``); must cover the wards.
    model : str
        Path-loss model or ``"disc"`` / ``"sector"``.
    link_budget : LinkBudget, optional
        Threshold and losses; default ``LinkBudget()``.
    tile_px : int
        Tile edge [pixels]; bounds each worker's memory; the result does not
        depend on it.
    scheduler : None, "processes", int, str or distributed.Client
        Where to compute (see :func:`dask_client`).
    population : path, optional
        People-per-pixel GeoTIFF (e.g. WorldPop); by default each ward's
        official ``population`` is spread evenly over its area.
    operators : sequence of str, optional
        Operators with their own rows (default: every operator in ``sites``).
    progress : callable, optional
        Called with the fraction of tiles done (0…1).
    interference_margin_db : float
        As for :func:`phusong.raster.grid.compute_grid` [dB].
    stats : dict, optional
        Filled with ``seconds``, ``tiles`` (computed), ``tiles_skipped`` (no
        ward), ``cells``, ``evaluations``, ``workers``, ``task_seconds`` and
        ``task_cpu_seconds`` (summed over tasks: wall and CPU time).
    engine, terrain
        As for :func:`phusong.raster.grid.compute_grid` (no SINR criterion:
        server counts here are by RSRP).

    Returns
    -------
    DataFrame
        :data:`phusong.schema.WARD_COVERAGE_COLUMNS`, one row per ward ×
        operator (``"any"`` first), wards in input order; ``attrs`` holds
        ``population_source`` (``"raster:<file>"`` or ``"uniform:official"``).
        Areas are area-weighted in the grid's equal-area CRS; populations are
        population-weighted. ``area_km2`` is the ward's area on the grid
        (exact partial pixels: the polygon's area in the grid CRS).

    Notes
    -----
    A pixel is covered for a group when at least one site of the group serves
    it (:meth:`phusong.raster.grid.GridResult.covered`). Without a population raster,
    ``covered_population = population × covered_area / area`` per ward and
    class, and the table does not depend on ``tile_px``. With a raster, each
    tile resamples it (:func:`phusong.io.population.population_on_grid` on the tile's
    grid); GDAL's approximate reprojection depends a little on the tile extent
    (people differ by ~1e-4 relative from the whole-grid figures). Gap polygons
    are not produced (they would need the raster).
    """
    t0 = time.perf_counter()
    tile_px = positive_int(tile_px, "tile_px")
    cells, params = prepare_cells(
        sites, grid, model=model, link_budget=link_budget, operators=operators,
        interference_margin_db=interference_margin_db, engine=engine, terrain=terrain,
    )  # fmt: skip
    groups = [ANY_OPERATOR, *cells.operators]
    geoms = np.asarray(wards.geometry.to_crs(grid.crs).to_numpy(), dtype=object)
    zones = WardZones(geoms, grid.crs.to_wkt())
    pop = PopulationSource(None if population is None else str(population))

    # Only tiles that meet a ward become tasks (a country's bounding box is
    # mostly sea and neighbours).
    windows_all = list(grid.tiles(tile_px))
    tile_boxes = shapely.box(*np.array([window_bounds(grid, w) for w in windows_all]).T)
    hit = zones.tiles_hit(tile_boxes) if len(windows_all) else np.empty(0, "int64")
    windows = [windows_all[i] for i in hit]

    n_wards = len(geoms)
    area = np.zeros((n_wards, len(groups), N_CLASSES))
    people = np.zeros_like(area) if pop.path else None
    n_eval = 0
    task_seconds = 0.0
    task_cpu = 0.0

    def add(part: TileSums) -> None:
        nonlocal n_eval, task_seconds, task_cpu
        np.add.at(area, part.wards, part.area_m2)
        if people is not None and part.people is not None:
            np.add.at(people, part.wards, part.people)
        n_eval += part.n_evaluations
        task_seconds += part.seconds
        task_cpu += part.cpu_seconds

    with dask_client(scheduler) as client:
        workers = _n_workers(client)
        map_tiles(
            client, ward_tile_sums, windows, (cells, grid, params, zones, pop), add,
            progress=progress,
        )  # fmt: skip
    table = _coverage_table(wards, groups, shapely.area(geoms), area, people)
    table.attrs["population_source"] = pop.label
    info = {
        "seconds": time.perf_counter() - t0,
        "tiles": len(windows),
        "tiles_skipped": len(windows_all) - len(windows),
        "cells": len(cells),
        "evaluations": int(n_eval),
        "workers": workers,
        "task_seconds": task_seconds,
        "task_cpu_seconds": task_cpu,
        "scheduler": _describe(scheduler),
    }
    if stats is not None:
        stats.update(info)
    log.info(
        "tiled ward coverage: %d wards, %d cells, %d tiles (%d skipped) on %d worker(s) in %.1f s",
        n_wards, len(cells), len(windows), info["tiles_skipped"], workers, info["seconds"],
    )  # fmt: skip
    return table


def _coverage_table(
    wards: gpd.GeoDataFrame,
    groups: list[str],
    ward_area_m2: np.ndarray,
    area_m2: np.ndarray,
    people: np.ndarray | None,
) -> pd.DataFrame:
    """Long coverage table from the summed ``(ward, group, class)`` arrays.

    The same definitions as :func:`phusong.raster.zonal.ward_coverage_raster`
    and the same table builder (:func:`phusong.coverage_table.ward_coverage_table`):
    the ward area is the polygon's area in the grid CRS, any part of it outside
    the grid counts as unserved, and without a population raster the official
    population is spread evenly over the ward.
    """
    n_wards = area_m2.shape[0]
    area_m2 = area_m2.copy()
    outside = np.maximum(ward_area_m2[:, None] - area_m2.sum(axis=2), 0.0)
    area_m2[:, :, 0] += outside
    if people is None:
        ward_pop = (
            pd.to_numeric(wards["population"], errors="coerce").to_numpy(dtype="float64")
            if "population" in wards
            else np.full(n_wards, np.nan)
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            people = area_m2 / ward_area_m2[:, None, None] * ward_pop[:, None, None]
    else:
        ward_pop = people[:, 0, :].sum(axis=1)
    return ward_coverage_table(
        wards["ward_id"].astype("string").to_numpy(),
        groups,
        area_m2=ward_area_m2,
        population=ward_pop,
        class_area_m2=area_m2,
        class_people=people,
    )


__all__ = [
    "PopulationSource",
    "TileSums",
    "WardZones",
    "compute_grid_distributed",
    "dask_client",
    "map_tiles",
    "parse_scheduler",
    "ward_coverage_tiled",
    "ward_tile_sums",
    "window_bounds",
]
