"""Is one sample of times slower than another? The start-up rule's statistics.

Two samples of process start-up times (``manage.py shell -c pass`` with ten handlers and with
none) are compared as distributions, not by one number each:

- the **shift**: the Hodges-Lehmann estimate, the median of every difference ``b - a`` between a
  time of one and a time of the other (robust to the odd slow run, unlike a mean);
- the **Mann-Whitney U test**, one-sided: the chance of seeing ``b`` at least this much slower
  than ``a`` if both came from the same distribution (the normal approximation with the
  correction for ties, good from about eight runs a side; no scipy needed).

The rule (:func:`verdict`): a regression is a shift above :data:`CEILING` whatever the test
says (a few noisy runs cannot hide a large one), or a significant shift
(p < :data:`ALPHA`) above :data:`TOLERANCE` (the test alone would flag a shift too small to
matter once there are enough runs).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

#: A shift this large fails, significant or not (seconds).
CEILING = 0.030
#: A significant shift fails from this size on (seconds).
TOLERANCE = 0.010
#: The one-sided p-value under which a shift is significant.
ALPHA = 0.01


def hodges_lehmann(a: list[float], b: list[float]) -> float:
    """The median of every pairwise difference ``y - x`` (y from ``b``, x from ``a``)."""
    return statistics.median(y - x for y in b for x in a)


def mann_whitney_greater(a: list[float], b: list[float]) -> float:
    """One-sided p-value that ``b`` tends to be larger than ``a`` (Mann-Whitney U, normal
    approximation with the tie correction and a continuity correction)."""
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return 1.0
    ranked = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    ranks = [0.0] * len(ranked)
    ties = 0.0
    start = 0
    while start < len(ranked):
        end = start
        while end + 1 < len(ranked) and ranked[end + 1][0] == ranked[start][0]:
            end += 1
        for index in range(start, end + 1):
            ranks[index] = (start + end) / 2 + 1
        count = end - start + 1
        ties += count**3 - count
        start = end + 1
    rank_sum_b = sum(rank for rank, (_value, side) in zip(ranks, ranked, strict=True) if side == 1)
    u = rank_sum_b - m * (m + 1) / 2
    total = n + m
    variance = n * m / 12 * ((total + 1) - ties / (total * (total - 1)))
    if variance <= 0:
        return 1.0
    z = (u - n * m / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


@dataclass(frozen=True)
class Comparison:
    """``b`` against ``a``: the shift, the p-value, and whether it is a regression."""

    shift: float
    p_value: float

    @property
    def regression(self) -> bool:
        return self.shift > CEILING or (self.p_value < ALPHA and self.shift > TOLERANCE)

    def describe(self) -> str:
        return f"shift {self.shift * 1000:+.0f} ms, p={self.p_value:.3f}"


def compare(a: list[float], b: list[float]) -> Comparison:
    return Comparison(hodges_lehmann(a, b), mann_whitney_greater(a, b))
