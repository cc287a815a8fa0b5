"""How hard one delivery tries (per handler: ``max_attempts``, ``deadline``)."""

from __future__ import annotations

from dataclasses import dataclass

#: The longest ``deadline`` a handler may set, in seconds.
MAX_DEADLINE = 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one delivery tries; set per handler with ``max_attempts`` and ``deadline``."""

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    deadline: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return max(backoff, retry_after or 0.0)
