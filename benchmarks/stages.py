"""The stages of a benchmark, each run as its own process by benchmarks.measure:

    python -m benchmarks.stages STAGE ARGS_FILE OUT_JSON

generate   simulate the scenario (extractors.sandbox.simulator) and split the day files
ingest     land report files as typed Parquet (extractors.ingest.ingest_files)
dbt_build  `dbt build` (production: unit tests excluded), timings per layer from run_results
exports    what a build publishes: the serving copy (orchestration.serving), then every
           seller's claim export read from it over one connection, as the claim_exports asset
baseline   the baselines of benchmarks.baselines (engine duckdb or pandas)
demo       `reclaim demo` as a user first runs it after install: from a copy of the checkout's
           tracked files (no dbt target yet, so dbt parses the project) in a new RECLAIM_HOME
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = REPO_ROOT / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))

# Reports split into "history" (rows before the last day) and a "daily" pull: the rows of the
# look-back window a daily SP-API run requests again (README: 31 days for the ledger,
# reimbursements and returns, 7 for orders), which includes the one new day.
DAY_SPLIT = {
    "GET_LEDGER_DETAIL_VIEW_DATA": ("Date", 31),
    "GET_FBA_REIMBURSEMENTS_DATA": ("approval-date", 31),
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": ("return-date", 31),
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": ("purchase-date", 7),
}
# Ground truth is not landed. The sandbox's inbound shipments are the emulator's own store (served
# as FBA Inbound v0 pages); the bench lands them as the saved getShipments / getShipmentItems
# document a user passes to `reclaim ingest` (inbound_document), split by last-updated date like
# the extractor's DATE_RANGE query: history = updated before the last day, daily = updated in the
# look-back window (extractors.spapi.api_extract.INBOUND_LOOKBACK_DAYS) ending on it.
NOT_INGESTED = {"ground_truth"}
INBOUND_KEY = "inbound_shipments"


def _peak_self_mb() -> float:
    hwm = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return max(hwm, children)


def _row_day(value: bytes) -> date:
    text = value[:10].decode()
    if "/" in text:  # ledger: MM/DD/YYYY
        m, d, y = text.split("/")
        return date(int(y), int(m), int(d))
    return date.fromisoformat(text)


def split_report(path: Path, column: str, last_day: date, lookback: int, out: Path) -> dict:
    """Write `out/history/<name>` (rows dated before `last_day`) and `out/daily/<name>` (rows of
    the `lookback` days ending on `last_day`), header kept, bytes otherwise untouched."""
    lines = path.read_bytes().split(b"\n")
    header, rows = lines[0], [r for r in lines[1:] if r.strip()]
    idx = header.rstrip(b"\r").split(b"\t").index(column.encode())
    first_daily = last_day - timedelta(days=lookback - 1)
    history, daily = [header], [header]
    for row in rows:
        day = _row_day(row.split(b"\t")[idx])
        if day < last_day:
            history.append(row)
        if first_daily <= day <= last_day:
            daily.append(row)
    written = {}
    for kind, kept in (("history", history), ("daily", daily)):
        if len(kept) > 1:
            target = out / kind / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"\n".join(kept) + b"\n")
            written[kind] = str(target)
    return {**written, "history_rows": len(history) - 1, "daily_rows": len(daily) - 1}


def inbound_document(entries: list[dict]) -> dict:
    """Sandbox shipments ({"last_updated", "shipment", "items"}) as the FBA Inbound v0 document
    the extractor saves (extractors.reports.api_documents: pages + shipment_items)."""
    return {
        "api": "fba/inbound/v0/shipments",
        "pages": [{"payload": {"ShipmentData": [e["shipment"] for e in entries]}}],
        "shipment_items": [{"payload": {"ItemData": [i for e in entries for i in e["items"]]}}],
    }


def split_inbound(path: Path, last_day: date, lookback: int, out: Path) -> dict:
    """`out/history/inbound_shipments.json` (shipments last updated before `last_day`) and
    `out/daily/...` (updated in the `lookback` days ending on `last_day`)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    first_daily = last_day - timedelta(days=lookback - 1)
    parts: dict[str, list[dict]] = {"history": [], "daily": []}
    for entry in doc.get("shipments", []):
        day = date.fromisoformat(entry["last_updated"][:10])
        if day < last_day:
            parts["history"].append(entry)
        if first_daily <= day <= last_day:
            parts["daily"].append(entry)
    written: dict = {}
    for kind, entries in parts.items():
        written[f"{kind}_rows"] = sum(len(e["items"]) for e in entries)
        if entries:
            target = out / kind / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(inbound_document(entries)), encoding="utf-8")
            written[kind] = str(target)
    return written


def stage_generate(args: dict) -> dict:
    from extractors.sandbox.simulator import Scenario, generate

    scenario = Scenario.from_json(args["scenario"])
    out = Path(args["out_dir"])
    t0 = time.perf_counter()
    manifest = generate(scenario, out / "gen")
    generated_s = time.perf_counter() - t0
    sellers = []
    for seller in manifest.sellers:
        split_dir = out / "split" / seller.seller_id
        history, daily, days = [], [], {}
        for key, path in sorted(seller.files.items()):
            if key in NOT_INGESTED:
                continue
            if key == INBOUND_KEY:
                from extractors.spapi.api_extract import INBOUND_LOOKBACK_DAYS

                parts = split_inbound(Path(path), scenario.as_of, INBOUND_LOOKBACK_DAYS, split_dir)
                history += [parts["history"]] if "history" in parts else []
                daily += [parts["daily"]] if "daily" in parts else []
                days[key] = {k: v for k, v in parts.items() if k.endswith("_rows")}
            elif key in DAY_SPLIT:
                column, lookback = DAY_SPLIT[key]
                parts = split_report(Path(path), column, scenario.as_of, lookback, split_dir)
                history += [parts["history"]] if "history" in parts else []
                daily += [parts["daily"]] if "daily" in parts else []
                days[key] = {
                    "history_rows": parts["history_rows"],
                    "daily_rows": parts["daily_rows"],
                }
            else:
                history.append(str(path))
        sellers.append(
            {
                "seller_id": seller.seller_id,
                "counts": seller.counts,
                "history_paths": history,
                "daily_paths": daily,
                "day_split": days,
            }
        )
    return {"generate_s": generated_s, "sellers": sellers}


def stage_ingest(args: dict) -> dict:
    from extractors.ingest import ingest_files
    from orchestration.claim_outcomes import ensure_log

    home = Path(args["home"])
    ensure_log(home / "state")
    loaded: dict[str, int] = {}
    quarantined = 0
    files = 0
    errors = []
    for seller in args["sellers"]:
        report = ingest_files(home, seller["seller_id"], [Path(p) for p in seller["paths"]])
        for o in report.outcomes:
            if o.error:
                errors.append(o.error)
            if o.result is not None:
                files += 1
                loaded[o.source] = loaded.get(o.source, 0) + o.result.rows_loaded
                quarantined += getattr(o.result, "rows_quarantined", 0) or 0
    if errors:
        raise RuntimeError("ingest failed:\n" + "\n".join(errors[:20]))
    return {"files": files, "rows_loaded": loaded, "rows_quarantined": quarantined}


SLOWEST_NODES = 10  # the profile kept per build: its slowest models and tests


def _layer(node: dict) -> str:
    kind = node.get("resource_type")
    if kind == "seed":
        return "seeds"
    if kind == "test":
        return "tests"
    if kind == "model":
        fqn = node.get("fqn", [])
        if len(fqn) > 1 and fqn[1] in ("staging", "intermediate", "marts"):
            return fqn[1]
    return "other"


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def layer_timings(target: Path) -> tuple[dict, list[dict]]:
    """Per layer: nodes, summed node time, wall span (first start to last end, threads overlap);
    and the slowest nodes."""
    results = json.loads((target / "run_results.json").read_text())
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    layers: dict[str, dict] = {}
    failures = []
    for r in results["results"]:
        node = nodes.get(r["unique_id"], {})
        layer = _layer(node)
        entry = layers.setdefault(layer, {"nodes": 0, "node_s": 0.0, "start": None, "end": None})
        entry["nodes"] += 1
        entry["node_s"] += r.get("execution_time") or 0.0
        for t in r.get("timing", []):
            if t.get("started_at") and t.get("completed_at"):
                s, e = _ts(t["started_at"]), _ts(t["completed_at"])
                entry["start"] = s if entry["start"] is None else min(entry["start"], s)
                entry["end"] = e if entry["end"] is None else max(entry["end"], e)
        if r.get("status") not in ("success", "pass", "warn"):
            failures.append({"node": r["unique_id"], "status": r.get("status")})
    out = {}
    for layer, e in layers.items():
        span = (e["end"] - e["start"]) if e["start"] is not None else 0.0
        out[layer] = {
            "nodes": e["nodes"],
            "node_s": round(e["node_s"], 3),
            "span_s": round(span, 3),
        }
    out["_dbt_elapsed_s"] = round(results.get("elapsed_time") or 0.0, 3)
    out["_slowest_nodes"] = [
        {"node": r["unique_id"].split(".", 2)[-1], "s": round(r.get("execution_time") or 0.0, 3)}
        for r in sorted(results["results"], key=lambda r: -(r.get("execution_time") or 0.0))[
            :SLOWEST_NODES
        ]
    ]
    return out, failures


def materializations(target: Path) -> dict:
    """Models per layer and materialization (table, view, incremental, ...) in the manifest: what
    a daily build can skip depends on it."""
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    out: dict[str, dict[str, int]] = {}
    for node in nodes.values():
        if node.get("resource_type") != "model":
            continue
        kind = node.get("config", {}).get("materialized", "?")
        layer = out.setdefault(_layer(node), {})
        layer[kind] = layer.get(kind, 0) + 1
    return out


def _env(**settings: str) -> dict[str, str]:
    """This environment without the caller's RECLAIM_* and DBT_* settings, plus `settings`."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RECLAIM_", "DBT_"))},
        **settings,
    }


def stage_dbt_build(args: dict) -> dict:
    import duckdb

    home, target, logs = Path(args["home"]), Path(args["target"]), Path(args["logs"])
    (home / "warehouse").mkdir(parents=True, exist_ok=True)
    env = _env(
        RECLAIM_HOME=str(home),
        DBT_PROFILES_DIR=str(DBT_DIR),
        # as production passes it (orchestration/assets/transform.py): through the environment,
        # so the daily build re-uses the full build's parse (same target folder)
        RECLAIM_AS_OF=args["as_of"],
    )
    cmd = [
        DBT,
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--target-path",
        str(target),
        "--log-path",
        str(logs),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=DBT_DIR, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    layers, failures = layer_timings(target)
    if failures:
        raise RuntimeError(f"dbt build: failed nodes {failures[:10]}")
    con = duckdb.connect(str(home / "warehouse" / "reclaim.duckdb"), read_only=True)
    try:
        claims = dict(
            con.execute(
                "select claim_type, count(*) from marts.fct_claims group by 1 order by 1"
            ).fetchall()
        )
        ready = con.execute(
            "select count(*) from marts.fct_claims where status = 'ready'"
        ).fetchone()[0]
    finally:
        con.close()
    return {
        "dbt_wall_s": round(wall, 3),
        "dbt_elapsed_s": layers.pop("_dbt_elapsed_s"),
        "slowest_nodes": layers.pop("_slowest_nodes"),
        "layers": layers,
        "materializations": materializations(target),
        "claims_by_type": claims,
        "claims": sum(claims.values()),
        "ready_claims": ready,
    }


def stage_exports(args: dict) -> dict:
    import duckdb

    from orchestration.exports import export_claims
    from orchestration.serving import publish_serving_copy

    db, serving, out = Path(args["db"]), Path(args["serving"]), Path(args["out_dir"])
    started = time.perf_counter()
    publish_serving_copy(db, serving)
    copied = time.perf_counter()
    rows = 0
    with duckdb.connect(str(serving), read_only=True) as con:
        for seller_id in args["sellers"]:
            path = out / f"{seller_id}.csv"
            rows += export_claims(serving, seller_id, path, "csv", con=con).rows
    return {
        "files": len(args["sellers"]),
        "rows": rows,
        "serving_copy_s": round(copied - started, 3),
        "serving_copy_mb": round(serving.stat().st_size / 2**20, 1),
        "exports_s": round(time.perf_counter() - copied, 3),
    }


def stage_baseline(args: dict) -> dict:
    from benchmarks import baselines

    home, out = Path(args["home"]), Path(args["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    per_rule = {}
    t0 = time.perf_counter()
    for name, rule in baselines.RULES.items():
        target = out / f"{args['engine']}-{name}.parquet"
        r0 = time.perf_counter()
        if args["engine"] == "duckdb":
            n = baselines.run_duckdb(rule.duckdb_sql(home), target)
        else:
            n = baselines.run_pandas(rule, home, target)
        per_rule[name] = {
            "claims": n,
            "compute_s": round(time.perf_counter() - r0, 3),
            "path": str(target),
        }
    return {"compute_s": round(time.perf_counter() - t0, 3), "rules": per_rule}


def _tracked_files() -> list[str] | None:
    """The checkout's tracked files (what a clone has), or None outside a git checkout."""
    try:
        proc = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in proc.stdout.decode().split("\0") if name]


def _copy_checkout(dest: Path) -> None:
    tracked = _tracked_files()
    if tracked is None:
        shutil.copytree(
            REPO_ROOT,
            dest,
            ignore=shutil.ignore_patterns(
                ".git", ".venv", ".tools", "data", "target", "logs", "__pycache__", "*.pyc"
            ),
        )
        return
    for name in tracked:
        src = REPO_ROOT / name
        if src.is_file():  # a tracked file deleted in the working tree is skipped
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def stage_demo(args: dict) -> dict:
    """The demo a new user runs (`make demo` after `make install`): `reclaim demo` with this
    virtualenv's Python, from a copy of the checkout without its dbt target folder, in a new
    RECLAIM_HOME. Its time is `demo_s` (the copy is timed apart)."""
    checkout, home = Path(args["checkout"]), Path(args["home"])
    for path in (checkout, home):
        if path.exists():
            shutil.rmtree(path)
    t0 = time.perf_counter()
    _copy_checkout(checkout)
    copied = time.perf_counter()
    env = _env(
        PYTHONPATH=str(checkout),
        RECLAIM_HOME=str(home),
        DBT_PROFILES_DIR=str(checkout / "dbt_project"),  # as the Makefile sets it
    )
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "demo"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=args.get("timeout_s", 900),
    )
    demo_s = time.perf_counter() - copied
    log = Path(args["log"])
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        raise RuntimeError(f"reclaim demo exited {proc.returncode} (output: {log})")
    from orchestration.home import ReclaimHome

    # the demo's comparison with the sandbox's ground truth, as it saved it
    evaluation = ReclaimHome(home).sandbox / "evaluation.json"
    overall = json.loads(evaluation.read_text())["overall"]
    return {
        "demo_s": round(demo_s, 3),
        "copy_s": round(copied - t0, 3),
        # the copy's own dbt project was parsed: the demo ran from the copy, not this checkout
        "parsed_in_copy": (checkout / "dbt_project" / "target" / "manifest.json").exists(),
        "truth_claims": overall["truth_count"],
        "found_claims": overall["found_count"],
        "true_positives": overall["tp_count"],
        "log": str(log),
    }


STAGES = {
    "generate": stage_generate,
    "ingest": stage_ingest,
    "dbt_build": stage_dbt_build,
    "exports": stage_exports,
    "baseline": stage_baseline,
    "demo": stage_demo,
}


def main(argv: list[str]) -> int:
    stage, out = argv[0], Path(argv[2])
    args = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    result = STAGES[stage](args)
    result["stage_inner_s"] = round(time.perf_counter() - t0, 3)
    result["peak_rss_largest_process_mb"] = round(_peak_self_mb(), 1)
    out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
