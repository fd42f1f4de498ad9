"""`sample --engine spark` (issue 11 item 4): batches of root rows drawn as Spark tasks in local
mode give the same output folder as local sampling, byte for byte (so the same content sorted by
key, metadata and report files), for a config's model and for your own data; bad Spark input
stops with exit 2 and says what is wrong."""

# ruff: noqa: F811  (fixtures imported from the tests that own them: spark, model_dir)
from __future__ import annotations

import copy
import re
import socket
import subprocess
import sys

import pandas as pd
import pytest

import synthgen_sdv as sg
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.runs.model_folder import load_fitted, run_sample
from synthgen_sdv.runs.sample import check_engine
from synthgen_sdv.synth import batches
from synthgen_sdv.synth.batches import plan_batches
from synthgen_sdv.synth.spark_sample import check_master
from tests.byo.test_byo_batches import model_dir  # noqa: F401  (your data's model)
from tests.conftest import ROOT, TINY
from tests.generate.helpers import schema, tree_hashes
from tests.generate.test_spark_engine import spark  # noqa: F401  (local[2] session)


@pytest.fixture(scope="module")
def config_model(tmp_path_factory):
    model = sg.fit(sg.generate(config_dir=TINY), synthesizer="hma")
    return model.save(tmp_path_factory.mktemp("spark_model") / "M")


def _both(model_dir, tmp_path, spark, scale, seed=5):
    from synthgen_sdv.synth.spark_sample import SparkBatches

    local = run_sample(model_dir, tmp_path / "local", ["parquet", "csv"], scale, seed, workers=2)
    remote = run_sample(
        model_dir,
        tmp_path / "spark",
        ["parquet", "csv"],
        scale,
        seed,
        engine=SparkBatches(spark, in_flight=2),  # fewer in flight than batches: waits in order
    )
    return local.out, remote.out


def _assert_same(local, remote):
    meta = schema(local)
    assert meta == schema(remote)
    for table, info in meta["tables"].items():
        key = info["primary_key"]
        a = pd.read_parquet(local / "data" / f"{table}.parquet")
        b = pd.read_parquet(remote / "data" / f"{table}.parquet")
        assert len(a) == info["row_count"]
        pd.testing.assert_frame_equal(
            a.sort_values(key, kind="stable").reset_index(drop=True),
            b.sort_values(key, kind="stable").reset_index(drop=True),
        )
    assert tree_hashes(local) == tree_hashes(remote)  # the same bytes, not only the same rows


@pytest.mark.spark
@pytest.mark.slow
def test_spark_sample_of_a_config_model_equals_local_sample(
    spark, config_model, tmp_path, monkeypatch
):
    monkeypatch.setattr(batches, "BATCH_ROWS", 400)  # 2 fitted sizes a batch: 5 batches
    assert len(plan_batches(9, 5, load_fitted(config_model).rows)) == 5
    local, remote = _both(config_model, tmp_path, spark, 9)
    _assert_same(local, remote)
    sampling = schema(remote)["sampling"]
    assert sampling["seed"] == 5 and sampling["scale"] == 9


@pytest.mark.spark
@pytest.mark.slow
def test_spark_sample_of_your_data_equals_local_sample(spark, model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_ROWS", 1600)  # 2 fitted sizes a batch: 3 batches
    assert len(plan_batches(5, 5, load_fitted(model_dir).rows)) == 3
    local, remote = _both(model_dir, tmp_path, spark, 5)
    _assert_same(local, remote)


@pytest.mark.spark
@pytest.mark.slow
def test_fit_sample_on_spark_equals_fit_sample_locally(spark, tmp_path, monkeypatch):
    from synthgen_sdv.runs.config import load_project
    from synthgen_sdv.runs.fit_sample import run_fit_sample
    from synthgen_sdv.runs.from_config import ConfigSource
    from synthgen_sdv.schema.plan import resolve_plan
    from synthgen_sdv.synth.spark_sample import SparkBatches

    monkeypatch.setattr(batches, "BATCH_ROWS", 400)  # scale 5: 3 batches
    plan = resolve_plan(load_project(TINY))
    outs = []
    for name, engine in (("local", "local"), ("spark", SparkBatches(spark))):
        source = ConfigSource(plan, workers=1, etl=False)
        outcome = run_fit_sample(
            source, tmp_path / name, ["parquet"], "hma", scale=5, compare=False, engine=engine
        )
        outs.append(outcome.out)
    _assert_same(*outs)


@pytest.mark.spark
@pytest.mark.slow
def test_a_failing_batch_names_the_batch_and_leaves_no_output(
    spark, config_model, tmp_path, monkeypatch
):
    from synthgen_sdv.core.errors import SynthgenError
    from synthgen_sdv.synth.spark_sample import SparkBatches

    class Broken(SparkBatches):
        def sample(self, synthesizer, batches, renumbered):
            synthesizer = copy.copy(synthesizer)
            synthesizer.sample = None  # the broadcast model cannot sample: every task fails
            return super().sample(synthesizer, batches, renumbered)

    monkeypatch.setattr(batches, "BATCH_ROWS", 400)
    out = tmp_path / "out"
    with pytest.raises(SynthgenError, match=r"spark: sampling batch \d+/5 failed: .*NoneType"):
        run_sample(config_model, out, ["parquet"], 9, 1, engine=Broken(spark))
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no spill folder left


def _cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args, "--no-progress"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("engine", "master", "message"),
    [
        ("local", "local[2]", "--spark-master local[2]: it needs --engine spark"),
        ("dask", None, "--engine dask: unknown sampling engine 'dask'; known: local, spark"),
        ("spark", "bogus", "--spark-master bogus: not a Spark master URL"),
        ("spark", "spark://host", "'host' is not HOST:PORT"),
        ("spark", "spark://127.0.0.1:9", "cannot connect to 127.0.0.1:9"),
    ],
)
def test_bad_engine_input_is_refused_before_any_work(engine, master, message):
    pytest.importorskip("pyspark")
    with pytest.raises(InputError, match=re.escape(message)):
        check_engine(engine, master)


def test_a_master_list_is_reachable_when_one_of_its_masters_answers():
    pytest.importorskip("pyspark")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        check_master(f"spark://127.0.0.1:9,127.0.0.1:{port}")  # the standby is down: fine
    check_master("local[*]")
    check_master("k8s://https://example.org:6443")


def test_without_pyspark_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` raises ImportError
    with pytest.raises(InputError, match=re.escape("pip install -c constraints.txt -e '.[spark]'")):
        check_engine("spark")


def test_the_cli_exits_2_before_reading_the_model_when_the_master_does_not_answer(tmp_path):
    pytest.importorskip("pyspark")
    out = tmp_path / "out"  # refused before the model folder is even read: there is none
    args = ["sample", "--model-dir", str(tmp_path / "M"), "--out", str(out), "--engine", "spark"]
    proc = subprocess.run(
        [sys.executable, "-m", "synthgen_sdv", *args, "--spark-master", "spark://127.0.0.1:9"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "--spark-master spark://127.0.0.1:9: cannot connect to 127.0.0.1:9" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()


@pytest.mark.parametrize("command", ["sample", "fit-sample"])
def test_sample_and_fit_sample_take_the_engine_flags(command, tmp_path):
    from synthgen_sdv.cli import build_parser

    args = ["--engine", "spark", "--spark-master", "spark://h:7077", "--out", str(tmp_path)]
    if command == "sample":
        args += ["--model-dir", str(tmp_path / "M")]
    parsed = build_parser().parse_args([command, *args])
    assert (parsed.engine, parsed.spark_master) == ("spark", "spark://h:7077")
    assert build_parser().parse_args([command, *args[4:]]).engine == "local"  # the default
