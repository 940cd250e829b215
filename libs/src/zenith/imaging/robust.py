"""Medians and robust spreads of large samples: exact, and fast.

``np.median`` partitions its values around the middle element (two for an
even count) and around the last one as well (to find a NaN), and NumPy's
partition around several elements at once is many times slower than around
one: on a 229,020-value sample of a 1920 px frame's sky, ``np.median`` took
2.4 ms and :func:`median` 0.15 ms, with the same value. A frame's sky metrics
take four such medians (the background's noise and the detection threshold),
its display stretch two. A median that many equal values share is found by
counting instead (:func:`_tied`): partitioning those is NumPy's slow case.
"""

from __future__ import annotations

import numpy as np

MAD_TO_SIGMA = 1.4826  # a normal distribution's sigma over its median absolute deviation


TIE_CHECK = 4096  # from this many values, a median held by many equal values is found by counting


def _tied(values: np.ndarray, k: int, even: bool) -> float | None:
    """The median when a value many of ``values`` share is the middle one (the
    pixels of a saturated sky, their residuals all 0): NumPy's partition takes
    15 times as long on such an array (22 ms for 229,020 values, 1.4 ms to
    sort them). A small even sample proposes its middle value; if the sample
    holds it more than once, counting the values below it and equal to it
    decides whether it is the median (then exactly). None otherwise."""
    probe = values[:: max(1, values.size // 511)]
    middle = probe.size // 2
    candidate = np.partition(probe, middle)[middle]
    if np.count_nonzero(probe == candidate) < 2:
        return None
    below = int(np.count_nonzero(values < candidate))
    equal = int(np.count_nonzero(values == candidate))
    if below <= (k - 1 if even else k) and k < below + equal:
        return float(candidate)
    return None


def median(values: np.ndarray) -> float:
    """The median of a 1-D array of finite values: what ``np.median`` gives (for an
    even count the mean of the two middle values, in a float array's own type)."""
    n = values.size
    if n == 0:
        raise ValueError("the median of no values")
    k = n // 2
    if n >= TIE_CHECK:
        tied = _tied(values, k, n % 2 == 0)
        if tied is not None:
            return tied
    part = np.partition(values, k)  # part[k] in place, the smaller ones before it
    if n % 2:
        return float(part[k])
    low, high = part[:k].max(), part[k]
    if part.dtype.kind != "f":  # integers: their mean as a float, as np.median's
        return (float(low) + float(high)) / 2
    return float((low + high) / 2)


def mad_sigma(values: np.ndarray, center: float) -> float:
    """The spread of ``values`` around ``center`` as a normal sigma, from their median
    absolute deviation (robust to the stars and hot pixels in a sky sample)."""
    return median(np.abs(values - center)) * MAD_TO_SIGMA
