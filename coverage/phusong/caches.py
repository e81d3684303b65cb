"""What is kept from one audit or plan to the next, and how to let it go.

A plan re-audits the same wards on the same grid again and again; the app
audits the same network under many goals and plans on it. These are kept,
each keyed so that it is only ever reused for the same inputs:

- the terrain on a grid, and the loss windows the engine swept on it
  (:func:`phusong.raster.terrain.terrain_model`, :class:`~phusong.raster.terrain.WindowCache`);
- the wards' pixel pieces and the people on the grid
  (:func:`phusong.raster.ward_pixels.ward_overlap`), with the gap polygons of
  each ward remembered on them (:attr:`~phusong.raster.ward_pixels.Overlap.memo`);
- the overlaps and gaps between the wards (:func:`phusong.io.wards.ward_topology`);
- a new site's footprint templates (:func:`phusong.planning.modelcover.candidate_footprints`).

:func:`clear_caches` forgets all of it (to free memory, or to time an audit
from cold in a benchmark).
"""

from __future__ import annotations

from phusong.io.wards import forget_topology
from phusong.planning.modelcover import forget_templates
from phusong.raster.terrain import forget_terrain
from phusong.raster.ward_pixels import forget_overlaps


def clear_caches() -> None:
    """Forget everything kept between audits and plans (see the module docstring)."""
    forget_terrain()
    forget_overlaps()
    forget_topology()
    forget_templates()


__all__ = ["clear_caches"]
