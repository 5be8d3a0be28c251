"""Extraction cost against Amazon's rate limits, for one seller, in simulated time.

`python -m benchmarks.extraction [--months 18]` generates one sandbox seller, serves it through
the SP-API emulator on 127.0.0.1 and pulls every source the way the extraction assets do
(extract_report per report type, the API extractors for settlements, inbound shipments and
Finances transactions): first
the onboarding backfill (cursor-planned, 18 months), then the next day's daily run. The pacer
runs at Amazon's real rates (speedup 1) on a simulated clock: a call that would wait for its
token advances the clock instead of sleeping, so an 18-month backfill costs seconds of wall time
and reports the hours it would take against Amazon.

Reported per phase: calls per operation (from the pacer, i.e. what Amazon would meter), the
simulated duration, and the minimum the limits allow for those calls — per operation
max(0, calls - burst) / rate, the slowest operation bounding the whole; also createReport calls per
report type (steady state: one per type per day); and per source, pulled one after another, its
calls, simulated time and minimum (the same bound over that source's calls alone, from the tokens
its operations' buckets hold when it starts: reports share createReport's), so an API source
such as Finances (listTransactions, 0.5/s burst 10) is measured against its own limit (target: at
most 1.1x). FBA Inbound items are getShipmentItemsByShipmentId (one per shipment) plus
getShipmentItems (the NEXT_TOKEN pages of large shipments), listed when called. Prints a table,
writes
RECLAIM_HOME/bench/extraction-<timestamp>.json and .md, and exits non-zero if a source fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from extractors.spapi.pacing import RATE_LIMITS, Pacer, install_pacer


class SimulatedPacer(Pacer):
    """Amazon's token buckets on a clock that waiting advances: elapsed = real time spent in
    calls + every wait the limits impose. Counts calls per (operation, report type)."""

    def __init__(self):
        self._t0 = time.monotonic()
        self.simulated_wait = 0.0
        super().__init__(clock=self._now, sleep=self._advance)
        self.calls: Counter[str] = Counter()
        self._count_lock = threading.Lock()

    def _now(self) -> float:
        return time.monotonic() - self._t0 + self.simulated_wait

    def _advance(self, seconds: float) -> None:
        self.simulated_wait += seconds

    def wait(self, key: str, operation: str, speedup: float = 1.0) -> float:
        with self._count_lock:
            self.calls[operation] += 1
        return super().wait(key, operation, 1.0)  # Amazon's real rates, whatever the seller

    def elapsed(self) -> float:
        return self._now()

    def available(self) -> dict[str, float]:
        """Tokens in each operation's bucket now (the burst for an untouched bucket)."""
        now = self._now()
        with self._lock:
            return {
                op: min(float(b.burst), b.tokens + (now - b.updated) * b.rate)
                for (_, op), b in self._buckets.items()
            }


def minimum_seconds(
    calls: dict[str, int], available: dict[str, float] | None = None
) -> tuple[float, str | None]:
    """The least time Amazon's limits allow for these calls, and the operation that bounds it;
    `available`: tokens in the buckets at the start (default: full, the burst)."""
    best, bound = 0.0, None
    for op, n in calls.items():
        rate, burst = RATE_LIMITS.get(op, (1.0, 1))
        t = max(0.0, n - (available or {}).get(op, burst)) / rate
        if t > best:
            best, bound = t, op
    return best, bound


def _pull_all(home, seller_id, conn, sources, today, pacer: SimulatedPacer):
    """Every source for one seller, as the extraction assets pull it; createReport calls per
    source (from the pacer), each source's own calls, simulated time and minimum, and the
    failures."""
    from extractors.spapi.extract import extract_report
    from orchestration.assets.extraction import API_EXTRACTORS

    creates: dict[str, int] = {}
    per_source: dict[str, dict] = {}
    failed = []
    for spec in sources:
        api = API_EXTRACTORS.get(spec.source)
        before = pacer.calls["createReport"]
        calls_before, t_before = Counter(pacer.calls), pacer.elapsed()
        available, wall_before = pacer.available(), time.perf_counter()
        try:
            if api is None:
                extract_report(home, seller_id, conn, spec, today=today, poll_interval_s=0.0)
            else:
                api(home, seller_id, conn, today=today)
        except Exception as exc:  # a failure is reported, not hidden
            failed.append(f"{spec.source}: {exc}")
        creates[spec.source] = pacer.calls["createReport"] - before
        calls = {k: v for k, v in (pacer.calls - calls_before).items() if v}
        simulated = pacer.elapsed() - t_before
        least, bound = minimum_seconds(calls, available)
        per_source[spec.source] = {
            "calls": calls,
            "simulated_s": round(simulated, 1),
            "wall_s": round(time.perf_counter() - wall_before, 1),
            "minimum_s": round(least, 1),
            "bounded_by": bound,
            "ratio_to_minimum": round(simulated / least, 3) if least else None,
        }
    return creates, per_source, failed


def run(months: int, out_dir: Path) -> dict:
    from extractors.sandbox.emulator import SpApiEmulator
    from extractors.sandbox.simulator import Scenario, generate
    from orchestration.assets.extraction import EXTRACTED_REPORTS

    work = Path(tempfile.mkdtemp(prefix="bench-extraction-", dir=out_dir))
    scenario = Scenario(sellers=1, months=months)
    manifest = generate(scenario, work / "sandbox")
    info = manifest.sellers[0]
    home = work / "home"
    result = {"months": months, "seller": info.seller_id, "phases": {}}
    with SpApiEmulator(manifest.out_dir, polls_to_done=1) as emu:
        conn = emu.connection(info.seller_id, timeout=30)
        first_day = scenario.as_of + timedelta(days=1)
        for phase, today in (("backfill", first_day), ("daily", first_day + timedelta(days=1))):
            pacer = SimulatedPacer()
            install_pacer(home, pacer)
            t0 = time.perf_counter()
            creates, per_source, failed = _pull_all(
                home, info.seller_id, conn, EXTRACTED_REPORTS, today, pacer
            )
            wall = time.perf_counter() - t0
            calls = dict(pacer.calls)
            least, bound = minimum_seconds(calls)
            result["phases"][phase] = {
                "today": today.isoformat(),
                "calls": calls,
                "create_report_per_type": dict(creates),
                "simulated_s": round(pacer.elapsed(), 1),
                "minimum_s": round(least, 1),
                "bounded_by": bound,
                "ratio_to_minimum": round(pacer.elapsed() / least, 3) if least else None,
                "wall_s": round(wall, 1),
                "per_source": per_source,
                "failed": failed,
            }
    return result


def markdown(result: dict) -> str:
    lines = [
        f"## Extraction against Amazon's rate limits: one seller, {result['months']} months",
        "",
        "| phase | calls (operation: n) | createReport per type | simulated | minimum "
        "(bounded by) | ratio | wall |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase, p in result["phases"].items():
        calls = ", ".join(f"{k}: {v}" for k, v in sorted(p["calls"].items()))
        per_type = ", ".join(f"{k} {v}" for k, v in sorted(p["create_report_per_type"].items()))
        ratio = f"{p['ratio_to_minimum']:.2f}×" if p["ratio_to_minimum"] else "-"
        lines.append(
            f"| {phase} ({p['today']}) | {calls} | {per_type} | {p['simulated_s'] / 60:.1f} min "
            f"| {p['minimum_s'] / 60:.1f} min ({p['bounded_by'] or '-'}) | {ratio} "
            f"| {p['wall_s']:.1f} s |"
        )
    lines += [
        "",
        "Per source (pulled one after another; minimum = that source's calls against Amazon's "
        "limits, from the tokens left in the buckets when it starts):",
        "",
        "| phase | source | calls (operation: n) | simulated | minimum (bounded by) | ratio "
        "| wall |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase, p in result["phases"].items():
        for source, s in p.get("per_source", {}).items():
            calls = ", ".join(f"{k}: {v}" for k, v in sorted(s["calls"].items()))
            ratio = f"{s['ratio_to_minimum']:.2f}×" if s["ratio_to_minimum"] else "-"
            lines.append(
                f"| {phase} | {source} | {calls} | {s['simulated_s']:.1f} s "
                f"| {s['minimum_s']:.1f} s ({s['bounded_by'] or '-'}) | {ratio} "
                f"| {s['wall_s']:.1f} s |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--months", type=int, default=18, help="history of the seller (default 18)")
    args = ap.parse_args(argv)
    home = Path(os.environ.get("RECLAIM_HOME", "data")).resolve()
    out = home / "bench"
    out.mkdir(parents=True, exist_ok=True)
    result = run(args.months, out)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"extraction-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (out / f"extraction-{stamp}.md").write_text(table)
    print(table)
    failed = [f for p in result["phases"].values() for f in p["failed"]]
    for f in failed:
        print(f"failed: {f}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
