"""Nothing from lineage.yml or an output folder touches a file: step SQL runs in a sealed DuckDB
(external access off, configuration locked), a statement smuggled into a param is refused before
anything runs, stored SQL that is not what the step's params give is reported as tampering and
never executed, and a corrupt Parquet file is an input error naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from synthgen_sdv.cli import main
from synthgen_sdv.core.errors import InputError, SynthgenError
from synthgen_sdv.lineage.runner import WORK_PREFIX, plan_step, workspace
from synthgen_sdv.lineage.spec import default_lineage_path
from synthgen_sdv.lineage.tables import to_arrow
from synthgen_sdv.lineage.verify import step_from_record
from synthgen_sdv.lineage.workspace import Limits
from tests.fixtures.lineage_sample import sample_tables

HOST_FILE = "/etc/hostname"


def _data(root: Path, n: int = 40) -> Path:
    out = root / "out"
    (out / "data").mkdir(parents=True)
    for name, frame in sample_tables(n).items():
        pq.write_table(to_arrow(frame), out / "data" / f"{name}.parquet")
    return out


def _spec(root: Path, step: str, **derive: str) -> Path:
    """The built-in lineage.yml with columns derived at ``step``."""
    doc = yaml.safe_load(default_lineage_path().read_text())
    target = next(s for s in doc["steps"] if s["id"] == step)
    target["params"].setdefault("derive", {}).update(derive)
    path = root / "lineage.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _lineage_doc(out: Path) -> dict:
    return yaml.safe_load((out / "metadata" / "generation_lineage.yaml").read_text())


def _write_lineage_doc(out: Path, doc: dict) -> None:
    (out / "metadata" / "generation_lineage.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def test_a_sealed_workspace_refuses_every_file_access(tmp_path):
    target = tmp_path / "written.csv"
    with workspace(tmp_path / "work") as ws:
        ws.load_arrow("t", pa.table({"a": [1, 2]}))
        ws.seal()
        assert ws.scalar("SELECT current_setting('enable_external_access')") is False
        for sql in [
            f"COPY (SELECT 1) TO '{target}'",
            f"SELECT * FROM read_text('{HOST_FILE}')",
            f"SELECT * FROM read_csv('{HOST_FILE}')",
            f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
            "INSTALL httpfs",
            "SET enable_external_access = true",
            "SET allowed_paths = ['/etc']",
        ]:
            with pytest.raises(duckdb.Error):
                ws.con.execute(sql).fetchall()
        with pytest.raises(InputError, match="read or write a file"):
            ws.run_step_sql(f"SELECT * FROM read_text('{HOST_FILE}')", "step 'x'")
        with pytest.raises(InputError, match="one SELECT statement; this is SELECT, COPY"):
            ws.run_step_sql(f"SELECT 1; COPY (SELECT 2) TO '{target}'", "step 'x'")
        assert ws.count(ws.table("t")) == 2, "our own statements still work"
    assert not target.exists()


@pytest.mark.parametrize(
    "reads",
    [
        f"(SELECT content FROM read_text('{HOST_FILE}'))",
        f"(SELECT count(*) FROM read_csv('{HOST_FILE}'))",
        "(SELECT count(*) FROM read_parquet('{data}/orders.parquet'))",
        "(SELECT count(*) FROM glob('/etc/*'))",
    ],
    ids=["read_text", "read_csv", "read_parquet", "glob"],
)
def test_a_step_that_reads_a_file_fails_with_exit_2_and_writes_nothing(tmp_path, capsys, reads):
    out = _data(tmp_path)
    spec = _spec(tmp_path, "extract_customers", host=reads.format(data=out / "data"))
    assert main(["lineage", "--data", str(out), "--spec", str(spec), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "step 'extract_customers'" in err and "read or write a file" in err, err
    assert sorted(p.name for p in out.iterdir()) == ["data"], "nothing written, no work folder"


@pytest.mark.parametrize(
    ("smuggled", "message"),
    [
        ("1 FROM orders; COPY (SELECT 42) TO '{target}'; SELECT 1", "this is SELECT, COPY, SELECT"),
        ("1); COPY (SELECT 42) TO '{target}'; SELECT (1", "SQL does not parse"),
    ],
)
def test_a_copy_smuggled_into_a_param_is_refused_before_anything_runs(
    tmp_path, capsys, smuggled, message
):
    out = _data(tmp_path)
    target = tmp_path / "written.csv"
    spec = _spec(tmp_path, "extract_orders", x=smuggled.format(target=target))
    assert main(["lineage", "--data", str(out), "--spec", str(spec), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "steps[2].params: step 'extract_orders'" in err and message in err, err
    assert not target.exists()
    assert sorted(p.name for p in out.iterdir()) == ["data"]


def test_a_failed_rerun_keeps_the_earlier_lineage_as_it_was(lineage_copy, tmp_path, capsys):
    before = {
        p.relative_to(lineage_copy): p.read_bytes()
        for p in lineage_copy.rglob("*")
        if p.is_file() and p.parent.name != "data"
    }
    spec = _spec(tmp_path, "build_fact_sales", broken="no_such_column + 1")
    assert main(["lineage", "--data", str(lineage_copy), "--spec", str(spec), "--no-progress"]) == 2
    assert "step 'build_fact_sales'" in capsys.readouterr().err
    after = {
        p.relative_to(lineage_copy): p.read_bytes()
        for p in lineage_copy.rglob("*")
        if p.is_file() and p.parent.name != "data"
    }
    assert after == before
    assert not list(lineage_copy.glob(f"{WORK_PREFIX}*"))


def test_tampered_stored_sql_is_reported_and_never_run(lineage_copy, tmp_path, capsys):
    target = tmp_path / "written.csv"
    doc = _lineage_doc(lineage_copy)
    step = next(s for s in doc["pipeline"]["steps"] if s["id"] == "extract_orders")
    step["outputs"][0]["sql"] = f"COPY (SELECT 42 AS x) TO '{target}'"
    _write_lineage_doc(lineage_copy, doc)
    assert main(["validate-lineage", str(lineage_copy)]) == 1
    err = capsys.readouterr().err
    assert "step 'extract_orders' check sql" in err and "tampering" in err, err
    assert "was not run" in err
    assert not target.exists()


def test_tampered_params_with_matching_sql_still_cannot_read_a_file(lineage_copy, capsys):
    """An edit consistent with the params passes the comparison; the sealed DuckDB stops it."""
    doc = _lineage_doc(lineage_copy)
    step = next(s for s in doc["pipeline"]["steps"] if s["id"] == "extract_orders")
    step["params"]["derive"] = {"host": f"(SELECT content FROM read_text('{HOST_FILE}'))"}
    rebuilt, params = step_from_record(step)
    with workspace(None) as ws:
        ws.load_arrow("orders", to_arrow(sample_tables(10)["orders"]))
        plans = plan_step(ws, rebuilt, params, {"orders": ws.table("orders")})
    step["outputs"][0]["sql"] = plans[0].sql
    _write_lineage_doc(lineage_copy, doc)
    assert main(["validate-lineage", str(lineage_copy)]) == 1
    err = capsys.readouterr().err
    assert "step 'extract_orders' check sql" in err and "read or write a file" in err, err


def test_a_record_that_is_not_a_valid_step_is_not_run(lineage_copy, capsys):
    doc = _lineage_doc(lineage_copy)
    step = next(s for s in doc["pipeline"]["steps"] if s["id"] == "extract_orders")
    step["operation"] = "shell"
    _write_lineage_doc(lineage_copy, doc)
    assert main(["validate-lineage", str(lineage_copy)]) == 1
    err = capsys.readouterr().err
    assert "step 'extract_orders' check spec" in err and "unknown operation 'shell'" in err, err


@pytest.mark.parametrize(
    ("folder", "table"), [("lineage_data", "stg_orders"), ("data", "customers")]
)
@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_corrupt_parquet_file_is_exit_2_naming_the_file(
    lineage_copy, capsys, folder, table, damage
):
    path = lineage_copy / folder / f"{table}.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not parquet" * 50)
    assert main(["validate-lineage", str(lineage_copy)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "cannot be read as Parquet" in err, err
    assert "unexpected" not in err


def test_validate_lineage_json_names_the_tampered_step(lineage_copy, tmp_path):
    doc = _lineage_doc(lineage_copy)
    step = next(s for s in doc["pipeline"]["steps"] if s["id"] == "build_fact_sales")
    step["outputs"][0]["sql"] += " LIMIT 10"
    _write_lineage_doc(lineage_copy, doc)
    report = tmp_path / "report.json"
    assert main(["validate-lineage", str(lineage_copy), "--json", str(report)]) == 1
    problems = json.loads(report.read_text())["problems"]
    assert any("step 'build_fact_sales' check sql" in p for p in problems), problems


def test_a_sealed_workspace_spills_what_does_not_fit_its_memory_limit(tmp_path):
    """External access off does not stop DuckDB from spilling: a sort of twice the memory limit's
    worth of data completes, and the work folder is gone afterwards."""
    with workspace(tmp_path, Limits(memory_mb=32)) as ws:
        ws.load_arrow("seed", pa.table({"n": [1_000_000]}))
        ws.seal()
        assert ws.scalar("SELECT current_setting('memory_limit')").startswith("30.5 MiB")
        with ws.views({"seed": ws.table("seed")}):
            big = ws.run_step_sql(
                "SELECT i, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS s "
                "FROM seed, range((SELECT n FROM seed)) t(i) ORDER BY s",
                "step 'big'",
            )
        size = ws.scalar(f"SELECT sum(strlen(s) + 8) FROM {big}")
        assert size > 2 * 32 * 2**20, size
        assert ws.count(big) == 1_000_000
    assert not list(tmp_path.glob(f"{WORK_PREFIX}*"))


def test_a_statement_out_of_memory_is_retried_below_the_limit_never_above(tmp_path):
    """The pipeline's memory stays within DuckDB's limit at any scale: a statement that runs out
    of memory is retried at lower limits only (spilling from the start), and when none works
    the error names the step and the setting that gives DuckDB more room."""
    with workspace(tmp_path, Limits(memory_mb=64)) as ws:
        ws.load_arrow("seed", pa.table({"n": [2_000_000]}))
        ws.seal()
        limits = []
        run = ws.run
        ws.run = lambda sql: (limits.append(sql) if "memory_limit" in sql else None, run(sql))
        huge = pytest.raises(SynthgenError, match=r"step 'huge'.*SYNTHGEN_LINEAGE_MEMORY_MB")
        with ws.views({"seed": ws.table("seed")}), huge:  # one value above the limit: no spill
            ws.run_step_sql(
                "SELECT string_agg(md5(i::VARCHAR), ',') AS s "
                "FROM seed, range((SELECT n FROM seed)) t(i)",
                "step 'huge'",
            )
        set_to = [int(sql.split("'")[1].removesuffix("MB")) for sql in limits]
        assert set_to == [38, 19, 64], set_to  # lower, lower, then back to the limit
        assert ws.scalar("SELECT current_setting('memory_limit')").startswith("61.0 MiB")


def test_a_step_error_after_a_signal_is_the_interrupt(tmp_path):
    """DuckDB turns Ctrl-C into an error ('Query interrupted'); after a signal the step's error
    is the interrupt, not a failed step the pipeline records and goes on from."""
    import signal

    from synthgen_sdv.core import signals

    with workspace(tmp_path / "work") as ws:
        failing = "SELECT * FROM no_such_table"
        with pytest.raises(SynthgenError):
            ws.step_scalar(f"SELECT count(*) FROM ({failing})", "step 1")
        signals.note(signal.SIGINT)
        try:
            with pytest.raises(KeyboardInterrupt, match="SIGINT"):
                ws.step_scalar(f"SELECT count(*) FROM ({failing})", "step 1")
        finally:
            signals.reset()
