"""Client-side pacing of SP-API calls, so Amazon's rate limits are rarely hit at all.

Amazon meters every operation with a token bucket per selling partner and application (rate in
requests per second, burst = bucket size; ../shared/reference/sp-api-client.md §6). The library
neither paces nor retries. A `Pacer` keeps the same buckets on our side, per (seller, operation),
and blocks a caller until its bucket has a token: a backfill of many windows then proceeds at the
rate Amazon allows instead of bouncing off 429s, and a 429 that still happens (another tool on the
same account, an operation throttled more tightly than its default plan) is left to the retry
policy.

One process-wide pacer is shared by every client (`shared_pacer`), so parallel extraction of
different report types for one seller still shares that seller's createReport bucket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Default usage plans: operation -> (requests per second, burst).
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReports": (0.0222, 10),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    "listFinancialEvents": (0.5, 30),
    "getShipments": (2.0, 30),
    "getShipmentItemsByShipmentId": (2.0, 30),
}


@dataclass
class _Bucket:
    rate: float
    burst: int
    tokens: float
    updated: float


class Pacer:
    """Token buckets per (seller key, operation).

    `speedup` multiplies every rate (the sandbox emulator runs Amazon's day in seconds; 1.0 for
    Amazon). `clock` and `sleep` are injectable so tests run in simulated time."""

    def __init__(
        self,
        limits: dict[str, tuple[float, int]] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.limits = dict(RATE_LIMITS if limits is None else limits)
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self.waited_s = 0.0  # total time callers were held back (for metadata/benchmarks)

    def _reserve(self, key: str, operation: str, speedup: float) -> float:
        """Take a token (possibly going negative) and return how long to wait for it."""
        rate, burst = self.limits.get(operation, (1.0, 1))
        rate *= max(speedup, 1e-9)
        now = self.clock()
        with self._lock:
            b = self._buckets.get((key, operation))
            if b is None:
                b = self._buckets[(key, operation)] = _Bucket(rate, burst, float(burst), now)
            b.tokens = min(float(b.burst), b.tokens + (now - b.updated) * rate)
            b.updated = now
            b.tokens -= 1.0
            return 0.0 if b.tokens >= 0 else -b.tokens / rate

    def wait(self, key: str, operation: str, speedup: float = 1.0) -> float:
        """Block until `operation` may be called for `key`; returns the seconds waited."""
        delay = self._reserve(key, operation, speedup)
        if delay > 0:
            self.waited_s += delay
            self.sleep(delay)
        return delay


_shared = Pacer()


def shared_pacer() -> Pacer:
    return _shared
