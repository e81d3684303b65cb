"""Calibration: fit the path-loss model to measured signal, and say how good it is.

Every commercial planning tool tunes its propagation model to drive-test or
crowdsourced measurements and reports the error before and after; this
package does it for Phủ Sóng's models:

* :mod:`~phusong.calibration.predict` — the model's RSRP at measurement
  points, with the grid engine's cells and physics, and the best server;
* :mod:`~phusong.calibration.associate` — which cell served each measurement
  (its cell id when the file has one, else the model's best server);
* :mod:`~phusong.calibration.fit` — the robust (Huber) fit of a path-loss
  offset and optional distance slope, k-fold cross-validation, error figures;
* :mod:`~phusong.calibration.groups` — one fit per operator × band × scenario;
* :mod:`~phusong.calibration.model` — :class:`Calibration`: the fitted
  groups, their caveats, the ``calibration.json`` form, applying it to cells;
* :mod:`~phusong.calibration.apply` — the audit step that applies it;
* :mod:`~phusong.calibration.run` — :func:`run_calibration`, the whole job;
* :mod:`~phusong.calibration.synthetic` — the SYNTHETIC measurement sample.

Files are read and written by :mod:`phusong.io.measurements` and
:mod:`phusong.io.calibration`; plots and the report are rendered by
:mod:`phusong.output.calibration`. Public names load lazily (the audit imports
only :mod:`~phusong.calibration.apply`).
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    "Calibration": "model",
    "CalibrationGroup": "model",
    "CalibrationResult": "run",
    "run_calibration": "run",
    "calibrate_inputs": "apply",
    "predict_rsrp": "predict",
    "point_model": "predict",
    "best_server": "predict",
    "huber_fit": "fit",
    "synthetic_measurements": "synthetic",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'phusong.calibration' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
