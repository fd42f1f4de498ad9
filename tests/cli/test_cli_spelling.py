"""One spelling per concept across every subcommand; flags a command would ignore are refused;
every name is checked before any work starts."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from synthgen_sdv.cli import build_parser
from synthgen_sdv.commands.common import DEFAULT_DIR, input_dir
from tests.cli.conftest import main
from tests.conftest import TINY

#: how each command names the folders it reads and writes; the test below reads the parsers
SPELLING = {
    # command: (reads an output folder as DIR, reads other data as --data-dir, writes with flag)
    "generate": (False, False, "--out"),
    "fit-sample": (False, True, "--out"),
    "fit": (False, True, "--model-dir"),  # fit on a config or on --data-dir
    "sample": (False, False, "--out"),
    "infer-config": (False, True, "--out"),
    "validate": (True, False, None),
    "ablation": (False, False, "--out"),
    "load": (True, False, None),
    "compare": (True, False, "--out"),
    "lineage": (True, False, None),
    "validate-lineage": (True, False, None),
    "export-graph": (True, False, "--out"),
}
#: the required arguments of each command, to parse the rest
REQUIRED = {
    "compare": ["--candidate", "a=b", "--out", "o"],
    "fit": ["--model-dir", "m"],
    "sample": ["--model-dir", "m"],
    "infer-config": ["--data-dir", "d"],
}
OLD_SPELLINGS = {"--data", "--reference", "--data_dir", "--datadir", "--input", "--in"}


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_the_table_covers_every_command():
    assert set(subparsers()) == set(SPELLING)


@pytest.mark.parametrize("command", sorted(SPELLING))
def test_folder_arguments_are_spelled_one_way(command):
    reads_output, reads_data, writes = SPELLING[command]
    p = subparsers()[command]
    positionals = [a for a in p._actions if not a.option_strings]
    visible = {o for a in p._actions if a.help != argparse.SUPPRESS for o in a.option_strings}
    required = REQUIRED.get(command, [])
    if reads_output:
        (dir_arg,) = positionals
        assert dir_arg.metavar == "DIR" and dir_arg.nargs == "?", command
        assert p.parse_args(required).out_dir is None  # -> ./output (input_dir)
        assert input_dir(p.parse_args(required), command) == DEFAULT_DIR == Path("output")
        assert input_dir(p.parse_args(["X", *required]), command) == Path("X")
    else:
        assert positionals == [], command
    assert ("--data-dir" in visible) == reads_data, command
    assert not visible & OLD_SPELLINGS, command
    if writes:
        assert writes in visible and "--overwrite" in visible, command
    # -v works after the command name as well as before it
    assert p.parse_args(["-v", *required]).verbose is True


@pytest.mark.parametrize(
    "command, old",
    [(["lineage", "--data", "D"], "--data"), (["compare", "--reference", "D"], "--reference")],
)
def test_old_spellings_work_for_one_release_with_a_note(command, old, capsys):
    extra = ["--candidate", "a=b", "--out", "o"] if command[0] == "compare" else []
    args = build_parser().parse_args([*command, *extra])
    assert input_dir(args, command[0], old) == Path("D")
    err = capsys.readouterr().err
    assert f"`{command[0]} {old} DIR` is deprecated" in err and len(err.splitlines()) == 1
    both = build_parser().parse_args([command[0], "E", *command[1:], *extra])
    with pytest.raises(Exception, match="give the folder once"):
        input_dir(both, command[0], old)


@pytest.mark.parametrize(
    "argv",
    [
        ["fit", "--scale", "2", "--model-dir", "m"],
        ["fit", "--out", "o", "--model-dir", "m"],
        ["fit", "--format", "csv", "--model-dir", "m"],
        ["sample", "--model", "hma", "--model-dir", "m"],
        ["sample", "--tables", "orders", "--model-dir", "m"],
        ["validate", "--overwrite"],
        ["load", "--out", "x"],
    ],
)
def test_flags_a_command_would_ignore_are_not_accepted(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(argv)
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_combinations_that_would_be_ignored_are_refused(tmp_path, tiny_out, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("id,x\n1,2\n")
    out = tmp_path / "out"
    for argv, flag in [
        (["fit-sample", "--data-dir", data, "--workers", "2"], "--workers"),
        (["fit-sample", "--data-dir", data, "--no-lineage"], "--no-lineage"),
        (["fit-sample", "--data-dir", data, "--bootstrap-scale", "2"], "--bootstrap-scale"),
        (["fit-sample", "--config-dir", TINY, "--metadata", data / "m.json"], "--metadata"),
        (["export-graph", tiny_out, "--overwrite"], "--overwrite"),
    ]:
        code = main(*argv) if argv[0] == "export-graph" else main(*argv, "--out", out)
        assert code == 2
        assert flag in capsys.readouterr().err
    assert not out.exists()


@pytest.fixture
def no_work(monkeypatch):
    """Fail loudly if the bootstrap or the reading of a data folder starts."""
    import synthgen_sdv.runs.from_config as from_config
    import synthgen_sdv.runs.from_user as from_user

    def forbidden(*a, **k):
        raise AssertionError("work started before the names were checked")

    monkeypatch.setattr(from_config, "bootstrap", forbidden)
    monkeypatch.setattr(from_user, "load_user_data", forbidden)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit-sample", "--model", "foo"], "unknown synthesizer 'foo'"),
        (["fit-sample", "--tables", "orderz"], "unknown table(s) orderz"),
        (["fit", "--model", "hma_stok", "--model-dir", "{tmp}/m"], "did you mean 'hma_stock'"),
        (["fit", "--tables", "customers,nope", "--model-dir", "{tmp}/m"], "unknown table(s) nope"),
        (["fit-sample", "--data-dir", "{data}", "--model", "foo"], "unknown synthesizer 'foo'"),
        (["fit-sample", "--data-dir", "{data}", "--tables", "tt"], "unknown table(s) tt"),
    ],
)
def test_names_are_checked_before_any_work(argv, message, tmp_path, no_work, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("id,x\n1,2\n")
    argv = [a.format(tmp=tmp_path, data=data) for a in argv]
    if "--data-dir" not in argv:
        argv += ["--config-dir", str(TINY)]
    assert main(*argv, "--no-progress") == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # nothing written


def test_engine_and_check_names_are_checked_before_reading(tiny_out, capsys):
    assert main("load", tiny_out, "--engine", "duckdbb") == 2
    assert "unknown engine 'duckdbb'" in capsys.readouterr().err
    assert not (tiny_out / "warehouse.duckdb").exists()
    assert main("validate", tiny_out, "--check", "primary_kee") == 2
    assert "unknown validation check" in capsys.readouterr().err
