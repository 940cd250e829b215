"""The fast median is np.median's value, for every shape of sample a frame gives."""

from __future__ import annotations

import numpy as np
import pytest

from zenith.imaging.robust import mad_sigma, median


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int64])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 51, 52, 229_020, 229_021])
def test_median_is_numpy_s(size, dtype):
    rng = np.random.default_rng(size)
    values = (rng.normal(100, 30, size) if np.issubdtype(dtype, np.floating)
              else rng.integers(0, 255, size)).astype(dtype)
    assert median(values) == float(np.median(values))
    strided = np.repeat(values, 2)[::2]  # not contiguous, as a frame's sample is
    assert median(strided) == float(np.median(strided))


def test_ties_and_order_do_not_matter():
    values = np.array([3, 1, 3, 3, 2, 3], dtype=np.float32)
    assert median(values) == float(np.median(values)) == 3.0
    assert median(np.sort(values)[::-1].copy()) == 3.0
    assert median(np.array([1.0, 2.0])) == 1.5


def test_the_input_is_left_as_it_was():
    values = np.array([5.0, 1.0, 4.0, 2.0], dtype=np.float32)
    median(values)
    assert values.tolist() == [5.0, 1.0, 4.0, 2.0]


def test_no_values_is_an_error_not_a_number():
    with pytest.raises(ValueError):
        median(np.array([], dtype=np.float32))


def test_mad_sigma_is_a_normal_sigma():
    values = np.random.default_rng(7).normal(0.0, 2.0, 200_000).astype(np.float32)
    center = median(values)
    assert mad_sigma(values, center) == pytest.approx(2.0, rel=0.01)
    expected = float(np.median(np.abs(values - center))) * 1.4826
    assert mad_sigma(values, center) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("share", [0.3, 0.5, 0.7, 0.95])
def test_a_median_many_values_share_is_found_by_counting(share):
    # a saturated sky's residuals: most exactly 0, the rest noise around it
    rng = np.random.default_rng(int(share * 100))
    values = rng.normal(0.0, 0.01, 229_020).astype(np.float32)
    values[rng.random(values.size) < share] = 0.0
    assert median(values) == float(np.median(values))
    shifted = values + np.float32(0.5)  # the shared value off the middle: partitioned
    shifted[: values.size // 2 + 10] = 2.0
    assert median(shifted) == float(np.median(shifted))
