"""What the raster route keeps between audits, and how to let it go.

A plan re-audits the same wards on the same grid again and again; the app
audits the same network under many goals. Three things are kept from one
audit to the next, each keyed so that it is only ever reused for the same
inputs:

- the terrain on a grid, and the loss windows the engine swept on it
  (:func:`phusong.raster.terrain.terrain_model`, :class:`~phusong.raster.terrain.WindowCache`);
- the wards' pixel pieces and the people on the grid
  (:func:`phusong.raster.ward_pixels.ward_overlap`), with the gap polygons of
  each ward remembered on them (:attr:`~phusong.raster.ward_pixels.Overlap.memo`).

:func:`clear_caches` forgets all of it (to free memory, or to time an audit
from cold in a benchmark).
"""

from __future__ import annotations

from phusong.raster.terrain import forget_terrain
from phusong.raster.ward_pixels import forget_overlaps


def clear_caches() -> None:
    """Forget the terrain grids and windows and the ward overlaps kept between audits."""
    forget_terrain()
    forget_overlaps()


__all__ = ["clear_caches"]
