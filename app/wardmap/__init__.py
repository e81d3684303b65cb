"""The app's interactive map: a small Streamlit component on Leaflet (no build step).

The front end (``frontend/wardmap.js``) builds the geometry once per
:attr:`MapData.key` (ward polygons, gap outlines, point layers) and, on every
other run, only restyles: ward colours, tooltips, the highlighted ward and the
legend. The geometry is sent only when the browser does not hold it
(:func:`geometry_needed`), so a rerun sends tens of kB, not hundreds. Moving
the goal slider therefore recolours the map in the browser without
rebuilding or re-sending it. A click on a ward returns ``{"ward_id", "seq"}``.

Leaflet itself is the copy the library ships (``data/vendor/leaflet-1.9.3``,
BSD-2-Clause); it is copied next to the front-end files into a temporary
folder the Streamlit server serves, so the map needs no network except for
the OpenStreetMap background tiles (without them the map shows a plain light
background).
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st
import streamlit.components.v1 as components

FRONTEND = Path(__file__).resolve().parent / "frontend"
#: Name the component is registered under (also its iframe's title).
NAME = "phusong_wardmap"


@dataclass(frozen=True)
class MapData:
    """Geometry of one map, sent to the browser and built there once per ``key``.

    Attributes
    ----------
    key : str
        Identity of the geometry (the audit and the display options); a new key
        makes the browser rebuild every layer and fit the view again.
    wards : str
        GeoJSON FeatureCollection text; each feature's properties hold ``id``
        (the ward id as text) and ``name``.
    labels : list
        ``[lat, lon, name, ward id]`` of each ward's label point [degrees]
        (names shown from zoom 13 on).
    fit : list
        ``[[south, west], [north, east]]`` the view is fitted to [degrees].
    gaps : str or None
        GeoJSON text of gap polygons (drawn as dashed outlines), if any.
    points : list of dict
        Point layers: ``name``, ``colour``, ``radius`` [px], ``outline``
        (colour or ``None``), ``interactive``, ``shown`` and ``rows`` of
        ``[lat, lon, tooltip html]``.
    """

    key: str
    wards: str
    labels: list[list[Any]]
    fit: list[list[float]]
    gaps: str | None = None
    points: list[dict[str, Any]] = field(default_factory=list)


def _leaflet_folder() -> Path:
    from phusong.io.shipped import data_path

    return data_path("vendor", "leaflet-1.9.3")


#: The goal slider's front end (a second component, next to the map's).
GOAL_FRONTEND = Path(__file__).resolve().parent / "goal"
#: Name of the goal slider component (also its iframe's title).
GOAL_NAME = "phusong_goal"


def _sources(frontend: Path) -> list[tuple[Path, str]]:
    """Every file a component serves: (source, name in the served folder)."""
    files = [(p, p.name) for p in sorted(frontend.iterdir()) if p.is_file()]
    if frontend == FRONTEND:
        leaflet = _leaflet_folder()
        files += [(leaflet / "leaflet.js", "leaflet.js"), (leaflet / "leaflet.css", "leaflet.css")]
        files += [(p, f"images/{p.name}") for p in sorted((leaflet / "images").glob("*.png"))]
    return files


@functools.cache
def served_folder(frontend: Path = FRONTEND) -> Path:
    """The folder the Streamlit server serves a component from (made once per content)."""
    files = _sources(frontend)
    digest = hashlib.sha256()
    for src, name in files:
        digest.update(name.encode())
        digest.update(src.read_bytes())
    folder = (
        Path(tempfile.gettempdir()) / "phusong-app" / f"{frontend.name}-{digest.hexdigest()[:16]}"
    )
    if not folder.exists():
        tmp = Path(tempfile.mkdtemp(prefix=f"{frontend.name}-", dir=folder.parent.parent))
        for src, name in files:
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tmp / name)
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.rename(folder)
        except OSError:  # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)
    return folder


@functools.cache
def _component() -> Any:
    return components.declare_component(NAME, path=str(served_folder(FRONTEND)))


@functools.cache
def _goal_component() -> Any:
    return components.declare_component(GOAL_NAME, path=str(served_folder(GOAL_FRONTEND)))


def goal_slider(
    *, label: str, help: str, options: list[float], labels: list[str], value: float, key: str
) -> float | None:
    """A slider of goal targets that recolours the maps in the browser while it moves.

    Parameters
    ----------
    label, help : str
        Its label and tooltip.
    options : list of float
        The targets offered [%].
    labels : list of str
        Each target as shown (``"99,5 %"``).
    value : float
        The target in use.
    key : str
        Widget key: its value (the last target chosen) is in
        ``st.session_state[key]`` at the start of the next run.

    Returns
    -------
    float or None
        The last target chosen in the browser (``None`` before any).
    """
    out = _goal_component()(
        label=label,
        help=help,
        options=list(options),
        labels=list(labels),
        value=float(value),
        map=f"wardmap.{NAME}",
        key=key,
        default=None,
    )
    return float(out) if isinstance(out, (int, float)) else None


def show(
    data: MapData,
    *,
    key: str,
    style: dict[str, str],
    info: dict[str, str],
    legend: dict[str, Any] | None,
    layers: dict[str, str],
    attribution: str,
    synthetic: str = "",
    selected: str | None = None,
    clickable: bool = False,
    height: int = 520,
    recolour: dict[str, Any] | None = None,
    recolour_key: str = "",
) -> dict[str, Any] | None:
    """Show a map; return the last ward click (``{"ward_id", "seq"}``) or ``None``.

    Parameters
    ----------
    data : MapData
        The geometry (rebuilt in the browser only when ``data.key`` changes).
    key : str
        Widget key; keep it stable so the map is never remounted.
    style : dict
        Fill colour of each ward by id (restyled in place).
    info : dict
        Tooltip HTML of each ward by id (already escaped).
    legend : dict or None
        ``title``, ``rows`` (``[colour, label, kind]``, kind ``"fill"``,
        ``"dot"`` or ``"outline"``) and ``note``; collapsible, collapsed on
        narrow screens.
    layers : dict
        Names of the ward and gap layers in the layer control.
    attribution : str
        Attribution HTML (OpenStreetMap, WorldPop when used).
    synthetic : str
        Banner text shown on the map when the data is synthetic ("" for none).
    selected : str, optional
        Ward id drawn highlighted.
    clickable : bool
        Whether a click on a ward selects it and is sent back.
    height : int
        Height [px].
    recolour : dict, optional
        What the browser needs to recolour the wards for any goal target by
        itself (:func:`mapview.recolour_payload`): ``values`` (coverage of
        each ward [%]), ``scale``, ``targets`` and a legend per target. Sent
        with the geometry; ``recolour_key`` names it.
    """
    data_key = "|".join([data.key, recolour_key, *sorted(layers.values())])  # new: rebuild
    send = geometry_needed(key, data_key)
    return _component()(
        data_key=data_key,
        wards=data.wards if send else None,
        labels=data.labels if send else None,
        gaps=data.gaps if send else None,
        points=data.points if send else None,
        fit=data.fit if send else None,
        recolour=recolour if send else None,
        style=style,
        info=info,
        selected=selected,
        legend=legend,
        layers=layers,
        attribution=attribution,
        synthetic=synthetic,
        clickable=clickable,
        height=int(height),
        label_zoom=13,
        key=key,
        default=None,
    )


#: Session-state key: for each map (by widget key), the geometry the browser holds,
#: and the last request for it that was answered.
SENT = "wardmap_sent"


def geometry_needed(key: str, data_key: str) -> bool:
    """Whether this run must send the map's geometry (hundreds of kB) to the browser.

    Only when the browser does not hold it yet: the first time, after the
    geometry changed, or when the map asks for it (a new map in the page says
    ``{"need": data_key}``, e.g. after it was remounted). Every other run
    sends only colours, tooltips and the selection.
    """
    sent = st.session_state.setdefault(SENT, {})
    value = st.session_state.get(key)
    asked = (
        isinstance(value, dict)
        and value.get("need") == data_key
        and value.get("seq") != sent.get(f"{key}#answered")
    )
    if asked and isinstance(value, dict):
        sent[f"{key}#answered"] = value.get("seq")
    if asked or sent.get(key) != data_key:
        sent[key] = data_key
        return True
    return False


def new_page(page: str) -> None:
    """Forget what the maps hold when another page is shown (its maps are new)."""
    if st.session_state.get(f"{SENT}_page") != page:
        st.session_state[f"{SENT}_page"] = page
        st.session_state[SENT] = {}


__all__ = ["NAME", "MapData", "geometry_needed", "new_page", "served_folder", "show"]
