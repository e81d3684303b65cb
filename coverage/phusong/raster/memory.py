"""How much memory a raster grid needs, checked before anything is allocated.

A path-loss audit keeps the whole grid's layers in memory (best-server
RSRP, serving cell and site, server counts, SINR, per-operator layers) and
then the per-ward aggregation and the GeoTIFF add their own copies. At 1 m
over Hà Nội that is billions of pixels: allocating first and failing with a
``MemoryError`` (or being killed) wastes the user's time. So every grid is
priced first (:func:`grid_memory_bytes`) and refused with a
:class:`~phusong.errors.ConfigError` that says how much it needs, how much
is available and the finest resolution that fits (:func:`check_grid_memory`,
called by :func:`phusong.audit.run_audit` before the raster routes; the app
asks :func:`finest_resolution_m` for its resolution control).

Calibration
-----------
:data:`BYTES_PER_PIXEL`, :data:`TILE_BYTES_PER_PIXEL` and :data:`FIXED_BYTES`
come from the growth of the peak resident memory of ``run_audit(sample,
model="uma")`` over a warm process, measured on this project's machine:

=======  ==========  ==========  ===========
grid     pixels      measured    estimated
=======  ==========  ==========  ===========
200 m    0.17 M      36 MB       112 MB
100 m    0.69 M      118 MB      253 MB
50 m     2.76 M      389 MB      542 MB
25 m     11.05 M     1,249 MB    1,495 MB
=======  ==========  ==========  ===========

The estimate errs on the large side (1.2–3×); ``tests/test_memory.py``
checks it against a fresh measurement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from phusong.errors import ConfigError

#: Peak memory per grid pixel of the raster route with 3 operators [bytes]: the
#: assembled layers (18 B + 6 B per operator), the per-ward aggregation and the
#: GeoTIFF bands. Measured slope 104 B/px between 50 and 25 m (module docstring).
BYTES_PER_PIXEL = 115.0
#: Extra per grid pixel for each operator beyond three [bytes].
BYTES_PER_OPERATOR_PIXEL = 6.0
#: Memory that does not grow with the grid (site tables, indexes, buffers) [bytes].
FIXED_BYTES = 64 * 2**20
#: Memory per pixel of one tile in flight (distances, path loss, accumulators) [bytes].
TILE_BYTES_PER_PIXEL = 40.0
#: Tiles in flight per worker thread (one computing, one queued).
TILES_PER_WORKER = 2
#: Share of the available memory a grid may use: the rest is for everything else.
USABLE_SHARE = 0.8


@dataclass(frozen=True)
class GridCost:
    """The memory a grid needs, and what the machine offers.

    Attributes
    ----------
    pixels : int
        Grid pixels (width × height).
    needed_bytes : int
        Estimated peak memory [bytes].
    available_bytes : int or None
        Memory available to this process [bytes] (``None``: unknown).
    """

    pixels: int
    needed_bytes: int
    available_bytes: int | None

    @property
    def fits(self) -> bool:
        """Whether the grid fits in :data:`USABLE_SHARE` of the available memory."""
        if self.available_bytes is None:
            return True
        return self.needed_bytes <= USABLE_SHARE * self.available_bytes


def grid_memory_bytes(
    pixels: int,
    *,
    operators: int = 3,
    tile_px: int = 1024,
    workers: int = 2,
    assembled: bool = True,
) -> int:
    """Estimated peak memory of computing a grid [bytes].

    Parameters
    ----------
    pixels : int
        Grid pixels (width × height).
    operators : int
        Operators with their own layers.
    tile_px : int
        Tile edge [pixels].
    workers : int
        Tiles computed at once.
    assembled : bool
        Whether the whole grid is kept (the raster route); ``False`` for the
        tiled route, which keeps only the tiles in flight.

    Returns
    -------
    int
        ``FIXED + tiles in flight × tile_px² × TILE_BYTES_PER_PIXEL`` plus, when
        assembled, ``pixels × (BYTES_PER_PIXEL + BYTES_PER_OPERATOR_PIXEL ×
        max(operators − 3, 0))``.
    """
    tile = min(int(tile_px) ** 2, max(int(pixels), 1))
    in_flight = max(int(workers), 1) * TILES_PER_WORKER * tile * TILE_BYTES_PER_PIXEL
    total = FIXED_BYTES + in_flight
    if assembled:
        per_px = BYTES_PER_PIXEL + BYTES_PER_OPERATOR_PIXEL * max(int(operators) - 3, 0)
        total += int(pixels) * per_px
    return math.ceil(total)


def grid_pixels(wards: Any, resolution_m: float) -> int:
    """Pixels of the grid :meth:`GridSpec.for_area` lays over ``wards`` (nothing allocated).

    Parameters
    ----------
    wards : GeoDataFrame
        The study area, with a CRS.
    resolution_m : float
        Pixel size [m].
    """
    from phusong.raster.spec import GridSpec

    spec = GridSpec.for_area(wards, resolution_m=float(resolution_m))
    return int(spec.width) * int(spec.height)


def grid_cost(
    wards: Any,
    resolution_m: float,
    *,
    route: str = "raster",
    operators: int = 3,
    tile_px: int = 1024,
    available_bytes: int | None = None,
) -> GridCost:
    """Pixels, memory needed and memory available for a grid over ``wards``.

    ``available_bytes`` defaults to
    :func:`phusong.io.system.available_memory_bytes`.
    """
    if available_bytes is None:
        from phusong.io.system import available_memory_bytes

        available_bytes = available_memory_bytes()
    pixels = grid_pixels(wards, resolution_m)
    needed = grid_memory_bytes(
        pixels, operators=operators, tile_px=tile_px, assembled=route != "tiled"
    )
    return GridCost(pixels, needed, available_bytes)


def finest_resolution_m(
    wards: Any,
    *,
    route: str = "raster",
    operators: int = 3,
    tile_px: int = 1024,
    available_bytes: int | None = None,
    low: float = 1.0,
    high: float = 5000.0,
) -> float | None:
    """Find the finest whole-metre resolution whose grid fits in memory [m].

    Parameters
    ----------
    wards : GeoDataFrame
        The study area.
    route, operators, tile_px : optional
        As for :func:`grid_cost`.
    available_bytes : int, optional
        Memory available [bytes]; default the machine's.
    low : float
        Never below this [m] (the option's lower bound).
    high : float
        Never above this [m] (the option's upper bound).

    Returns
    -------
    float or None
        ``None`` when the memory is unknown, or when not even a ``high``-metre
        grid fits (too little memory for any grid).
    """
    cost = grid_cost(
        wards, low, route=route, operators=operators, tile_px=tile_px,
        available_bytes=available_bytes,
    )  # fmt: skip
    if cost.available_bytes is None:
        return None
    if cost.fits:
        return float(low)

    def fits(res: float) -> bool:
        return grid_cost(
            wards, res, route=route, operators=operators, tile_px=tile_px,
            available_bytes=cost.available_bytes,
        ).fits  # fmt: skip

    if not fits(high):
        return None
    budget = USABLE_SHARE * cost.available_bytes
    scale = math.sqrt(cost.needed_bytes / max(budget, 1.0))
    res = min(float(math.ceil(max(low, 1.0) * scale)), high)
    while not fits(res):
        res = min(float(math.ceil(res * 1.05 + 1)), high)
    while res - 1 >= low and fits(res - 1):
        res -= 1
    return res


def _gb(n: float) -> str:
    return f"{n / 2**30:,.1f} GB"


def check_grid_memory(
    wards: Any,
    resolution_m: float,
    *,
    route: str = "raster",
    operators: int = 3,
    tile_px: int = 1024,
    available_bytes: int | None = None,
) -> GridCost:
    """Refuse a grid that would not fit in memory, before anything is allocated.

    Parameters
    ----------
    wards : GeoDataFrame
        The study area.
    resolution_m : float
        Pixel size [m].
    route : {"raster", "tiled"}
        ``"tiled"`` keeps only the tiles in flight.
    operators, tile_px : int
        As for :func:`grid_memory_bytes`.
    available_bytes : int, optional
        Memory available [bytes]; default the machine's.

    Returns
    -------
    GridCost
        What the grid costs (when it fits).

    Raises
    ------
    ConfigError
        The grid needs more than :data:`USABLE_SHARE` of the available
        memory; the message gives both amounts and the finest resolution
        that fits (option ``resolution_m``).
    """
    cost = grid_cost(
        wards, resolution_m, route=route, operators=operators, tile_px=tile_px,
        available_bytes=available_bytes,
    )  # fmt: skip
    if cost.fits:
        return cost
    finest = finest_resolution_m(
        wards, route=route, operators=operators, tile_px=tile_px,
        available_bytes=cost.available_bytes,
    )  # fmt: skip
    advice = (
        f" The finest resolution that fits is {finest:g} m: pass [[resolution_m={finest:g}]] "
        "or coarser"
        if finest is not None
        else " No resolution fits in the memory left: close other programs"
    )
    if route != "tiled":
        advice += ", or compute tile by tile without assembling the grid ([[route=tiled]])"
    available = cost.available_bytes or 0
    raise ConfigError(
        f"[[resolution_m]]: a {float(resolution_m):g} m grid over these wards has "
        f"{cost.pixels:,} pixels and needs about {_gb(cost.needed_bytes)} of memory; this "
        f"machine has {_gb(available)} available (at most {USABLE_SHARE:.0%} of it is used)."
        f"{advice}.",
        option="resolution_m",
    )


__all__ = [
    "BYTES_PER_PIXEL",
    "FIXED_BYTES",
    "USABLE_SHARE",
    "GridCost",
    "check_grid_memory",
    "finest_resolution_m",
    "grid_cost",
    "grid_memory_bytes",
    "grid_pixels",
]
