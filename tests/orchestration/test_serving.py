"""The serving copy analysts and exports read: after a build it holds everything the build wrote,
including what is still in the warehouse's write-ahead log, and publishing it never waits for a
reader of the previous copy."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.serving import publish_serving_copy


def _warehouse_with_unfolded_log(path, rows: int) -> None:
    """A warehouse whose last writes are still in its write-ahead log (a build that ended before
    DuckDB checkpointed)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_claims as select range as claim from range(10)")
        con.execute("checkpoint")
        con.execute("set wal_autocheckpoint = '10GB'")
        con.execute("pragma disable_checkpoint_on_shutdown")
        con.execute(f"insert into marts.fct_claims select range from range(10, {rows})")
        con.execute("create view marts.claims_view as select * from marts.fct_claims")
    assert path.with_name(path.name + ".wal").exists()


def test_the_copy_holds_the_writes_still_in_the_log(tmp_path):
    warehouse = tmp_path / "warehouse" / "reclaim.duckdb"
    serving = tmp_path / "serving" / "reclaim.duckdb"
    warehouse.parent.mkdir()
    _warehouse_with_unfolded_log(warehouse, rows=5000)

    assert publish_serving_copy(warehouse, serving) == serving
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_claims").fetchone() == (5000,)
        assert con.execute("select max(claim) from marts.claims_view").fetchone() == (4999,)
    assert not serving.with_name(serving.name + ".wal").exists()
    assert [p.name for p in serving.parent.iterdir()] == ["reclaim.duckdb"]  # no leftovers


def test_a_reader_of_the_previous_copy_keeps_it_and_does_not_block(tmp_path):
    warehouse, serving = tmp_path / "reclaim.duckdb", tmp_path / "serving" / "reclaim.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table t as select 1 as build")
    publish_serving_copy(warehouse, serving)
    with duckdb.connect(str(serving), read_only=True) as reader:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("update t set build = 2")
        publish_serving_copy(warehouse, serving)  # the reader holds the old file open
        assert reader.execute("select build from t").fetchone() == (1,)
    with duckdb.connect(str(serving), read_only=True) as fresh:
        assert fresh.execute("select build from t").fetchone() == (2,)


def test_no_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no warehouse to publish.*build first"):
        publish_serving_copy(tmp_path / "missing.duckdb", tmp_path / "serving.duckdb")
    assert not (tmp_path / "missing.duckdb").exists()
