"""A token bucket: at most `rate` acquisitions per second on average, `burst` at once."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """Blocks `acquire()` callers so they proceed at `rate` per second.

    The clock and the sleep are injectable so the pacing is tested without waiting.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be above 0 per second, not {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._last = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def acquire(self) -> float:
        """Take one token, sleeping until one is there; returns the seconds slept."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        wait = (1 - self._tokens) / self.rate
        self._sleep(wait)
        self._refill()
        # The sleep paid for the token, whatever the clock's float rounding says.
        self._tokens = max(self._tokens, 1.0) - 1
        return wait

    def refund(self) -> None:
        """Give back the token of an acquisition that sent nothing (a duplicate, a reject)."""
        self._tokens = min(self.burst, self._tokens + 1)
