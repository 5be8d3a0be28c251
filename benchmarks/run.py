"""`python -m benchmarks.run` (`make bench`): the issue-8 benchmark.

For each scenario (sandbox sellers x months): generate (cached), ingest to Parquet, full dbt
build, exports, the DuckDB and pandas baselines (checked against the pipeline's claims), then a
daily build after landing one more day; the daily build at 1 and 3 years of history for one
seller; and the first `reclaim demo` after install (from a clean copy of the checkout). Every
stage runs in its own process; wall time and peak RSS of its process tree are recorded. Writes
RECLAIM_HOME/bench/results-<timestamp>.json and .md (and results.md), prints the table, and
exits non-zero when a baseline disagrees with the pipeline or the demo fails.

Scenarios: 1, 10 and 100 sellers x 18 months by default (100 sellers: about 11.8 M landed rows:
6.3 M settlement lines, 2.0 M orders, 2.0 M fulfilled shipments, 1.3 M ledger events, and about
30 minutes on a 2-core machine, most of it ingest; --generate-only prints the counts without
building; --scenarios 1,10 for a quicker run). The baselines
(benchmarks.baselines) cover warehouse_lost, refund_not_returned and inbound_shortage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from benchmarks import baselines
from benchmarks.measure import REPO_ROOT, Measured, StageError, run_stage
from benchmarks.report import markdown

SANDBOX_DIR = REPO_ROOT / "extractors" / "sandbox"
HARNESS_VERSION = "2"  # bump when the cached layout (day split) changes
MAIN_SOURCES = {
    "ledger": "ledger_detail",
    "settlement": "settlements",
    "finance_events": "financial_events",
    "reimbursements": "reimbursements",
    "returns": "customer_returns",
    "orders": "all_orders",
    "inbound_items": "inbound_shipment_items",
}


def simulator_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(SANDBOX_DIR.glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def scenario_key(params: dict, sim_hash: str) -> str:
    blob = json.dumps(
        {"scenario": params, "simulator": sim_hash, "harness": HARNESS_VERSION}, sort_keys=True
    )
    digest = hashlib.sha256(blob.encode()).hexdigest()[:12]
    return f"s{params['sellers']}-m{params['months']}-{digest}"


def scenario_params(sellers: int, months: int, seed: int) -> dict:
    from extractors.sandbox.simulator import Scenario

    return Scenario(seed=seed, sellers=sellers, months=months).to_json()


def timeout_for(sellers: int) -> float:
    return 1800 + 120 * sellers


def machine_facts() -> dict:
    import dbt.version
    import duckdb
    import pandas

    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True
            ).stdout.strip()
        )
    except OSError:
        commit, dirty = "", None
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt.version.__version__,
        "pandas": pandas.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
    }


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


def stage(results: dict, name: str, kind: str, args: dict, work: Path, sellers: int) -> Measured:
    log(f"  {name} ...")
    m = run_stage(name, kind, args, work / "stages", timeout_for(sellers))
    results[name] = m.to_json()
    log(f"  {name}: {m.wall_s:.1f}s, peak RSS {m.peak_rss_tree_mb:.0f} MB")
    return m


def prepare(
    bench: Path, sellers: int, months: int, seed: int, sim_hash: str
) -> tuple[str, dict, dict]:
    """Generated data for the scenario, from the cache when its key matches."""
    params = scenario_params(sellers, months, seed)
    key = scenario_key(params, sim_hash)
    cache = bench / "cache" / key
    info_path = cache / "bench_manifest.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        gen = {**info["generate"], "cached": True}
        log(f"{key}: generated data from cache")
        return key, info, gen
    if cache.exists():
        shutil.rmtree(cache)
    log(f"{key}: generating {sellers} seller(s) x {months} months")
    m = run_stage(
        "generate",
        "generate",
        {"scenario": params, "out_dir": str(cache)},
        cache / "stages",
        timeout_for(sellers),
    )
    info = {
        "key": key,
        "scenario": params,
        "simulator_sha256": sim_hash,
        "sellers": m.result.pop("sellers"),
        "generate": {**m.to_json(), "cached": False},
    }
    info_path.write_text(json.dumps(info, indent=2))
    return key, info, info["generate"]


def run_scenario(
    bench: Path,
    sellers: int,
    months: int,
    seed: int,
    sim_hash: str,
    skip_pandas_above: int,
    full: bool = True,
) -> dict:
    key, info, gen = prepare(bench, sellers, months, seed, sim_hash)
    as_of = date.fromisoformat(info["scenario"]["as_of"])
    work = bench / "work" / key
    if work.exists():
        shutil.rmtree(work)
    home = work / "home"
    home.mkdir(parents=True)
    seller_ids = [s["seller_id"] for s in info["sellers"]]
    stages: dict = {"generate": gen}
    out = {
        "key": key,
        "sellers": sellers,
        "months": months,
        "seed": seed,
        "as_of_full": (as_of - timedelta(days=1)).isoformat(),
        "as_of_daily": as_of.isoformat(),
        "stages": stages,
    }
    dbt_args = {"home": str(home), "target": str(work / "target"), "logs": str(work / "logs")}

    log(f"{key}: full build")
    ingest = stage(
        stages,
        "ingest",
        "ingest",
        {
            "home": str(home),
            "sellers": [
                {"seller_id": s["seller_id"], "paths": s["history_paths"]} for s in info["sellers"]
            ],
        },
        work,
        sellers,
    )
    build = stage(
        stages, "dbt_build", "dbt_build", {**dbt_args, "as_of": out["as_of_full"]}, work, sellers
    )
    landed = ingest.result["rows_loaded"]
    out["rows"] = {name: landed.get(src, 0) for name, src in MAIN_SOURCES.items()}
    out["rows"]["all_landed"] = sum(landed.values())
    out["rows_generated"] = {
        k: sum(s["counts"].get(k, 0) for s in info["sellers"])
        for k in sorted({k for s in info["sellers"] for k in s["counts"]})
    }
    claims = build.result["claims"]
    out["claims"] = claims
    out["claims_by_type"] = build.result["claims_by_type"]
    out["claims_per_s"] = round(claims / build.wall_s, 2) if build.wall_s else None

    if full:
        db = home / "warehouse" / "reclaim.duckdb"
        stage(
            stages,
            "exports",
            "exports",
            {
                "db": str(db),
                "serving": str(work / "serving" / "reclaim.duckdb"),
                "sellers": seller_ids,
                "out_dir": str(work / "exports"),
            },
            work,
            sellers,
        )
        out["baselines"] = run_baselines(stages, home, db, work, sellers, skip_pandas_above, "")

    log(f"{key}: daily build (one more day landed)")
    stage(
        stages,
        "daily_ingest",
        "ingest",
        {
            "home": str(home),
            "sellers": [
                {"seller_id": s["seller_id"], "paths": s["daily_paths"]} for s in info["sellers"]
            ],
        },
        work,
        sellers,
    )
    daily = stage(
        stages,
        "daily_dbt_build",
        "dbt_build",
        {**dbt_args, "as_of": out["as_of_daily"]},
        work,
        sellers,
    )
    out["daily_claims"] = daily.result["claims"]
    if full:
        db = home / "warehouse" / "reclaim.duckdb"
        out["baselines_after_daily"] = run_baselines(stages, home, db, work, sellers, -1, "daily_")
    return out


def run_baselines(
    stages: dict,
    home: Path,
    db: Path,
    work: Path,
    sellers: int,
    skip_pandas_above: int,
    prefix: str,
) -> dict:
    """DuckDB and pandas baselines on the landing Parquet, each compared with fct_claims.
    skip_pandas_above < 0: DuckDB only."""
    result: dict = {
        "rules": sorted(baselines.RULES),
        "compared": {k: baselines.compared_columns(r) for k, r in baselines.RULES.items()},
        "pending_rules": baselines.PENDING_RULES,
    }
    engines = ["duckdb"]
    if 0 <= sellers <= skip_pandas_above:
        engines.append("pandas")
    elif skip_pandas_above >= 0:
        result["pandas_skipped"] = f"{sellers} sellers > --skip-pandas-above {skip_pandas_above}"
        stages[f"{prefix}baseline_pandas"] = {"skipped": result["pandas_skipped"]}
    agree = True
    for engine in engines:
        m = stage(
            stages,
            f"{prefix}baseline_{engine}",
            "baseline",
            {"engine": engine, "home": str(home), "out_dir": str(work / "baselines")},
            work,
            sellers,
        )
        for name, r in m.result["rules"].items():
            cmp = baselines.compare(db, baselines.RULES[name], Path(r["path"]))
            result[f"{engine}:{name}"] = cmp
            agree = agree and cmp["agree"]
            if not cmp["agree"]:
                log("  " + baselines.describe_mismatch(engine, name, cmp))
    result["agree"] = agree
    return result


def history_growth(
    bench: Path, months_list: list[int], seed: int, sim_hash: str, done: list[dict]
) -> dict:
    out: dict = {}
    for months in months_list:
        reuse = next((s for s in done if s["sellers"] == 1 and s["months"] == months), None)
        if reuse is None:
            log(f"history growth: 1 seller x {months} months")
            reuse = run_scenario(bench, 1, months, seed, sim_hash, -1, full=False)
        st = reuse["stages"]
        out[str(months)] = {
            "key": reuse["key"],
            "ledger_rows": reuse["rows"]["ledger"],
            "full_build_s": st["dbt_build"]["wall_s"],
            "daily_build_s": st["daily_dbt_build"]["wall_s"],
            "daily_build_peak_rss_mb": st["daily_dbt_build"]["peak_rss_tree_mb"],
        }
    return out


def first_demo(bench: Path) -> dict:
    """`reclaim demo` as after install (benchmarks.stages.stage_demo), for the demo target."""
    work = bench / "work" / "demo"
    log("first demo after install: reclaim demo from a clean copy of the checkout")
    args = {
        "checkout": str(work / "checkout"),
        "home": str(work / "home"),
        "log": str(work / "demo.log"),
        "timeout_s": 900,
    }
    try:
        m = run_stage("demo", "demo", args, work / "stages", 1200)
    except StageError as exc:  # recorded, so the scenarios' results are still written
        log(f"  demo FAILED: {exc}")
        return {"error": str(exc)[-2000:]}
    log(f"  demo: {m.result['demo_s']:.1f}s, peak RSS {m.peak_rss_tree_mb:.0f} MB")
    return m.to_json()


def latest_extraction(bench: Path) -> dict | None:
    """The newest `benchmarks.extraction` result under bench/ (make bench runs it just before),
    for the extraction targets of the table."""
    found = sorted(bench.glob("extraction-*.json"))
    if not found:
        return None
    return {**json.loads(found[-1].read_text()), "file": found[-1].name}


def generate_only(bench: Path, scenarios: list[int], months: int, seed: int, sim_hash: str) -> int:
    for sellers in scenarios:
        key, info, gen = prepare(bench, sellers, months, seed, sim_hash)
        counts: dict[str, int] = {}
        for s in info["sellers"]:
            for k, v in s["counts"].items():
                counts[k] = counts.get(k, 0) + v
        print(
            json.dumps(
                {
                    "key": key,
                    "sellers": sellers,
                    "months": months,
                    "generate_s": gen["wall_s"],
                    "generate_peak_rss_mb": gen["peak_rss_tree_mb"],
                    "rows_generated": dict(sorted(counts.items())),
                    "rows_generated_total": sum(counts.values()),
                },
                indent=2,
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--scenarios",
        default=os.environ.get("BENCH_SCENARIOS", "1,10,100"),
        help="seller counts, comma-separated (default $BENCH_SCENARIOS or 1,10,100; the "
        "100-seller scenario takes about 30 minutes on 2 cores)",
    )
    p.add_argument("--months", type=int, default=18, help="months of history (default 18)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--history-months",
        default="12,36",
        help="history growth: daily build of 1 seller at these months (default 12,36; 0: skip)",
    )
    p.add_argument(
        "--skip-pandas-above",
        type=int,
        default=100,
        help="skip the pandas baseline above this many sellers (default 100)",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help="1 seller x 2 months, history growth at 2 months only (for the tests)",
    )
    p.add_argument(
        "--skip-demo",
        action="store_true",
        help="do not time the first `reclaim demo` after install (about a minute)",
    )
    p.add_argument(
        "--generate-only",
        action="store_true",
        help="only generate (and cache) the scenarios' data and print their row counts, e.g. to "
        "size the 100-seller scenario before running it",
    )
    args = p.parse_args(argv)

    if args.smoke:
        scenarios, months, history = [1], 2, [2]
    else:
        scenarios = [int(x) for x in args.scenarios.split(",") if x.strip()]
        months = args.months
        history = [int(x) for x in args.history_months.split(",") if x.strip() and int(x) > 0]

    home = Path(os.environ.get("RECLAIM_HOME", "data")).expanduser().resolve()
    bench = home / "bench"
    bench.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    sim_hash = simulator_hash()
    doc = {
        "started_at": stamp,
        "machine": machine_facts(),
        "args": {
            "scenarios": scenarios,
            "months": months,
            "history_months": history,
            "seed": args.seed,
            "skip_pandas_above": args.skip_pandas_above,
            "smoke": args.smoke,
            "skip_demo": args.skip_demo,
        },
        "simulator_sha256": sim_hash,
        "scenarios": [],
    }
    if args.generate_only:
        return generate_only(bench, scenarios, months, args.seed, sim_hash)
    for sellers in scenarios:
        doc["scenarios"].append(
            run_scenario(bench, sellers, months, args.seed, sim_hash, args.skip_pandas_above)
        )
    doc["history_growth"] = history_growth(bench, history, args.seed, sim_hash, doc["scenarios"])
    doc["demo"] = None if args.skip_demo else first_demo(bench)
    doc["extraction"] = latest_extraction(bench)
    doc["agree"] = all(
        s["baselines"]["agree"] and s["baselines_after_daily"]["agree"] for s in doc["scenarios"]
    )
    doc["finished_at"] = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    table = markdown(doc)
    doc["targets"] = table.targets

    out_json = bench / f"results-{stamp}.json"
    out_json.write_text(json.dumps(doc, indent=2, default=str))
    (bench / f"results-{stamp}.md").write_text(table.text)
    (bench / "results.md").write_text(table.text)
    print(table.text)
    print(f"results: {out_json}")
    failed = False
    if not doc["agree"]:
        print(
            "FAILED: a baseline does not give the pipeline's claims (see MISMATCH above)",
            file=sys.stderr,
        )
        failed = True
    if doc["demo"] and "error" in doc["demo"]:
        print(f"FAILED: the demo did not run: {doc['demo']['error']}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
