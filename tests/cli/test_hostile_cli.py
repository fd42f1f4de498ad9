"""Hostile arguments and folders found by the third sweep (reports/hostile3.md): exit 2 with
a message naming the flag or file, never an unexpected error, and nothing written."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from synthgen_sdv.core.errors import InputError
from synthgen_sdv.io import layout, reader
from tests.cli.conftest import main, tree
from tests.conftest import TINY

DEEP = "[" * 100_000 + "]" * 100_000  # json.loads: RecursionError


def test_an_out_that_is_a_symlink_loop_is_refused_by_the_parser(tmp_path, capsys):
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(SystemExit) as exc:  # RuntimeError in the estimate: exit 1
        main("generate", "--config-dir", TINY, "--out", tmp_path / "loop")
    assert exc.value.code == 2
    assert "argument --out" in capsys.readouterr().err


def test_a_spark_master_spark_would_not_take_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "o"
    code = main("generate", "--config-dir", TINY, "--out", out, "--engine", "spark",
                "--spark-master", "garbage")  # fmt: skip
    assert code == 2 and not out.exists()
    assert "--spark-master garbage: not a Spark master URL" in capsys.readouterr().err


def test_a_table_named_twice_in_tables_is_refused(tmp_path, capsys):
    code = main("fit-sample", "--config-dir", TINY, "--tables", "customers,customers",
                "--out", tmp_path / "o", "--no-compare")  # fmt: skip
    assert code == 2
    assert "--tables: 'customers' named more than once" in capsys.readouterr().err


def test_num_rows_for_one_table_twice_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main("sample", "--model-dir", tmp_path, "--num-rows", "customers=5,customers=6")
    assert exc.value.code == 2
    assert "'customers' is given twice" in capsys.readouterr().err


def test_an_out_whose_marker_is_nested_json_is_not_ours_and_kept(tmp_path, capsys):
    out = tmp_path / "o"
    (out / "metadata").mkdir(parents=True)
    (out / "metadata" / "schema_metadata.json").write_text(DEEP)
    before = tree(out)
    assert layout.is_output(out) is False  # a RecursionError used to escape: exit 1
    code = main("generate", "--config-dir", TINY, "--out", out, "--overwrite")
    assert code == 2 and tree(out) == before
    assert "is not a synthgen_sdv output folder" in capsys.readouterr().err


@pytest.mark.parametrize("content", [DEEP, b'{"a": "\xff"}'])
def test_a_damaged_document_is_an_input_error_naming_it(tmp_path, content):
    path = tmp_path / "labels.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(InputError, match=r"labels\.json"):
        reader.read_json(path)


def test_a_document_that_is_a_device_or_too_large_is_not_read(tmp_path, monkeypatch):
    os.symlink("/dev/zero", tmp_path / "labels.json")
    with pytest.raises(InputError, match="not a regular file"):
        reader.read_json(tmp_path / "labels.json")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"a": "x" * 2000}))
    monkeypatch.setattr(reader.bounds, "MAX_JSON_BYTES", 1000)
    with pytest.raises(InputError, match="the limit is 1,000"):
        reader.read_json(big)


def test_a_generation_lineage_alias_bomb_is_refused_unexpanded(tmp_path):
    lol = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"b{i}: &b{i} [{','.join(['*a' if i == 0 else f'*b{i - 1}'] * 9)}]\n" for i in range(12)
    )
    path = tmp_path / "generation_lineage.yaml"
    path.write_text(lol)
    with pytest.raises(InputError, match="alias bomb"):
        reader.read_yaml(path)


def test_validate_json_onto_a_folder_or_a_fifo_is_refused(tiny_out, tmp_path, capsys):
    """The atomic rename replaced whatever stood there: a FIFO (or, as root, /dev/full) became
    a regular file; a folder was an IsADirectoryError (exit 1)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target in (tmp_path, fifo):
        assert main("validate", tiny_out, "--json", target) == 2
        assert "give the path of a file to write" in capsys.readouterr().err
    assert fifo.is_fifo()


def test_load_into_a_database_path_that_is_a_folder_is_refused(tiny_out, tmp_path, capsys):
    assert main("load", tiny_out, "--database", tmp_path) == 2
    assert "--database" in capsys.readouterr().err


def test_a_path_inside_a_folder_that_is_a_symlink_loop_is_refused(tmp_path):
    """A model folder whose model.pkl is a symlink loop: RuntimeError (exit 1) in the check."""
    os.symlink("model.pkl", tmp_path / "model.pkl")
    with pytest.raises(InputError, match="cannot follow its symlinks"):
        layout.inside(tmp_path, "model.pkl", "manifest.json: file")


def _command_that(monkeypatch, body):
    """``validate`` replaced by ``body`` (the parser binds the module's ``run`` when built)."""
    import synthgen_sdv.commands.validate as validate

    monkeypatch.setattr(validate, "run", lambda args: body())


def test_an_interrupt_a_library_caught_still_ends_the_run_as_interrupted(monkeypatch, capsys):
    """DuckDB turns Ctrl-C into RuntimeError('Query interrupted'): it was reported as an
    unexpected error (exit 1), and a run whose lineage runner took it for a failed step went
    on to replace the earlier output."""

    def body():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            raise RuntimeError("Query interrupted") from None

    _command_that(monkeypatch, body)
    # the handler this process had (pyspark's, after a Spark test in the same xdist worker)
    before = signal.getsignal(signal.SIGINT)
    assert main("validate", ".") == 130
    assert "interrupted; no partial output" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before  # put back once the run was reported


def test_ctrl_c_again_while_cleaning_up_does_not_interrupt_the_clean_up(monkeypatch, capsys):
    cleaned = []

    def body():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # pressed again during the clean-up
            time.sleep(0.1)
            cleaned.append(True)

    _command_that(monkeypatch, body)
    assert main("validate", ".") == 130 and cleaned == [True]


def test_no_output_is_swapped_in_after_a_signal(tmp_path):
    """Whatever a library did with the KeyboardInterrupt, the earlier output stays."""
    from synthgen_sdv.core import signals
    from synthgen_sdv.io.output import swap_in

    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    signals.note(signal.SIGINT)
    try:
        with pytest.raises(KeyboardInterrupt):
            swap_in(tmp_path / "new", tmp_path / "old")
    finally:
        signals.reset()
    assert (tmp_path / "new").is_dir() and (tmp_path / "old").is_dir()


def test_ctrl_c_before_the_cli_handlers_exit_130_without_a_traceback(monkeypatch, capsys):
    """Ctrl-C while the modules import (0.8 s into a run) printed a KeyboardInterrupt
    traceback."""
    import runpy

    import synthgen_sdv.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted)
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("synthgen_sdv.__main__", run_name="__main__")
    assert exc.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"
