"""Folium maps of an audit: ward coverage against the goal, gaps, sites, sectors — in Vietnamese or English.

The maps are built from an :class:`phusong.audit.AuditResult` and nothing
else; they compute no coverage. :func:`embed_assets` makes a map's HTML
self-contained: Leaflet (shipped in ``data/vendor/``) is embedded as
``data:`` URLs instead of folium's CDN links, so ``map.html`` opens without a
network connection; when the OpenStreetMap background tiles cannot load, the
map drops them and shows the wards on a plain light background
(:class:`TileFallback`). :func:`stable_ids` names every element by its place
in the map, so the same audit gives the same bytes.

Colours
-------
Wards are coloured on a colour-blind-safe scale with a break *at the goal*
(ColorBrewer's diverging orange–blue idea, safe for the common colour-vision
deficiencies): wards below the target in five oranges to browns, the darker
the further below; wards at or above it in two blues. Which coverage figure
is used (population- or area-weighted) follows the goal's metric, and the
legend says which. Coverage gaps are drawn as a dark dashed outline (no fill),
so the ward's colour stays readable; sites are small grey points; sector
wedges, ward names and site tooltips appear only when zoomed in.

Interaction
-----------
Hovering a ward shows its figures; clicking it (or picking it in the search
box, which ignores Vietnamese accents) outlines it until another ward is
chosen. The scale bar is metric only.

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
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement, Template
from folium.map import Layer

from phusong.geo import equal_area_crs
from phusong.goals import Goal
from phusong.i18n import current_language, fmt_decimal, fmt_int, fmt_pct, fmt_points, t
from phusong.output.progress import places_layer  # progress (issue #15)
from phusong.output.text import model_words, target_text
from phusong.schema import WGS84
from phusong.vector.footprints import DEFAULT_SECTOR_WIDTH_DEG

log = logging.getLogger(__name__)

#: Tile attribution shown on every map (OSM licence terms; the credit as OSM
#: words it, in every language). i18n: identifier
OSM_ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap contributors</a>'
)
#: Attribution of a WorldPop population raster (CC BY 4.0), shown when one is used. i18n: identifier
WORLDPOP_ATTRIBUTION = '<a href="https://www.worldpop.org/">WorldPop</a> (CC BY 4.0)'
#: Tile URL of the standard OpenStreetMap layer.
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
#: Background of the map where there are no tiles (and when they cannot load).
PLAIN_BACKGROUND = "#f2f1ec"

#: Display simplification tolerance [m] and coordinate rounding [decimal places].
SIMPLIFY_M = 20.0
ROUND_DECIMALS = 5

#: Zoom level from which sector wedges are drawn (about 10 m per pixel).
WEDGE_MIN_ZOOM = 14
#: Longest wedge drawn [px]: a wedge shows a cell's direction, not its range.
WEDGE_MAX_PX = 28
#: Zoom level from which ward names are written on the map.
LABEL_MIN_ZOOM = 12
#: Zoom level from which a site point shows its id and operator on hover.
SITE_TOOLTIP_MIN_ZOOM = 14

#: Colour classes below the goal: (points below the target at least, colour,
#: catalogue key of the legend label). The first class the shortfall reaches
#: is used; oranges to browns, lightness falling with the shortfall.
BELOW_GOAL = (
    (50.0, "#7f3b08", "map.class.below_50"),
    (20.0, "#b35806", "map.class.below_20"),
    (10.0, "#e08214", "map.class.below_10"),
    (5.0, "#fdb863", "map.class.below_5"),
    (0.0, "#fee0b6", "map.class.below_0"),
)
#: Wards meeting the goal, and at 100 % (within 0.05 points): blues.
MEETS_GOAL = "#92c5de"
FULL_COVERAGE = "#2166ac"
#: Wards with no population figure.
UNKNOWN = "#bdbdbd"
#: Outline of the coverage gaps, colour of the site points and wedges.
GAP_OUTLINE = "#1a1a1a"
SITE_COLOUR = "#3b3b3b"
#: Outline of the selected ward.
SELECTED_OUTLINE = "#000000"

#: Compare-map classes of change [percentage points]: (upper bound, colour,
#: catalogue key of the label); ColorBrewer RdBu (colour-blind safe).
CHANGE_CLASSES = (
    (-5.0, "#b2182b", "map.change.down_5"),
    (-0.05, "#ef8a62", "map.change.down_0"),
    (0.05, "#f7f7f7", "map.change.none"),
    (5.0, "#67a9cf", "map.change.up_0"),
    (np.inf, "#2166ac", "map.change.up_5"),
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
        Hex colours: oranges to browns below the target (darker further below,
        :data:`BELOW_GOAL`), blues at or above it (:data:`MEETS_GOAL`, darkest
        at 100 %: :data:`FULL_COVERAGE`), grey for unknown.
    """
    v = np.asarray(values_pct, dtype="float64")
    out = np.full(v.shape, UNKNOWN, dtype=object)
    short = target_pct - v
    # Assign from the lightest class to the darkest so the darkest wins.
    for threshold, colour, _ in reversed(BELOW_GOAL):
        out[np.isfinite(v) & (short > 1e-9) & (short > threshold)] = colour
    meets = np.isfinite(v) & (short <= 1e-9)
    out[meets] = MEETS_GOAL
    out[meets & (v >= 99.95)] = FULL_COVERAGE
    return out


def legend_rows(target_pct: float, lang: str | None = None) -> list[tuple[str, str]]:
    """Rows of the ward legend, best first: ``(colour, label)``; ``("", label)`` is the goal line."""
    code = current_language(lang)
    target = fmt_decimal(target_pct, code, None)
    rows: list[tuple[str, str]] = []
    if target_pct < 99.95:
        rows.append((FULL_COVERAGE, t("map.class.full", code)))
    rows.append(
        (
            MEETS_GOAL if target_pct < 99.95 else FULL_COVERAGE,
            t("map.class.meets", code, target=target),
        )
    )
    rows.append(("", t("map.goal_line", code, target=target)))
    rows.extend(
        (colour, t(key, code))
        for threshold, colour, key in BELOW_GOAL
        if threshold < target_pct or threshold == 0.0
    )
    rows.append((UNKNOWN, t("map.class.unknown", code)))
    return rows


# --------------------------------------------------------------------------
# Display geometry
# --------------------------------------------------------------------------
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


def _pct_text(values: pd.Series, lang: str) -> list[str]:
    return [fmt_pct(x, lang, 1) for x in values.astype("float64")]


def _count_text(values: pd.Series, lang: str) -> list[str]:
    return [fmt_int(x, lang) for x in values.astype("float64")]


def _js(value: Any) -> str:
    """``value`` as a JavaScript literal that is safe inside ``<script>`` (no ``</``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


# --------------------------------------------------------------------------
# Boxes over the map: title banner and legend
# --------------------------------------------------------------------------
_HTML_TEMPLATE = Template("{% macro html(this, kwargs) %}{{ this.body }}{% endmacro %}")


def _html_element(body: str) -> MacroElement:
    """Wrap already escaped HTML as an element of the page body."""
    el = MacroElement()
    el._template = _HTML_TEMPLATE
    el.body = body  # type: ignore[attr-defined]  # read by _HTML_TEMPLATE
    return el


_BOX_STYLE = (
    "position:absolute;z-index:1000;background:rgba(255,255,255,0.94);"
    "padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,0.35);"
    "font:11px/1.35 'Noto Sans','Segoe UI',Arial,sans-serif;color:#222;"
)


def _swatch(colour: str, style: str = "") -> str:
    return (
        '<span style="display:inline-block;width:14px;height:11px;margin-right:6px;'
        f'vertical-align:middle;border:1px solid #888;background:{colour};{style}"></span>'
    )


def _legend(title: str, rows: list[tuple[str, str]], notes: Sequence[str] = ()) -> MacroElement:
    """Legend box (bottom left): colour rows; a row without colour is the goal line."""
    items = "".join(
        f"<div>{_swatch(c)}{html.escape(label)}</div>"
        if c
        else '<div style="margin:3px 0;border-top:2px solid #000;padding-top:1px;'
        f'font-weight:700">▲ {html.escape(label)}</div>'
        for c, label in rows
    )
    extra = "".join(f'<div style="margin-top:4px;color:#444">{n}</div>' for n in notes)
    body = (
        f'<div class="phusong-legend" style="{_BOX_STYLE}bottom:38px;left:10px;max-width:250px">'
        f"<b>{html.escape(title)}</b>{items}{extra}</div>"
    )
    return _html_element(body)


def _banner(title: str, subtitle: str, synthetic: bool, lang: str) -> MacroElement:
    """Title box (top, right of the zoom buttons), with the SYNTHETIC label when synthetic."""
    synth = (
        '<div class="phusong-synthetic" style="margin-top:3px;padding:2px 6px;background:#fff3cd;'
        'border:1px solid #d39e00;color:#7a4d00;font-weight:700">'
        f"{html.escape(t('synthetic.short', lang))}</div>"
        if synthetic
        else ""
    )
    body = (
        f'<div class="phusong-title" style="{_BOX_STYLE}top:10px;left:54px;max-width:55%">'
        f'<b style="font-size:13px">{html.escape(title)}</b>'
        f'<div style="color:#555">{html.escape(subtitle)}</div>{synth}</div>'
    )
    return _html_element(body)


# --------------------------------------------------------------------------
# Embedded front-end assets and stable element names
# --------------------------------------------------------------------------
#: Front-end files of our maps by folium's asset name, in ``data/vendor/``
#: (Leaflet 1.9.3, the version folium uses, BSD-2-Clause; Leaflet.markercluster
#: 1.2.0, MIT, for maps that still cluster markers; licences and provenance in
#: ``data/vendor/README.md``).
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


def _walk(root: Any) -> list[Any]:
    """Every element below ``root`` (included), depth first, in the order they were added."""
    out, stack = [], [root]
    while stack:
        el = stack.pop()
        out.append(el)
        stack.extend(reversed(list(getattr(el, "_children", {}).values())))
    return out


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
    for el in _walk(m):
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if links:
                setattr(
                    el,
                    attr,
                    [(n, urls.get(n, url)) for n, url in links if n not in UNUSED_ASSETS],
                )
    return m


def stable_ids(m: folium.Map) -> folium.Map:
    """Name every element of a map by its place in the tree instead of a random UUID.

    folium names each element ``<kind>_<uuid4>``; the page's JavaScript uses
    those names, so two renders of the same map differ. This gives the
    ``n``-th element of the tree (depth first, from the page root) the id
    ``"%032x" % n``, so the same audit gives a byte-identical page.
    """
    for n, el in enumerate(_walk(m.get_root())):
        el._id = f"{n:032x}"
    return m


# --------------------------------------------------------------------------
# Map pieces drawn in the browser
# --------------------------------------------------------------------------
class _ScriptLayer(Layer):
    """A layer whose JavaScript is one template: defines ``this.get_name()`` as a layer group."""

    def __init__(self, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)


_SITE_JS = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.layerGroup();
(function () {
    var map = {{ this._parent.get_name() }}, group = {{ this.get_name() }};
    var sites = {{ this.sites }}, renderer = L.canvas({padding: 0.3});
    function refresh() {
        group.clearLayers();
        if (!map.hasLayer(group)) { return; }
        var z = map.getZoom(), live = z >= {{ this.tooltip_zoom }};
        var r = z < 12 ? 1.6 : (z < 14 ? 2.4 : 3.5), view = map.getBounds().pad(0.3);
        for (var i = 0; i < sites.length; i++) {
            var s = sites[i];
            if (!view.contains([s[0], s[1]])) { continue; }
            var p = L.circleMarker([s[0], s[1]], {radius: r, stroke: false, fillColor: "{{ this.colour }}",
                fillOpacity: 0.85, interactive: live, renderer: renderer});
            if (live) { p.bindTooltip(s[2]); }
            group.addLayer(p);
        }
    }
    map.on("zoomend moveend overlayadd", refresh);
    group.on("add", function () { setTimeout(refresh, 0); });
})();
{% endmacro %}
"""


class SitePoints(_ScriptLayer):
    """Sites as small grey points (no clusters): one row per site, drawn in view only.

    Points do not take the mouse (the ward under them does) until zoom
    :data:`SITE_TOOLTIP_MIN_ZOOM`, where hovering one shows its id and operator.
    """

    _template = Template(_SITE_JS)

    def __init__(self, rows: list[list[Any]], name: str) -> None:
        super().__init__(name)
        self._name = "SitePoints"
        self.sites = _js(rows)
        self.tooltip_zoom = SITE_TOOLTIP_MIN_ZOOM
        self.colour = SITE_COLOUR


_WEDGE_JS = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.layerGroup();
(function () {
    var map = {{ this._parent.get_name() }}, group = {{ this.get_name() }};
    var cells = {{ this.cells }};
    var style = {color: "{{ this.colour }}", weight: 0.6, fillOpacity: 0.12, interactive: false};
    function wedge(c, maxM) {
        // c = [lat, lon, azimuth deg, beamwidth deg, range m]; local flat-earth offsets,
        // fine for display at the scale of a cell. The wedge shows the direction only:
        // its length is the cell's range, at most {{ this.max_px }} px.
        var lat = c[0], lon = c[1], mLat = 111320.0, mLon = 111320.0 * Math.cos(lat * Math.PI / 180);
        var len = Math.min(c[4], maxM), pts = [[lat, lon]], n = Math.max(2, Math.ceil(c[3] / 10));
        for (var i = 0; i <= n; i++) {
            var b = (c[2] - c[3] / 2 + c[3] * i / n) * Math.PI / 180;
            pts.push([lat + len * Math.cos(b) / mLat, lon + len * Math.sin(b) / mLon]);
        }
        return L.polygon(pts, style);
    }
    function refresh() {
        group.clearLayers();
        if (!map.hasLayer(group) || map.getZoom() < {{ this.min_zoom }}) { return; }
        var view = map.getBounds().pad(0.3), c0 = map.getCenter();
        var mPerPx = 40075016.686 * Math.cos(c0.lat * Math.PI / 180) / Math.pow(2, map.getZoom() + 8);
        for (var i = 0; i < cells.length; i++) {
            if (view.contains([cells[i][0], cells[i][1]])) {
                group.addLayer(wedge(cells[i], {{ this.max_px }} * mPerPx));
            }
        }
    }
    map.on("zoomend moveend overlayadd", refresh);
    group.on("add", function () { setTimeout(refresh, 0); });
})();
{% endmacro %}
"""


class SectorWedges(_ScriptLayer):
    """Sector wedges of sectorised cells, drawn in the browser only when zoomed in.

    The page carries one short row per cell (position, azimuth, beamwidth,
    range) instead of thousands of polygons; wedges in view are drawn from
    zoom :data:`WEDGE_MIN_ZOOM` on, at most :data:`WEDGE_MAX_PX` pixels long,
    so that neighbouring cells do not merge into one mass.
    """

    _template = Template(_WEDGE_JS)

    def __init__(self, cells: list[list[float]], name: str, min_zoom: int = WEDGE_MIN_ZOOM) -> None:
        super().__init__(name)
        self._name = "SectorWedges"
        self.cells = _js(cells)
        self.min_zoom = int(min_zoom)
        self.max_px = WEDGE_MAX_PX
        self.colour = SITE_COLOUR


_LABEL_JS = """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.layerGroup();
(function () {
    var map = {{ this._parent.get_name() }}, group = {{ this.get_name() }};
    var labels = {{ this.labels }};
    function refresh() {
        group.clearLayers();
        if (!map.hasLayer(group) || map.getZoom() < {{ this.min_zoom }}) { return; }
        var view = map.getBounds().pad(0.1);
        for (var i = 0; i < labels.length; i++) {
            if (!view.contains([labels[i][0], labels[i][1]])) { continue; }
            var span = document.createElement("span");
            span.textContent = labels[i][2];
            group.addLayer(L.marker([labels[i][0], labels[i][1]], {interactive: false, keyboard: false,
                icon: L.divIcon({className: "phusong-ward-label", html: span, iconSize: null})}));
        }
    }
    map.on("zoomend moveend overlayadd", refresh);
    group.on("add", function () { setTimeout(refresh, 0); });
})();
{% endmacro %}
"""


class WardLabels(_ScriptLayer):
    """Ward names at a point inside each ward, written from zoom :data:`LABEL_MIN_ZOOM` on."""

    _template = Template(_LABEL_JS)

    def __init__(self, rows: list[list[Any]], name: str) -> None:
        super().__init__(name)
        self._name = "WardLabels"
        self.labels = _js(rows)
        self.min_zoom = LABEL_MIN_ZOOM


_FOCUS_JS = """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, wards = {{ this.layer }}, selected = null;
    var hover = {weight: 2.5, color: "#000000"}, picked = {weight: 4, color: "{{ this.outline }}"};
    function keep() { if (selected) { selected.setStyle(picked); selected.bringToFront(); } }
    function select(layer, fit) {
        if (selected && selected !== layer) { wards.resetStyle(selected); }
        selected = layer; keep();
        if (fit) { map.fitBounds(layer.getBounds(), {maxZoom: 14}); }
    }
    wards.eachLayer(function (layer) {
        layer.on("mouseover", function () { if (layer !== selected) { layer.setStyle(hover); } });
        layer.on("mouseout", function () { if (layer !== selected) { wards.resetStyle(layer); } keep(); });
        layer.on("click", function () { select(layer, false); });
    });
    function plain(s) {
        return s.normalize("NFD").replace(/[\\u0300-\\u036f]/g, "").replace(/đ/g, "d")
            .replace(/Đ/g, "D").toLowerCase().trim();
    }
    var byName = {}, names = [];
    wards.eachLayer(function (layer) {
        var name = String(layer.feature.properties.name);
        byName[plain(name)] = layer; names.push(name);
    });
    names.sort(function (a, b) { return a.localeCompare(b, "vi"); });
    var Search = L.Control.extend({
        onAdd: function () {
            var box = L.DomUtil.create("div", "phusong-search leaflet-bar");
            var input = L.DomUtil.create("input", "", box), list = L.DomUtil.create("datalist", "", box);
            list.id = "{{ this.get_name() }}_names";
            input.type = "search"; input.placeholder = {{ this.placeholder }};
            input.setAttribute("aria-label", {{ this.placeholder }});
            input.setAttribute("list", list.id);
            names.forEach(function (n) { var o = document.createElement("option"); o.value = n; list.appendChild(o); });
            function go() {
                var q = plain(input.value), hit = byName[q];
                if (!hit && q) {
                    for (var k in byName) { if (k.indexOf(q) >= 0) { hit = byName[k]; break; } }
                }
                if (hit) { select(hit, true); hit.openTooltip(); }
            }
            L.DomEvent.on(input, "change", go);
            L.DomEvent.on(input, "keydown", function (e) { if (e.key === "Enter") { go(); } });
            L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
            return box;
        }
    });
    new Search({position: "topright"}).addTo(map);
})();
{% endmacro %}
"""


class WardFocus(MacroElement):
    """Hover outline, click to select a ward (kept outlined), and a ward search box.

    The search box lists every ward name (an HTML ``datalist``); typing a name
    with or without accents ("Ba Dinh") and pressing Enter zooms to the ward
    and selects it.
    """

    _template = Template(_FOCUS_JS)

    def __init__(self, layer: folium.GeoJson, placeholder: str) -> None:
        super().__init__()
        self._name = "WardFocus"
        self.layer_element = layer
        self.placeholder = _js(placeholder)
        self.outline = SELECTED_OUTLINE

    def render(self, **kwargs: Any) -> Any:
        """Render with the ward layer's JavaScript name (known only once the map is built)."""
        self.layer = self.layer_element.get_name()
        return super().render(**kwargs)


_FALLBACK_JS = """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, tiles = {{ this.tiles }}, failed = 0, loaded = 0;
    map.getContainer().style.background = "{{ this.background }}";
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () {
        failed += 1;
        if (failed >= {{ this.max_errors }} && loaded === 0 && map.hasLayer(tiles)) {
            map.removeLayer(tiles);
            var note = L.control({position: "bottomright"});
            note.onAdd = function () {
                var d = L.DomUtil.create("div", "phusong-offline");
                d.textContent = {{ this.message }};
                return d;
            };
            note.addTo(map);
        }
    });
})();
{% endmacro %}
"""


class TileFallback(MacroElement):
    """A plain light background when the background tiles cannot load (offline, blocked).

    After :attr:`max_errors` failed tiles and none loaded, the tile layer is
    removed (no broken grey squares) and a short note says so; the wards stay.
    """

    _template = Template(_FALLBACK_JS)

    def __init__(self, tiles: folium.TileLayer, message: str, max_errors: int = 3) -> None:
        super().__init__()
        self._name = "TileFallback"
        self.tiles_element = tiles
        self.message = _js(message)
        self.max_errors = int(max_errors)
        self.background = PLAIN_BACKGROUND

    def render(self, **kwargs: Any) -> Any:
        """Render with the tile layer's JavaScript name."""
        self.tiles = self.tiles_element.get_name()
        return super().render(**kwargs)


_SCALE_JS = """
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false, maxWidth: 150}).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""


class MetricScale(MacroElement):
    """A metric-only scale bar (Leaflet's default also shows miles and feet)."""

    _template = Template(_SCALE_JS)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


_CSS = (
    "<style>"
    f".leaflet-container{{background:{PLAIN_BACKGROUND}}}"
    ".phusong-ward-label span{display:block;transform:translate(-50%,-50%);white-space:nowrap;"
    "font:600 11px/1.1 'Noto Sans','Segoe UI',Arial,sans-serif;color:#1b1b1b;"
    "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;pointer-events:none}"
    ".phusong-search input{width:13rem;padding:5px 7px;border:0;border-radius:4px;"
    "font:12px 'Noto Sans','Segoe UI',Arial,sans-serif}"
    ".phusong-offline{background:rgba(255,255,255,0.92);padding:3px 7px;border-radius:3px;"
    "font:11px 'Noto Sans','Segoe UI',Arial,sans-serif;color:#444}"
    "</style>"
)


# --------------------------------------------------------------------------
# The layers of an audit map
# --------------------------------------------------------------------------
def _attribution(summary: Mapping[str, Any]) -> str:
    """OpenStreetMap (tiles and ward boundaries), plus WorldPop when its raster was used."""
    source = str(summary.get("population_source") or "")
    worldpop = source.startswith(("raster:", "dasymetric:")) and "worldpop" in source.lower()
    return OSM_ATTRIBUTION + (" · " + WORLDPOP_ATTRIBUTION if worldpop else "")


def _base_map(frame: gpd.GeoDataFrame, attribution: str, lang: str) -> folium.Map:
    """Map fitted to ``frame``, OSM tiles with a plain fallback, metric scale, page CSS."""
    minx, miny, maxx, maxy = frame.to_crs(WGS84).total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=False,
        prefer_canvas=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    tiles = folium.TileLayer(
        tiles=OSM_TILES, attr=attribution, name=t("map.layer.background", lang), max_zoom=19
    )
    tiles.add_to(m)
    TileFallback(tiles, t("map.tiles_offline", lang)).add_to(m)
    MetricScale().add_to(m)
    root = cast(Figure, m.get_root())  # a folium map's root is always its Figure
    root.header.add_child(Element(_CSS), name="phusong_css")
    m.fit_bounds([[float(miny), float(minx)], [float(maxy), float(maxx)]], padding=(6, 6))
    return m


def _ward_tooltip_frame(
    wards: gpd.GeoDataFrame, column: str, target_pct: float, lang: str
) -> gpd.GeoDataFrame:
    """Display frame of the wards: simplified geometry, fill colour and the tooltip's text."""
    disp = display_geometry(wards[["ward_id", "name", "geometry"]])
    disp["ward_id"] = disp["ward_id"].astype(str)
    disp["name"] = disp["name"].astype(str)
    disp["population_weighted"] = _pct_text(wards["population_coverage_pct"], lang)
    disp["area_weighted"] = _pct_text(wards["area_coverage_pct"], lang)
    disp["people_uncovered"] = _count_text(wards["uncovered_population"], lang)
    meets, below = t("map.goal.meets", lang), t("map.goal.below", lang)
    disp["goal"] = np.where(wards["meets_goal"].astype(bool), meets, below)
    disp["fill"] = goal_colours(wards[column], target_pct)
    return disp


def _ward_layer(
    wards: gpd.GeoDataFrame,
    column: str,
    target_pct: float,
    name: str,
    lang: str,
    attribution: str = OSM_ATTRIBUTION,
) -> folium.GeoJson:
    """Build the ward layer: wards coloured against the goal, with their figures on hover.

    The layer carries the map's attribution too (the ward boundaries are
    OpenStreetMap's), so the credit stays when the background tiles are dropped.
    """
    disp = _ward_tooltip_frame(wards, column, target_pct, lang)
    return folium.GeoJson(
        _features(disp),
        name=name,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#555555",
            "weight": 0.7,
            "fillOpacity": 0.72,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "population_weighted", "area_weighted", "people_uncovered", "goal"],
            aliases=[
                t("map.tooltip.ward", lang),
                t("map.tooltip.population", lang),
                t("map.tooltip.area", lang),
                t("map.tooltip.uncovered", lang),
                t("map.tooltip.goal", lang),
            ],
            sticky=True,
        ),
        zoom_on_click=False,
        attribution=attribution,
    )


def _label_layer(wards: gpd.GeoDataFrame, lang: str) -> WardLabels:
    """Ward names at a point surely inside each ward (equal-area representative point)."""
    pts = wards.to_crs(equal_area_crs(wards)).representative_point().to_crs(WGS84)
    rows = [
        [round(float(p.y), ROUND_DECIMALS), round(float(p.x), ROUND_DECIMALS), str(n)]
        for p, n in zip(pts, wards["name"], strict=True)
    ]
    return WardLabels(rows, t("map.layer.labels", lang))


def _gap_layer(gaps: gpd.GeoDataFrame, lang: str) -> folium.GeoJson | None:
    """Coverage gaps as a dark dashed outline with no fill, not taking the mouse."""
    if gaps is None or len(gaps) == 0:
        return None
    disp = display_geometry(gaps[["geometry"]])
    disp = disp[~disp.geometry.is_empty & disp.geometry.notna()]
    if len(disp) == 0:
        return None
    return folium.GeoJson(
        _features(disp),
        name=t("map.layer.gaps", lang),
        style_function=lambda f: {
            "fill": False,
            "color": GAP_OUTLINE,
            "weight": 1.1,
            "opacity": 0.85,
            "dashArray": "4 3",
        },
        interactive=False,
        zoom_on_click=False,
    )


def _site_layer(sites: gpd.GeoDataFrame, max_markers: int, lang: str) -> SitePoints | None:
    if sites is None or len(sites) == 0:
        return None
    pts = sites.to_crs(WGS84)
    # One point per site (mast): its cells share the position.
    key = pts["site_id"].astype(str) if "site_id" in pts else pd.Series(np.arange(len(pts)))
    pts = pts[~key.duplicated().to_numpy()]
    if len(pts) > max_markers:
        log.info("showing %d of %d site points", max_markers, len(pts))
        pts = pts.iloc[:max_markers]
    blank = pd.Series([""] * len(pts), index=pts.index)
    labels = [
        html.escape(f"{sid} · {op}")
        for sid, op in zip(
            pts["site_id"].astype(str) if "site_id" in pts else blank,
            pts["operator"].astype(str) if "operator" in pts else blank,
            strict=True,
        )
    ]
    rows = [
        [round(float(y), 6), round(float(x), 6), lab]
        for x, y, lab in zip(pts.geometry.x, pts.geometry.y, labels, strict=True)
    ]
    return SitePoints(rows, t("map.layer.sites", lang, n=fmt_int(len(pts), lang)))


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return a column as float64 (NaN where missing or not a number; all NaN without the column)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype="float64")


def _wedge_layer(sites: gpd.GeoDataFrame, max_wedges: int, lang: str) -> SectorWedges | None:
    if sites is None or len(sites) == 0 or "azimuth_deg" not in sites.columns:
        return None
    pts = sites.to_crs(WGS84)
    az, bw, rng = (_numeric(pts, c) for c in ("azimuth_deg", "beamwidth_deg", "range_m"))
    bw = np.where(np.isfinite(bw) & (bw > 0), np.minimum(bw, 360.0), DEFAULT_SECTOR_WIDTH_DEG)
    keep = np.isfinite(az) & np.isfinite(rng) & (rng > 0)
    if not keep.any():
        return None
    idx = np.flatnonzero(keep)[:max_wedges]
    x = np.round(pts.geometry.x.to_numpy()[idx], ROUND_DECIMALS)
    y = np.round(pts.geometry.y.to_numpy()[idx], ROUND_DECIMALS)
    cells = np.column_stack([y, x, np.round(az[idx], 1), np.round(bw[idx], 1), np.round(rng[idx])])
    return SectorWedges(cells.tolist(), t("map.layer.wedges", lang))


def _legend_notes(lang: str, show_gaps: bool, show_sites: bool, show_sectors: bool) -> list[str]:
    """Legend lines (HTML) for the gap outline, the site points, wedges and labels."""
    notes = []
    if show_gaps:
        line = f'<span style="display:inline-block;width:14px;height:9px;margin-right:6px;border:1.5px dashed {GAP_OUTLINE}"></span>'
        notes.append(line + html.escape(t("map.legend.gaps", lang)))
    if show_sites:
        dot = f'<span style="display:inline-block;width:6px;height:6px;margin:0 10px 1px 4px;border-radius:50%;background:{SITE_COLOUR}"></span>'
        notes.append(dot + html.escape(t("map.legend.sites", lang)))
    zoom = html.escape(
        t("map.legend.zoom", lang, labels=LABEL_MIN_ZOOM, wedges=WEDGE_MIN_ZOOM)
        if show_sectors
        else t("map.legend.zoom_labels", lang, labels=LABEL_MIN_ZOOM)
    )
    notes.append(zoom)
    return notes


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
    lang: str | None = None,
) -> folium.Map:
    """Folium map of an audit: ward coverage against the goal, gaps and sites.

    Parameters
    ----------
    result : AuditResult
        The audit (:func:`phusong.audit.run_audit`).
    goal : Goal, optional
        Goal the wards are coloured against; default the audit's goal. The
        ``meets_goal`` column of ``result.wards`` must have been judged against
        the same goal.
    show_sites, show_gaps, show_sectors : bool
        Add the site points, the gap outlines, and the sector wedges (drawn
        from zoom :data:`WEDGE_MIN_ZOOM` on, in view only).
    max_site_markers, max_wedges : int
        Most site points and sector wedges drawn (keeps the HTML small).
    extra_layers : sequence of folium.FeatureGroup
        More overlays (e.g. proposed sites), added on top and listed in the
        layer control. They must be added here, not afterwards: folium writes
        the control's script where the control sits, and a layer added after it
        is undefined when the control lists it.
    lang : str, optional
        ``"vi"`` or ``"en"`` for every word on the map; default
        :func:`phusong.i18n.current_language`.

    Returns
    -------
    folium.Map
        Fitted to the wards, with a layer control, a ward search box, a metric
        scale, a legend with the goal break, a title that names the model (and
        says SYNTHETIC when the sites are synthetic) and OpenStreetMap
        attribution.
    """
    code = current_language(lang)
    goal = goal or result.params.goal
    wards, summary = result.wards, result.summary
    weighting = t(f"weighting.{goal.metric}", code)
    credit = _attribution(summary)
    m = _base_map(wards, credit, code)
    ward_layer = _ward_layer(
        wards, goal.column, goal.target_pct, t("map.layer.wards", code), code, credit
    )
    ward_layer.add_to(m)
    layers: list[Any] = [
        _gap_layer(result.gaps, code) if show_gaps else None,
        _wedge_layer(result.sites, max_wedges, code) if show_sectors else None,
        _site_layer(result.sites, max_site_markers, code) if show_sites else None,
        _label_layer(wards, code),
        places_layer(result, code),  # progress (issue #15): target places by status
        *extra_layers,
    ]
    for layer in layers:
        if layer is not None:
            layer.add_to(m)
    WardFocus(ward_layer, t("map.search", code)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    title = t(
        "map.title",
        code,
        weighting=weighting,
        city=fmt_pct(summary.get(goal.column), code, 1),
        target=target_text(goal.target_pct, code),
    )
    root = m.get_root()
    root.add_child(_banner(title, model_words(summary, code), bool(summary.get("synthetic")), code))
    notes = _legend_notes(code, show_gaps, show_sites, show_sectors)
    root.add_child(
        _legend(
            t("map.legend.title", code, weighting=weighting),
            legend_rows(goal.target_pct, code),
            notes,
        )
    )
    return m


# --------------------------------------------------------------------------
# Compare map
# --------------------------------------------------------------------------
def _change_colours(change: np.ndarray) -> np.ndarray:
    out = np.full(change.shape, UNKNOWN, dtype=object)
    assigned = ~np.isfinite(change)
    for upper, colour, _ in CHANGE_CLASSES:
        sel = ~assigned & (change <= upper)
        out[sel] = colour
        assigned |= sel
    return out


def compare_map(
    base: Any, other: Any, *, goal: Goal | None = None, lang: str | None = None
) -> folium.Map:
    """Folium map of the per-ward change between two audits of the same wards.

    Parameters
    ----------
    base, other : AuditResult
        The baseline and the alternative (e.g. with proposed sites).
    goal : Goal, optional
        Its metric picks the coverage figure compared; default ``base``'s goal.
    lang : str, optional
        ``"vi"`` or ``"en"``; default :func:`phusong.i18n.current_language`.

    Returns
    -------
    folium.Map
        Wards coloured by the change in coverage [percentage points], blue up,
        red down (ColorBrewer RdBu), with tooltips giving both figures.
    """
    code = current_language(lang)
    goal = goal or base.params.goal
    column = goal.column
    weighting = t(f"weighting.{goal.metric}", code)
    a = base.wards[["ward_id", "name", column, "geometry"]].copy()
    a["ward_id"] = a["ward_id"].astype(str)
    b = other.wards[["ward_id", column]].copy()
    b["ward_id"] = b["ward_id"].astype(str)
    merged = a.merge(b, on="ward_id", how="left", suffixes=("_base", "_other"))
    change = (merged[f"{column}_other"] - merged[f"{column}_base"]).to_numpy(dtype="float64")
    disp = display_geometry(gpd.GeoDataFrame(merged[["ward_id", "name", "geometry"]], crs=a.crs))
    disp["name"] = disp["name"].astype(str)
    disp["before"] = _pct_text(merged[f"{column}_base"], code)
    disp["after"] = _pct_text(merged[f"{column}_other"], code)
    disp["change"] = [fmt_points(x, code, 2, sign=True) for x in change]
    disp["fill"] = _change_colours(change)
    credit = _attribution(base.summary)
    m = _base_map(disp, credit, code)
    layer = folium.GeoJson(
        _features(disp),
        name=t("map.layer.change", code),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#555555",
            "weight": 0.7,
            "fillOpacity": 0.78,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "before", "after", "change"],
            aliases=[
                t("map.tooltip.ward", code),
                t("map.tooltip.before", code),
                t("map.tooltip.after", code),
                t("map.tooltip.change", code),
            ],
            sticky=True,
        ),
        zoom_on_click=False,
        attribution=credit,
    )
    layer.add_to(m)
    _label_layer(base.wards, code).add_to(m)
    WardFocus(layer, t("map.search", code)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    synthetic = bool(base.summary.get("synthetic")) or bool(other.summary.get("synthetic"))
    subtitle = f"{model_words(base.summary, code)} → {model_words(other.summary, code)}"
    root = m.get_root()
    root.add_child(
        _banner(t("map.compare.title", code, weighting=weighting), subtitle, synthetic, code)
    )
    rows = [(c, t(key, code)) for _, c, key in CHANGE_CLASSES] + [
        (UNKNOWN, t("common.unknown", code))
    ]
    root.add_child(_legend(t("map.compare.legend", code, weighting=weighting), rows))
    return m


__all__ = [
    "BELOW_GOAL",
    "CHANGE_CLASSES",
    "FULL_COVERAGE",
    "LABEL_MIN_ZOOM",
    "MEETS_GOAL",
    "OSM_ATTRIBUTION",
    "UNKNOWN",
    "WEDGE_MIN_ZOOM",
    "MetricScale",
    "SectorWedges",
    "SitePoints",
    "TileFallback",
    "WardFocus",
    "WardLabels",
    "audit_map",
    "compare_map",
    "display_geometry",
    "embed_assets",
    "goal_colours",
    "legend_rows",
    "stable_ids",
]
