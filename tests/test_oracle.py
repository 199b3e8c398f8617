"""The output oracle's comparison: exact, within tolerance, NaN- and infinity-aware."""

from __future__ import annotations

import warnings

import numpy as np

from conformance import oracle

LOOSE = oracle.Tolerance(False, rtol=1e-3, atol=1e-6)


def test_exact_comparison_is_bit_for_bit() -> None:
    value = np.array([0.0, 1.5, np.nan], np.float32)
    assert oracle.compare(value, value.tobytes(), oracle.EXACT).equal
    assert not oracle.compare(value, np.array([-0.0, 1.5, np.nan], np.float32).tobytes(), oracle.EXACT).equal


def test_tolerance_accepts_small_differences_and_refuses_large_ones() -> None:
    want = np.array([1.0, 100.0], np.float32)
    assert oracle.compare(want, np.array([1.0005, 100.05], np.float32).tobytes(), LOOSE).equal
    result = oracle.compare(want, np.array([1.0, 100.5], np.float32).tobytes(), LOOSE)
    assert not result.equal
    assert abs(result.max_error - 0.5) < 1e-6


def test_nan_must_meet_nan_and_infinities_must_be_equal() -> None:
    want = np.array([np.nan, np.inf, -np.inf, 2.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" warnings from inf - inf
        assert oracle.compare(want, want.tobytes(), LOOSE).equal
        assert not oracle.compare(want, np.array([1.0, np.inf, -np.inf, 2.0], np.float32).tobytes(), LOOSE).equal
        assert not oracle.compare(want, np.array([np.nan, -np.inf, -np.inf, 2.0], np.float32).tobytes(), LOOSE).equal


def test_integers_are_compared_exactly_and_lengths_must_match() -> None:
    want = np.array([1, 2, 3], np.int64)
    assert not oracle.compare(want, np.array([1, 2, 4], np.int64).tobytes(), LOOSE).equal
    assert not oracle.compare(want, want.tobytes()[:-1], LOOSE).equal


def test_tolerances_come_from_the_data_file() -> None:
    assert oracle.tolerance("add_i32", "i32") == oracle.EXACT
    assert oracle.tolerance("mobilenet_v2", "f32") == oracle.Tolerance(False, 1e-3, 1e-5)
    assert oracle.tolerance("add_f32", "f32") == oracle.Tolerance(False, 1e-5, 1e-6)
