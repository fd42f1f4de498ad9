"""``python -m synthgen_sdv compare``: output folders in, report out, exit codes 0 / 2."""

from __future__ import annotations

import json

import pytest
from evaluate_shop import make_shop, shop_metadata

import synthgen_sdv.cli as cli
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.evaluate.loading import read_output_folder, write_output_folder


@pytest.fixture
def run(monkeypatch):
    # Only this area's subcommand is loaded, so these tests do not depend on the other
    # subcommands' modules; parsing and error mapping are the real cli.main.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["compare"])
    return cli.main


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("folders")
    md = shop_metadata()
    ref = write_output_folder(root / "ref", make_shop(120, seed=2), md)
    cand = write_output_folder(root / "cand", make_shop(90, seed=3), md, fmt="csv")
    three = {k: v for k, v in make_shop(30, seed=4).items() if k != "products"}
    md3 = shop_metadata()
    del md3["tables"]["products"]
    md3["relationships"] = [r for r in md3["relationships"] if r["parent_table_name"] != "products"]
    fewer = write_output_folder(root / "fewer", three, md3)
    (root / "nometa" / "data").mkdir(parents=True)
    return {"ref": ref, "cand": cand, "fewer": fewer, "nometa": root / "nometa", "root": root}


def test_reader_parses_csv_dates_and_keeps_na_strings(folders):
    folder = read_output_folder(folders["cand"])
    assert folder.files["customers"] == "data/customers.csv"
    assert str(folder.data["customers"]["signup_date"].dtype).startswith("datetime64")
    assert folder.metadata["tables"]["orders"]["primary_key"] == "order_id"


def test_compare_cli_writes_report(run, folders, tmp_path, capsys):
    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"fit_seconds": 1.5, "sample_seconds": 0.5}))
    out = tmp_path / "report"
    code = run(
        [
            "compare",
            "--reference",
            str(folders["ref"]),
            "--candidate",
            f"rules={folders['cand']}",
            "--out",
            str(out),
            "--max-root-rows",
            "40",
            "--stats",
            f"rules={stats}",
            "--no-plots",
        ]
    )
    assert code == 0
    doc = json.loads((out / "comparison.json").read_text())
    assert [c["name"] for c in doc["candidates"]] == ["train (ceiling)", "rules"]
    assert doc["split"]["holdout_fraction"] == 0.2
    assert "cannot know whether the candidates learned from those rows" in doc["protocol"]
    assert doc["candidates"][1]["summary"]["time s"] == 2.0
    assert doc["plots"] == {}
    printed = capsys.readouterr().out
    assert printed.startswith("Each candidate was scored against the 24 held-out customers")
    assert f"split from {folders['ref']}, with the other 96 customers" in printed
    assert "| **rules** |" in printed
    assert (out / "comparison.html").is_file()


def test_compare_cli_missing_metadata_exits_2(run, folders, tmp_path, capsys):
    code = run(
        [
            "compare",
            "--reference",
            str(folders["ref"]),
            "--candidate",
            f"x={folders['nometa']}",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "no metadata/schema_metadata.json" in err
    assert not (tmp_path / "o").exists()


def test_compare_cli_tables_differ_exits_2(run, folders, tmp_path, capsys):
    code = run(
        [
            "compare",
            "--reference",
            str(folders["ref"]),
            "--candidate",
            f"few={folders['fewer']}",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "tables ['customers', 'orders', 'transactions'] differ" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--candidate", "noequals"], "expected NAME=VALUE"),
        (["--candidate", "a=X", "--candidate", "a=Y"], "name 'a' is given twice"),
        (["--candidate", "a=X", "--stats", "b=s.json"], "no --candidate named 'b'"),
        (["--candidate", "a=X", "--metrics", "quality,dcr_ration"], "did you mean 'dcr_ratio'"),
    ],
)
def test_compare_cli_bad_arguments_exit_2(run, folders, tmp_path, capsys, args, message):
    code = run(["compare", "--reference", str(folders["ref"]), "--out", str(tmp_path), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_entry_point_maps_bad_input_to_exit_2(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "synthgen_sdv",
            "compare",
            "--reference",
            str(tmp_path / "none"),
            "--candidate",
            f"a={tmp_path}",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "not a directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_same_data_scores_the_same_from_csv_and_parquet(folders, tmp_path):
    from synthgen_sdv.evaluate.report import compare

    md = shop_metadata()
    data = make_shop(90, seed=3)
    data["customers"]["vip"] = data["customers"]["income"] > 60_000
    md["tables"]["customers"]["columns"]["vip"] = {"sdtype": "boolean"}
    as_csv = read_output_folder(write_output_folder(tmp_path / "c", data, md, fmt="csv")).data
    as_pq = read_output_folder(write_output_folder(tmp_path / "p", data, md)).data
    ref = make_shop(120, seed=2)
    ref["customers"]["vip"] = ref["customers"]["income"] > 60_000
    report = compare(
        ref,
        ref,
        {"csv": as_csv, "parquet": as_pq},
        md,
        tmp_path / "r",
        metrics=["quality"],
        include_ceiling=False,
        make_plots=False,
        progress=lambda _m: None,
    )
    assert report.summary["csv"] == report.summary["parquet"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("[" * 100_000 + "]" * 100_000, "not valid JSON"), ("[1, 2]", "expected a JSON object")],
)
def test_a_stats_file_is_read_bounded(tmp_path, text, message):
    """``--stats`` files go through the bounded JSON reader: a document nested 100,000 deep
    was a RecursionError (exit 1), a list was taken as the stats."""
    from synthgen_sdv.runs.compare import read_stats

    path = tmp_path / "s.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_stats({"a": path}, {"a": tmp_path})
    assert message in str(info.value) and "--stats a=" in str(info.value)
