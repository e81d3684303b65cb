"""Folium maps of an audit: ward coverage around the goal, gaps, sites, sectors.

The maps are built from an :class:`phusong.audit.AuditResult` and nothing
else; they compute no coverage. :func:`embed_assets` makes a map's HTML
self-contained: Leaflet and Leaflet.markercluster (shipped in ``data/vendor/``)
are embedded as ``data:`` URLs instead of folium's CDN links, so ``map.html``
opens without a network connection (only the OpenStreetMap background tiles
need one).

Colours
-------
Wards are coloured *around the goal*: wards below the target in reds (the
darker, the further below), wards at or above it in greens. Which coverage
figure is used (population- or area-weighted) follows the goal's metric, and
the legend says which.

Display geometry
----------------
Ward and gap polygons are simplified for display only (20 m tolerance in the
equal-area CRS of :func:`phusong.geo.equal_area_crs`, coordinates rounded to
1e-5° ≈ 1 m), which keeps the HTML of the 126 Hà Nội wards small. Every figure
shown comes from the audit tables, never from the simplified shapes.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template
from folium.plugins import FastMarkerCluster

from phusong.geo import equal_area_crs
from phusong.goals import Goal
from phusong.schema import WGS84
from phusong.vector.footprints import DEFAULT_SECTOR_WIDTH_DEG

log = logging.getLogger(__name__)

#: Tile attribution shown on every map (OSM licence terms).
OSM_ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a>'
)
#: Tile URL of the standard OpenStreetMap layer.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

#: Display simplification tolerance [m] and coordinate rounding [decimal places].
SIMPLIFY_M = 20.0
ROUND_DECIMALS = 5

#: Colour classes around the goal: (points below the target at least, colour, label
#: template). The first class whose threshold the shortfall reaches is used.
_BELOW = (
    (50.0, "#67000d", "more than 50 points below"),
    (20.0, "#a50f15", "20–50 points below"),
    (10.0, "#ef3b2c", "10–20 points below"),
    (5.0, "#fc9272", "5–10 points below"),
    (0.0, "#fee0d2", "less than 5 points below"),
)
_MEETS = "#74c476"
_FULL = "#238b45"
_UNKNOWN = "#bdbdbd"
_GAP = "#54278f"
_SITE = "#08519c"

#: Compare-map classes of change [percentage points]: (upper bound, colour, label).
_CHANGE = (
    (-5.0, "#b2182b", "down by more than 5 points"),
    (-0.05, "#ef8a62", "down by up to 5 points"),
    (0.05, "#f7f7f7", "no change (within 0.05 points)"),
    (5.0, "#67a9cf", "up by up to 5 points"),
    (np.inf, "#2166ac", "up by more than 5 points"),
)


def goal_colours(values_pct: np.ndarray | pd.Series, target_pct: float) -> np.ndarray:
    """Colour of each coverage value relative to the goal.

    Parameters
    ----------
    values_pct : array-like
        Coverage [%]; NaN for unknown.
    target_pct : float
        Goal target [%].

    Returns
    -------
    ndarray of str
        Hex colours: reds below the target (darker further below), greens at or
        above it (darkest at 100 %), grey for unknown.
    """
    v = np.asarray(values_pct, dtype="float64")
    out = np.full(v.shape, _UNKNOWN, dtype=object)
    short = target_pct - v
    # Assign from the lightest red to the darkest so the darkest wins.
    for threshold, colour, _ in reversed(_BELOW):
        out[np.isfinite(v) & (short > 1e-9) & (short > threshold)] = colour
    meets = np.isfinite(v) & (short <= 1e-9)
    out[meets] = _MEETS
    out[meets & (v >= 99.95)] = _FULL
    return out


def _legend_rows(target_pct: float) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if target_pct < 99.95:
        rows.append((_FULL, "100 % (or within 0.05 points)"))
        rows.append((_MEETS, f"meets the goal: ≥ {target_pct:g} %"))
    else:
        rows.append((_FULL, f"meets the goal: ≥ {target_pct:g} %"))
    rows.extend(
        (colour, label)
        for threshold, colour, label in _BELOW
        if threshold < target_pct or threshold == 0.0
    )
    rows.append((_UNKNOWN, "unknown (no population figure)"))
    return rows


#: Simplified display geometries already computed, keyed by a digest of the input
#: geometry, its CRS and the options (re-judging an audit reuses them).
_DISPLAY_CACHE: OrderedDict[bytes, shapely.Geometry] = OrderedDict()
_DISPLAY_CACHE_SIZE = 50_000


def display_geometry(
    frame: gpd.GeoDataFrame, tolerance_m: float = SIMPLIFY_M, decimals: int = ROUND_DECIMALS
) -> gpd.GeoDataFrame:
    """Copy of ``frame`` in EPSG:4326 with geometries simplified for display.

    Parameters
    ----------
    frame : GeoDataFrame
        Polygons in any CRS.
    tolerance_m : float
        Douglas–Peucker tolerance in the equal-area CRS [m]; 0 keeps every vertex.
    decimals : int
        Decimal places kept in the output coordinates [degrees].

    Notes
    -----
    Results are memoised per geometry (keyed by a BLAKE2 digest of its WKB,
    the CRS and the options), so maps of the same audit judged against
    another goal do not simplify again.
    """
    out = frame.copy()
    if len(out) == 0:
        return out.to_crs(WGS84) if out.crs is not None else out
    crs = equal_area_crs(out)
    salt = f"{out.crs.srs}|{crs.srs}|{tolerance_m}|{decimals}".encode()
    wkb = shapely.to_wkb(np.asarray(out.geometry.values))
    keys = [hashlib.blake2b(w + salt, digest_size=16).digest() for w in wkb]
    geoms = np.array([_DISPLAY_CACHE.get(k) for k in keys], dtype=object)
    todo = np.flatnonzero([g is None for g in geoms])
    if len(todo):
        part = out.geometry.iloc[todo]
        if tolerance_m > 0:
            part = part.to_crs(crs).simplify(tolerance_m, preserve_topology=True)
        part = part.to_crs(WGS84)
        rounded = shapely.transform(np.asarray(part.values), lambda xy: np.round(xy, decimals))
        for i, g in zip(todo, rounded, strict=True):
            geoms[i] = g
            _DISPLAY_CACHE[keys[i]] = g
        while len(_DISPLAY_CACHE) > _DISPLAY_CACHE_SIZE:
            _DISPLAY_CACHE.popitem(last=False)
    attrs = pd.DataFrame({c: out[c] for c in out.columns if c != out.geometry.name})
    return gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=out.index, crs=WGS84))


def _features(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """GeoJSON FeatureCollection of a display frame (geometry via GEOS, fast)."""
    geoms = shapely.to_geojson(np.asarray(frame.geometry.values))
    cols = [c for c in frame.columns if c != frame.geometry.name]
    records = frame[cols].to_dict("records") if cols else [{}] * len(frame)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": json.loads(g)}
            for props, g in zip(records, geoms, strict=True)
            if g is not None
        ],
    }


def _pct_text(values: pd.Series) -> list[str]:
    return [f"{x:.1f} %" if np.isfinite(x) else "unknown" for x in values.astype("float64")]


def _count_text(values: pd.Series) -> list[str]:
    return [f"{x:,.0f}" if np.isfinite(x) else "unknown" for x in values.astype("float64")]


_HTML_TEMPLATE = Template("{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}")


def _html_element(body: str) -> MacroElement:
    """Wrap already escaped HTML as an element of the page body."""
    el = MacroElement()
    el._template = _HTML_TEMPLATE
    el.body = body  # type: ignore[attr-defined]  # read by _HTML_TEMPLATE
    return el


_BOX_STYLE = (
    "position:absolute;z-index:1000;background:rgba(255,255,255,0.92);"
    "padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,0.35);"
    "font:11px/1.3 'Noto Sans','Segoe UI',Arial,sans-serif;color:#222;"
)


def _legend(title: str, rows: list[tuple[str, str]], note: str = "") -> MacroElement:
    items = "".join(
        f'<div><span style="display:inline-block;width:14px;height:11px;margin-right:6px;'
        f'vertical-align:middle;border:1px solid #888;background:{c}"></span>'
        f"{html.escape(label)}</div>"
        for c, label in rows
    )
    extra = f'<div style="margin-top:4px;color:#555">{html.escape(note)}</div>' if note else ""
    body = (
        f'<div class="phusong-legend" style="{_BOX_STYLE}bottom:24px;left:10px;max-width:230px">'
        f"<b>{html.escape(title)}</b>{items}{extra}</div>"
    )
    return _html_element(body)


def _banner(title: str, subtitle: str, synthetic: bool) -> MacroElement:
    synth = (
        '<div class="phusong-synthetic" style="margin-top:3px;padding:2px 6px;background:#fff3cd;'
        'border:1px solid #d39e00;color:#7a4d00;font-weight:700">'
        "SYNTHETIC sample network — not real operator data</div>"
        if synthetic
        else ""
    )
    body = (
        f'<div class="phusong-title" style="{_BOX_STYLE}top:10px;left:54px;max-width:60%">'
        f'<b style="font-size:13px">{html.escape(title)}</b>'
        f'<div style="color:#555">{html.escape(subtitle)}</div>{synth}</div>'
    )
    return _html_element(body)


#: Front-end files of our maps by folium's asset name, in ``data/vendor/``
#: (Leaflet 1.9.3, the version folium uses, BSD-2-Clause; Leaflet.markercluster
#: 1.2.0, MIT; licences and provenance in ``data/vendor/README.md``).
VENDOR_ASSETS: dict[str, str] = {
    "leaflet": "leaflet-1.9.3/leaflet.js",
    "leaflet_css": "leaflet-1.9.3/leaflet.css",
    "markerclusterjs": "leaflet.markercluster-1.2.0/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster-1.2.0/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster-1.2.0/MarkerCluster.Default.css",
}

#: folium's default assets that our maps never use (Bootstrap, jQuery, Font
#: Awesome and awesome-markers); :func:`embed_assets` drops them.
UNUSED_ASSETS = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)


def vendor_data_urls() -> dict[str, str]:
    """Return the ``data:`` URLs of :data:`VENDOR_ASSETS`, by asset name."""
    from phusong.io.shipped import asset_data_urls

    return asset_data_urls(tuple(VENDOR_ASSETS.items()))


def embed_assets(m: folium.Map, urls: Mapping[str, str] | None = None) -> folium.Map:
    """Point a map's JavaScript and CSS at embedded copies; drop the unused ones.

    Parameters
    ----------
    m : folium.Map
        Changed in place (each element's ``default_js`` / ``default_css``).
    urls : mapping, optional
        URL per asset name; default :func:`vendor_data_urls` (a self-contained
        page). Assets in :data:`UNUSED_ASSETS` are dropped; any other asset is
        left as folium has it.

    Returns
    -------
    folium.Map
        ``m``.
    """
    urls = vendor_data_urls() if urls is None else urls
    stack: list[Any] = [m]
    while stack:
        el = stack.pop()
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if links:
                setattr(
                    el,
                    attr,
                    [(n, urls.get(n, url)) for n, url in links if n not in UNUSED_ASSETS],
                )
        stack.extend(getattr(el, "_children", {}).values())
    return m


def _base_map(frame: gpd.GeoDataFrame) -> folium.Map:
    minx, miny, maxx, maxy = frame.to_crs(WGS84).total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    folium.TileLayer(
        tiles=OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19
    ).add_to(m)
    m.fit_bounds([[float(miny), float(minx)], [float(maxy), float(maxx)]])
    return m


def _ward_layer(
    wards: gpd.GeoDataFrame, column: str, target_pct: float, name: str
) -> folium.GeoJson:
    disp = display_geometry(wards[["ward_id", "name", "geometry"]])
    disp["ward_id"] = disp["ward_id"].astype(str)
    disp["name"] = disp["name"].astype(str)
    disp["population_weighted"] = _pct_text(wards["population_coverage_pct"])
    disp["area_weighted"] = _pct_text(wards["area_coverage_pct"])
    disp["people_uncovered"] = _count_text(wards["uncovered_population"])
    disp["goal"] = np.where(wards["meets_goal"].astype(bool), "meets the goal", "below the goal")
    disp["fill"] = goal_colours(wards[column], target_pct)
    return folium.GeoJson(
        _features(disp),
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#444444",
            "weight": 0.8,
            "fillOpacity": 0.7,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#000000", "fillOpacity": 0.85},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "population_weighted", "area_weighted", "people_uncovered", "goal"],
            aliases=[
                "Ward",
                "Coverage, population-weighted",
                "Coverage, area-weighted",
                "People uncovered",
                "Goal",
            ],
            sticky=False,
        ),
        zoom_on_click=False,
    )


def _gap_layer(gaps: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> folium.GeoJson | None:
    if gaps is None or len(gaps) == 0:
        return None
    cols = [c for c in ("ward_id", "area_km2", "population") if c in gaps.columns]
    disp = display_geometry(gaps[[*cols, "geometry"]])
    disp = disp[~disp.geometry.is_empty & disp.geometry.notna()]
    if "ward_id" in disp.columns:
        names = wards.set_index(wards["ward_id"].astype(str))["name"]
        disp["ward_id"] = disp["ward_id"].astype(str)
        disp["name"] = disp["ward_id"].map(names).fillna("").astype(str)
    else:
        disp["name"] = ""
    disp["gap_area"] = (
        [f"{x:.3f} km²" for x in disp["area_km2"].astype(float)] if "area_km2" in disp else ""
    )
    disp["gap_people"] = _count_text(disp["population"]) if "population" in disp else "unknown"
    keep = [c for c in ("ward_id", "name", "gap_area", "gap_people", "geometry") if c in disp]
    return folium.GeoJson(
        _features(disp[keep]),
        name="Coverage gaps",
        style_function=lambda f: {
            "fillColor": _GAP,
            "color": _GAP,
            "weight": 0.8,
            "dashArray": "3 3",
            "fillOpacity": 0.12,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "gap_area", "gap_people"],
            aliases=["Gap in", "Area", "People"],
        ),
        zoom_on_click=False,
    )


def _site_layer(sites: gpd.GeoDataFrame, max_markers: int) -> FastMarkerCluster | None:
    if sites is None or len(sites) == 0:
        return None
    pts = sites.to_crs(WGS84)
    # One marker per site (mast): its cells share the position.
    key = pts["site_id"].astype(str) if "site_id" in pts else pd.Series(np.arange(len(pts)))
    first = ~key.duplicated().to_numpy()
    pts = pts[first]
    if len(pts) > max_markers:
        log.info("showing %d of %d site markers", max_markers, len(pts))
        pts = pts.iloc[:max_markers]
    labels = [
        html.escape(f"{sid} · {op}")
        for sid, op in zip(
            pts.get("site_id", pd.Series([""] * len(pts))).astype(str),
            pts.get("operator", pd.Series([""] * len(pts))).astype(str),
            strict=True,
        )
    ]
    data = [
        [round(float(y), 6), round(float(x), 6), lab]
        for x, y, lab in zip(pts.geometry.x, pts.geometry.y, labels, strict=True)
    ]
    callback = (
        "function (row) {"
        "var m = L.circleMarker(new L.LatLng(row[0], row[1]), {radius: 4, color: '"
        + _SITE
        + "', weight: 1, fillOpacity: 0.9});"
        "m.bindTooltip(row[2]); return m; }"
    )
    return FastMarkerCluster(data, callback=callback, name=f"Sites ({len(pts):,})")


#: Zoom level from which sector wedges are drawn (about 10 m per pixel).
WEDGE_MIN_ZOOM = 14

_WEDGE_JS = """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var cells = {{ this.cells }};
    var layer = L.layerGroup();
    var style = {color: "{{ this.colour }}", weight: 0.6, fillOpacity: 0.12, interactive: false};
    function wedge(c) {
        // c = [lat, lon, azimuth deg, beamwidth deg, range m]; local flat-earth offsets,
        // fine for display at the scale of a cell.
        var lat = c[0], lon = c[1], mLat = 111320.0, mLon = 111320.0 * Math.cos(lat * Math.PI / 180);
        var pts = [[lat, lon]], n = Math.max(2, Math.ceil(c[3] / 10));
        for (var i = 0; i <= n; i++) {
            var b = (c[2] - c[3] / 2 + c[3] * i / n) * Math.PI / 180;
            pts.push([lat + c[4] * Math.cos(b) / mLat, lon + c[4] * Math.sin(b) / mLon]);
        }
        return L.polygon(pts, style);
    }
    function refresh() {
        layer.clearLayers();
        if (map.getZoom() < {{ this.min_zoom }}) { return; }
        var view = map.getBounds().pad(0.3);
        for (var i = 0; i < cells.length; i++) {
            if (view.contains([cells[i][0], cells[i][1]])) { layer.addLayer(wedge(cells[i])); }
        }
    }
    layer.addTo(map);
    map.on("zoomend moveend", refresh);
    refresh();
})();
{% endmacro %}
"""


class SectorWedges(MacroElement):
    """Sector wedges of sectorised cells, drawn in the browser only when zoomed in.

    The page carries one short row per cell (position, azimuth, beamwidth,
    range) instead of thousands of polygons; wedges in view are drawn from
    zoom :data:`WEDGE_MIN_ZOOM` on.
    """

    _template = Template(_WEDGE_JS)

    def __init__(self, cells: list[list[float]], min_zoom: int = WEDGE_MIN_ZOOM) -> None:
        super().__init__()
        self._name = "SectorWedges"
        self.cells = json.dumps(cells, separators=(",", ":"))
        self.min_zoom = int(min_zoom)
        self.colour = _SITE


def _wedge_layer(sites: gpd.GeoDataFrame, max_wedges: int) -> SectorWedges | None:
    if sites is None or len(sites) == 0 or "azimuth_deg" not in sites.columns:
        return None
    pts = sites.to_crs(WGS84)
    az = pd.to_numeric(pts["azimuth_deg"], errors="coerce").to_numpy(dtype="float64")
    bw = (
        pd.to_numeric(pts["beamwidth_deg"], errors="coerce").to_numpy(dtype="float64")
        if "beamwidth_deg" in pts
        else np.full(len(pts), np.nan)
    )
    rng = (
        pd.to_numeric(pts["range_m"], errors="coerce").to_numpy(dtype="float64")
        if "range_m" in pts
        else np.full(len(pts), np.nan)
    )
    bw = np.where(np.isfinite(bw) & (bw > 0), np.minimum(bw, 360.0), DEFAULT_SECTOR_WIDTH_DEG)
    keep = np.isfinite(az) & np.isfinite(rng) & (rng > 0)
    if not keep.any():
        return None
    idx = np.flatnonzero(keep)[:max_wedges]
    x = np.round(pts.geometry.x.to_numpy()[idx], ROUND_DECIMALS)
    y = np.round(pts.geometry.y.to_numpy()[idx], ROUND_DECIMALS)
    cells = np.column_stack([y, x, np.round(az[idx], 1), np.round(bw[idx], 1), np.round(rng[idx])])
    return SectorWedges(cells.tolist())


def audit_map(
    result: Any,
    *,
    goal: Goal | None = None,
    show_sites: bool = True,
    show_gaps: bool = True,
    show_sectors: bool = True,
    max_site_markers: int = 5000,
    max_wedges: int = 5000,
    extra_layers: Sequence[folium.FeatureGroup] = (),
) -> folium.Map:
    """Folium map of an audit: ward coverage around the goal, gaps and sites.

    Parameters
    ----------
    result : AuditResult
        The audit (:func:`phusong.audit.run_audit`).
    goal : Goal, optional
        Goal the wards are coloured against; default the audit's goal. The
        ``meets_goal`` column of ``result.wards`` must have been judged against
        the same goal.
    show_sites, show_gaps, show_sectors : bool
        Add the site markers (clustered), the gap polygons, and the sector
        wedges (drawn from zoom :data:`WEDGE_MIN_ZOOM` on, in view only).
    max_site_markers, max_wedges : int
        Most site markers and sector wedges drawn (keeps the HTML small).
    extra_layers : sequence of folium.FeatureGroup
        More overlays (e.g. proposed sites), added on top and listed in the
        layer control. They must be added here, not afterwards: folium writes
        the control's script where the control sits, and a layer added after it
        is undefined when the control lists it.

    Returns
    -------
    folium.Map
        With a layer control, a legend, a title that names the model (and says
        SYNTHETIC when the sites are synthetic) and OpenStreetMap attribution.
    """
    goal = goal or result.params.goal
    wards = result.wards
    column = goal.column
    weighting = "population-weighted" if goal.metric == "population" else "area-weighted"
    m = _base_map(wards)
    _ward_layer(wards, column, goal.target_pct, name="Ward coverage").add_to(m)
    layer: Any
    if show_gaps:
        layer = _gap_layer(result.gaps, wards)
        if layer is not None:
            layer.add_to(m)
    if show_sectors:
        layer = _wedge_layer(result.sites, max_wedges)
        if layer is not None:
            layer.add_to(m)
    if show_sites:
        layer = _site_layer(result.sites, max_site_markers)
        if layer is not None:
            layer.add_to(m)
    for layer in extra_layers:
        layer.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    summary = result.summary
    title = (
        f"5G coverage by ward, {weighting}: city {summary.get(column, float('nan')):.1f} % "
        f"against the goal {goal.target_pct:g} %"
    )
    m.get_root().add_child(
        _banner(title, str(summary.get("model_label", "")), bool(summary.get("synthetic")))
    )
    m.get_root().add_child(
        _legend(
            f"Ward coverage ({weighting})",
            _legend_rows(goal.target_pct),
            note=f"Goal: {goal.describe()}. Dashed purple: coverage gaps. Sector wedges appear "
            f"from zoom {WEDGE_MIN_ZOOM}.",
        )
    )
    return m


def _change_colours(change: np.ndarray) -> np.ndarray:
    out = np.full(change.shape, _UNKNOWN, dtype=object)
    assigned = ~np.isfinite(change)
    for upper, colour, _ in _CHANGE:
        sel = ~assigned & (change <= upper)
        out[sel] = colour
        assigned |= sel
    return out


def compare_map(base: Any, other: Any, *, goal: Goal | None = None) -> folium.Map:
    """Folium map of the per-ward change between two audits of the same wards.

    Parameters
    ----------
    base, other : AuditResult
        The baseline and the alternative (e.g. with proposed sites).
    goal : Goal, optional
        Its metric picks the coverage figure compared; default ``base``'s goal.

    Returns
    -------
    folium.Map
        Wards coloured by the change in coverage [percentage points], blue up,
        red down, with tooltips giving both figures.
    """
    goal = goal or base.params.goal
    column = goal.column
    weighting = "population-weighted" if goal.metric == "population" else "area-weighted"
    a = base.wards[["ward_id", "name", column, "geometry"]].copy()
    a["ward_id"] = a["ward_id"].astype(str)
    b = other.wards[["ward_id", column]].copy()
    b["ward_id"] = b["ward_id"].astype(str)
    merged = a.merge(b, on="ward_id", how="left", suffixes=("_base", "_other"))
    change = (merged[f"{column}_other"] - merged[f"{column}_base"]).to_numpy(dtype="float64")
    disp = display_geometry(gpd.GeoDataFrame(merged[["ward_id", "name", "geometry"]], crs=a.crs))
    disp["name"] = disp["name"].astype(str)
    disp["before"] = _pct_text(merged[f"{column}_base"])
    disp["after"] = _pct_text(merged[f"{column}_other"])
    disp["change"] = [f"{x:+.2f} points" if np.isfinite(x) else "unknown" for x in change]
    disp["fill"] = _change_colours(change)
    m = _base_map(disp)
    folium.GeoJson(
        _features(disp),
        name="Change in ward coverage",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#444444",
            "weight": 0.8,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "before", "after", "change"],
            aliases=["Ward", "Baseline", "Alternative", "Change"],
        ),
        zoom_on_click=False,
    ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    synthetic = bool(base.summary.get("synthetic")) or bool(other.summary.get("synthetic"))
    m.get_root().add_child(
        _banner(
            f"Change in 5G coverage by ward ({weighting})",
            f"{base.summary.get('model_label', '')} → {other.summary.get('model_label', '')}",
            synthetic,
        )
    )
    m.get_root().add_child(
        _legend(
            f"Change, {weighting} [points]",
            [(c, label) for _, c, label in _CHANGE] + [(_UNKNOWN, "unknown")],
        )
    )
    return m


__all__ = [
    "OSM_ATTRIBUTION",
    "audit_map",
    "compare_map",
    "display_geometry",
    "goal_colours",
]
