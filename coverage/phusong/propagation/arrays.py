"""Array conventions shared by the propagation modules.

Every propagation function takes numpy arrays (or scalars) that broadcast
against each other and returns an array of the broadcast shape, or a numpy
scalar for scalar input: :func:`as_float_array` on the way in,
:func:`unwrap_0d` on the way out.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Array", "as_float_array", "unwrap_0d"]

#: A float64 array (the type of every input after :func:`as_float_array`).
Array = NDArray[np.float64]

_ArrayT = TypeVar("_ArrayT", bound=NDArray[Any])


def as_float_array(x: ArrayLike) -> Array:
    """Return ``x`` as a float64 array (no copy when it already is one).

    Parameters
    ----------
    x : array_like
        Numbers, in any unit.

    Returns
    -------
    ndarray of float64
        ``x``; 0-d for a scalar.
    """
    return np.asarray(x, dtype=np.float64)


def unwrap_0d(x: _ArrayT) -> _ArrayT:
    """Return a numpy scalar for a 0-d result, the array itself otherwise.

    Parameters
    ----------
    x : ndarray
        A result.

    Returns
    -------
    ndarray or numpy scalar
        ``x[()]``.
    """
    return cast(_ArrayT, x[()])
