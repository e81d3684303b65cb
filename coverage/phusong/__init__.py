"""Phủ Sóng: ward-by-ward 5G coverage audits for Hà Nội.

Import as ``phusong``. Public functions are loaded lazily so that
``phusong --version`` and ``import phusong`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PhusongError": "errors",
    "DataError": "errors",
    "ConfigError": "errors",
    "OutputExistsError": "errors",
    "Problem": "errors",
    "read_wards": "io.wards",
    "read_sites": "io.sites",
    "ValidationReport": "io.validation",
    "path_loss_db": "propagation",
    "run_audit": "audit",
    "AuditResult": "audit",
    "Goal": "goals",
    "LinkBudget": "propagation",
    "run_plan": "plan",
    "PlanRun": "plan",
    "propose_sites": "planning",
    # calibration (issue #14)
    "run_calibration": "calibration.run",
    "read_measurements": "io.measurements",
    # progress (issue #15)
    "run_progress": "progress.run",
    "ProgressRun": "progress.run",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'phusong' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
