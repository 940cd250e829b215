"""Medians and robust spreads of large samples: exact, and fast.

``np.median`` partitions its values around the middle element (two for an
even count) and around the last one as well (to find a NaN), and NumPy's
partition around several elements at once is many times slower than around
one: on a 229,020-value sample of a 1920 px frame's sky, ``np.median`` took
2.4 ms and :func:`median` 0.15 ms, with the same value. A frame's sky metrics
take four such medians (the background's noise and the detection threshold),
its display stretch two.
"""

from __future__ import annotations

import numpy as np

MAD_TO_SIGMA = 1.4826  # a normal distribution's sigma over its median absolute deviation


def median(values: np.ndarray) -> float:
    """The median of a 1-D array of finite values: what ``np.median`` gives (for an
    even count the mean of the two middle values, in a float array's own type)."""
    n = values.size
    if n == 0:
        raise ValueError("the median of no values")
    k = n // 2
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
