"""Client-side pacing of SP-API calls, so Amazon's rate limits are rarely hit at all.

Amazon meters every operation with a token bucket per selling partner and application (rate in
requests per second, burst = bucket size; ../shared/reference/sp-api-client.md §6). The library
neither paces nor retries. A `Pacer` keeps the same buckets on our side, per (seller, operation),
and blocks a caller until its bucket has a token: a backfill of many windows then proceeds at the
rate Amazon allows instead of bouncing off 429s, and a 429 that still happens (another tool on the
same account, an operation throttled more tightly than its default plan) is left to the retry
policy.

The buckets must be shared by everything that calls Amazon for a seller: the report types a run
extracts in parallel (Dagster runs each step in its own process) and the runs that overlap (the
daily schedule, an onboarding backfill, a manual re-pull). `shared_pacer(home)` therefore keeps
them in a small SQLite file under RECLAIM_HOME (landing/_pacing.sqlite), updated in one
exclusive transaction per call, with wall-clock time; without a home it falls back to one
in-memory pacer per process.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Default usage plans: operation -> (requests per second, burst).
RATE_LIMITS: dict[str, tuple[float, int]] = {
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReports": (0.0222, 10),
    "cancelReport": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
    "listFinancialEvents": (0.5, 30),
    "listTransactions": (0.5, 10),
    "getShipments": (2.0, 30),
    "getShipmentItemsByShipmentId": (2.0, 30),
    "getShipmentItems": (2.0, 30),
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
    Amazon). `clock` and `sleep` are injectable so tests run in simulated time. With `state`
    (a SQLite file) the buckets live there and are shared by every process using the same file;
    the clock must then be wall-clock time (the default)."""

    def __init__(
        self,
        limits: dict[str, tuple[float, int]] | None = None,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        state: Path | None = None,
    ):
        self.limits = dict(RATE_LIMITS if limits is None else limits)
        self.state = Path(state) if state else None
        self.clock = clock or (time.time if self.state else time.monotonic)
        self.sleep = sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        self.waited_s = 0.0  # total time callers were held back (for metadata/benchmarks)

    def _reserve(self, key: str, operation: str, speedup: float) -> float:
        """Take a token (possibly going negative) and return how long to wait for it."""
        rate, burst = self.limits.get(operation, (1.0, 1))
        rate *= max(speedup, 1e-9)
        now = self.clock()
        if self.state is not None:
            return self._reserve_shared(key, operation, rate, burst, now)
        with self._lock:
            b = self._buckets.get((key, operation))
            if b is None:
                b = self._buckets[(key, operation)] = _Bucket(rate, burst, float(burst), now)
            b.tokens = min(float(b.burst), b.tokens + (now - b.updated) * rate)
            b.updated = now
            b.tokens -= 1.0
            return 0.0 if b.tokens >= 0 else -b.tokens / rate

    def _reserve_shared(self, key: str, operation: str, rate: float, burst: int, now: float):
        self.state.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.state, timeout=60, isolation_level=None)
        try:
            con.execute(
                "create table if not exists buckets (key text, operation text, tokens real, "
                "updated real, primary key (key, operation))"
            )
            con.execute("begin immediate")  # one writer at a time: read-modify-write is atomic
            row = con.execute(
                "select tokens, updated from buckets where key = ? and operation = ?",
                (key, operation),
            ).fetchone()
            tokens, updated = (float(burst), now) if row is None else row
            tokens = min(float(burst), tokens + max(0.0, now - updated) * rate) - 1.0
            con.execute(
                "insert or replace into buckets values (?, ?, ?, ?)",
                (key, operation, tokens, max(now, updated)),
            )
            con.execute("commit")
        finally:
            con.close()
        return 0.0 if tokens >= 0 else -tokens / rate

    def wait(self, key: str, operation: str, speedup: float = 1.0) -> float:
        """Block until `operation` may be called for `key`; returns the seconds waited."""
        delay = self._reserve(key, operation, speedup)
        if delay > 0:
            self.waited_s += delay
            self.sleep(delay)
        return delay


PACING_STATE = Path("landing") / "_pacing.sqlite"
_shared: dict[str, Pacer] = {}
_shared_lock = threading.Lock()


def install_pacer(home: Path | str, pacer: Pacer) -> None:
    """Make `pacer` the one every client of `home` uses (benchmarks: a simulated clock)."""
    with _shared_lock:
        _shared[str(Path(home).resolve())] = pacer


def shared_pacer(home: Path | str | None = None) -> Pacer:
    """The pacer every client of `home` (default: $RECLAIM_HOME) shares, across processes."""
    root = home or os.environ.get("RECLAIM_HOME")
    key = str(Path(root).resolve()) if root else ""
    with _shared_lock:
        pacer = _shared.get(key)
        if pacer is None:
            pacer = _shared[key] = Pacer(state=Path(key) / PACING_STATE) if key else Pacer()
        return pacer
