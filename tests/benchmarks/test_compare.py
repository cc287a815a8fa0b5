"""The start-up rule's statistics: a shift, its significance, and the verdict."""

from benchmarks.compare import CEILING, compare, hodges_lehmann, mann_whitney_greater

BASE = [0.50, 0.52, 0.49, 0.55, 0.51, 0.60, 0.50, 0.53, 0.48, 0.54]


def test_the_shift_is_the_median_of_the_pairwise_differences():
    assert hodges_lehmann([1.0, 2.0], [3.0, 5.0]) == 2.5


def test_two_separate_samples_are_significant_and_the_same_sample_is_not():
    assert mann_whitney_greater(list(range(8)), list(range(8, 16))) < 0.001
    assert mann_whitney_greater(BASE, BASE) > 0.4
    assert mann_whitney_greater(list(range(8, 16)), list(range(8))) > 0.99


def test_a_50_ms_regression_is_caught_and_noise_is_not():
    assert compare(BASE, [t + 0.050 for t in BASE]).regression
    assert not compare(BASE, list(reversed(BASE))).regression


def test_a_shift_above_the_ceiling_fails_even_when_not_significant():
    few = compare([0.5, 0.9], [0.5 + CEILING + 0.01, 0.9 + CEILING + 0.01])

    assert few.p_value > 0.05
    assert few.regression


def test_a_small_significant_shift_passes():
    assert not compare(BASE, [t + 0.005 for t in BASE]).regression
