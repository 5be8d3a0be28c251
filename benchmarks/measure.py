"""Run one stage in a subprocess and measure it: wall time and peak RSS of the process tree
(the stage and every process it starts, e.g. dbt), sampled from /proc in a bounded loop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
POLL_S = 0.05
REPO_ROOT = Path(__file__).resolve().parents[1]


class StageError(RuntimeError):
    pass


@dataclass
class Measured:
    name: str
    wall_s: float
    peak_rss_tree_mb: float
    samples: int
    result: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "wall_s": round(self.wall_s, 3),
            "peak_rss_tree_mb": round(self.peak_rss_tree_mb, 1),
            "rss_samples": self.samples,
            **self.result,
        }


def _parents() -> dict[int, int]:
    """pid -> ppid for every process visible in /proc."""
    out: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # comm may contain spaces and parentheses: the fields after the last ')' are fixed.
        fields = stat[stat.rfind(b")") + 2 :].split()
        out[int(entry.name)] = int(fields[1])
    return out


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants right now."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_bytes(pid)
        stack.extend(children.get(pid, ()))
    return total


def run_stage(name: str, stage: str, args: dict, work: Path, timeout_s: float) -> Measured:
    """`python -m benchmarks.stages STAGE ARGS_FILE OUT_JSON` in its own process group; the
    stage's own JSON result is returned in `result`. A failing stage raises StageError with the
    tail of its output."""
    work.mkdir(parents=True, exist_ok=True)
    out_json = work / f"{name}.result.json"
    log = work / f"{name}.log"
    out_json.unlink(missing_ok=True)
    # The arguments go through a file: a 100-seller file list is longer than a command line.
    args_json = work / f"{name}.args.json"
    args_json.write_text(json.dumps(args), encoding="utf-8")
    cmd = [sys.executable, "-m", "benchmarks.stages", stage, str(args_json), str(out_json)]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    peak, samples = 0, 0
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = start + timeout_s
        while proc.poll() is None:
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise StageError(f"{name}: timed out after {timeout_s:.0f}s (log: {log})")
            peak = max(peak, tree_rss_bytes(proc.pid))
            samples += 1
            time.sleep(POLL_S)
        wall = time.perf_counter() - start
    if proc.returncode != 0 or not out_json.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise StageError(f"{name}: exit {proc.returncode} (log: {log})\n{tail}")
    result = json.loads(out_json.read_text())
    # A stage too short to sample still reports its own peak (VmHWM, children's ru_maxrss).
    peak_mb = max(peak / 2**20, result.get("peak_rss_largest_process_mb", 0.0))
    return Measured(name, wall, peak_mb, samples, result)
