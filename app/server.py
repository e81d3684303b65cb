"""Phủ Sóng app server: ``streamlit run app/server.py``.

The same app as ``app/streamlit_app.py``, served as a Streamlit ``st.App``
whose start-up hook computes the default audit, its map and the fast
estimate of new sites in a background thread (:func:`services.warm_up`), so
that the first visitor does not wait for them and a new session on a warm
server computes nothing.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _log_timings() -> None:
    """Show the app's section timings (logger ``phusong.app``) in the server's log."""
    logger = logging.getLogger("phusong.app")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s phusong.app %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _warm_up() -> None:
    import services  # imports phusong (about 2 s): off the server's start-up path

    services.warm_up()


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Start the warm-up when the server starts (it runs while requests are served)."""
    _log_timings()
    threading.Thread(target=_warm_up, name="phusong-warm-up-import", daemon=True).start()
    yield


app = st.App(str(HERE / "streamlit_app.py"), lifespan=lifespan)
