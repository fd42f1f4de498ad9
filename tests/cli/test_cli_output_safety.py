"""Output is never lost silently: --overwrite, our folders only, inputs never inside the output,
one run per folder, and interruptions (Ctrl-C, SIGTERM, SIGKILL) that leave the old output."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from synthgen_sdv.io import layout
from synthgen_sdv.io.output import claim, clean_stale, lock_path, staged_output
from tests.cli.conftest import cli, main, tree
from tests.conftest import TINY

STAGED_RUN = Path(__file__).with_name("staged_run.py")


def generate_args(out: Path, *extra: str) -> list[str]:
    return ["generate", "--config-dir", str(TINY), "--out", str(out), "--no-progress", *extra]


def paused_run(out: Path) -> subprocess.Popen:
    """``generate --overwrite`` of ``out`` that stops once its new folder is staged; wait for
    the STAGED line on its stderr before signalling it."""
    return subprocess.Popen(
        [sys.executable, str(STAGED_RUN), "pause", "--", *generate_args(out, "--overwrite")],
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it, even when this suite runs in a background job
        # (which starts with SIGINT ignored, and Python then installs no handler)
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def siblings(path: Path) -> list[str]:
    """What sits beside ``path`` (temporaries and lock files are hidden siblings)."""
    return sorted(p.name for p in path.parent.iterdir())


# --------------------------------------------------------------------------- --overwrite


def test_an_existing_output_is_replaced_only_with_overwrite(tiny_out, capsys):
    before = tree(tiny_out)
    assert main(*generate_args(tiny_out, "--seed", "99")) == 2
    err = capsys.readouterr().err
    assert str(tiny_out) in err and "--overwrite" in err
    assert "holds a synthgen_sdv output (5 tables by rules; written " in err
    assert tree(tiny_out) == before

    assert main(*generate_args(tiny_out, "--seed", "99", "--overwrite")) == 0
    assert tree(tiny_out) != before
    assert json.loads((tiny_out / layout.SCHEMA_METADATA).read_text())["seed"] == 99
    assert siblings(tiny_out) == ["o"]  # no temporary folder, no lock file left


def test_an_empty_folder_needs_no_overwrite(tmp_path):
    (tmp_path / "o").mkdir()
    assert main(*generate_args(tmp_path / "o")) == 0


@pytest.mark.parametrize("marker", ["{}", '{"schema": "other", "version": 1}', "not json"])
def test_a_folder_is_ours_only_when_its_marker_parses_as_ours(tmp_path, capsys, marker):
    out = tmp_path / "o"
    (out / "metadata").mkdir(parents=True)
    (out / layout.SCHEMA_METADATA).write_text(marker)
    (out / "thesis.txt").write_text("do not delete")
    before = tree(out)
    assert main(*generate_args(out, "--overwrite")) == 2
    assert "is not a synthgen_sdv output folder" in capsys.readouterr().err
    assert tree(out) == before


def test_files_we_did_not_write_keep_an_output_from_being_replaced(tiny_out, capsys):
    (tiny_out / "notes.txt").write_text("mine")
    assert main(*generate_args(tiny_out, "--overwrite")) == 2
    err = capsys.readouterr().err
    assert "notes.txt, which synthgen_sdv did not write" in err
    assert (tiny_out / "notes.txt").read_text() == "mine"


def test_the_refusal_comes_before_any_work(tiny_out, monkeypatch, capsys):
    """fit-sample refuses --out before the bootstrap runs, not after minutes of fitting."""
    import synthgen_sdv.runs.from_config as from_config

    def no_bootstrap(*a, **k):
        raise AssertionError("the bootstrap ran")

    monkeypatch.setattr(from_config, "bootstrap", no_bootstrap)
    args = ["fit-sample", "--config-dir", TINY, "--out", tiny_out, "--no-progress"]
    assert main(*args) == 2
    assert "pass --overwrite" in capsys.readouterr().err


def test_every_folder_writing_command_has_overwrite():
    from synthgen_sdv.cli import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices
    writers = {
        "generate",
        "fit-sample",
        "fit",
        "sample",
        "infer-config",
        "ablation",
        "compare",
        "export-graph",
    }
    for name in writers:
        flags = {o for a in sub[name]._actions for o in a.option_strings}
        assert "--overwrite" in flags, name
    for name in set(sub) - writers:
        flags = {o for a in sub[name]._actions for o in a.option_strings}
        assert "--overwrite" not in flags, name


# --------------------------------------------------------------------------- paths


def test_out_under_a_file_is_bad_input(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(*generate_args(tmp_path / "file" / "sub")) == 2
    assert "is a file, so no folder can be made there" in capsys.readouterr().err
    assert main(*generate_args(tmp_path / "file")) == 2


def test_a_scale_too_small_for_a_lineage_fault_is_bad_input_and_leaves_no_output(tmp_path, capsys):
    # the default config at --scale 0.001 leaves a faulted step's output empty: it exited 1
    out = tmp_path / "out"
    assert main("generate", "--scale", "0.001", "--out", str(out), "--no-progress") == 2
    err = capsys.readouterr().err
    assert "its output is empty" in err and "a larger --scale" in err and "Traceback" not in err
    assert not out.exists() and siblings(out) == []


def test_out_dot_from_inside_the_output_is_refused(tiny_out, monkeypatch, capsys):
    before = tree(tiny_out)
    monkeypatch.chdir(tiny_out)
    assert main(*generate_args(Path("."), "--overwrite")) == 2
    assert "runs inside that folder" in capsys.readouterr().err
    assert tree(tiny_out) == before


def test_data_dir_and_out_may_not_hold_each_other(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "t.csv").write_text("id,x\n1,2\n")
    for out in (data / "out", tmp_path):  # out inside --data-dir; --data-dir inside out
        before = tree(tmp_path)
        for command in (
            ["fit-sample", "--data-dir", data, "--out", out, "--overwrite"],
            ["infer-config", "--data-dir", data, "--out", out, "--overwrite"],
        ):
            assert main(*command) == 2
            err = capsys.readouterr().err
            assert "--data-dir" in err and "inside" in err, err
        assert tree(tmp_path) == before


def test_config_dir_inside_out_is_refused(tiny_out, tmp_path, capsys):
    import shutil

    config = tiny_out / "cfg"
    shutil.copytree(TINY, config)
    before = tree(tiny_out)
    assert main("generate", "--config-dir", config, "--out", tiny_out, "--overwrite") == 2
    assert "--config-dir" in capsys.readouterr().err
    assert tree(tiny_out) == before
    # a config folder with its output inside it is the usual project layout: allowed
    project = tmp_path / "project"
    shutil.copytree(TINY, project)
    assert main("generate", "--config-dir", project, "--out", project / "output") == 0


def test_compare_and_fit_refuse_folders_that_are_not_ours(tiny_out, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("x")
    args = ["compare", tiny_out, "--candidate", f"a={tiny_out}", "--out", mine]
    assert main(*args, "--overwrite") == 2
    assert main("fit", "--config-dir", TINY, "--model-dir", mine, "--overwrite") == 2
    assert capsys.readouterr().err.count("is not a synthgen_sdv output folder") == 2
    assert (mine / "keep.txt").read_text() == "x"
    # the reference inside --out would be deleted with it
    assert main("compare", tiny_out, "--candidate", f"a={tiny_out}", "--out", tmp_path) == 2
    assert "inside --out" in capsys.readouterr().err


# --------------------------------------------------------------------------- infer-config


def test_infer_config_never_points_generate_at_its_input(tiny_out, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main("infer-config", "--data-dir", "o", "--out", "inferred") == 0
    out = capsys.readouterr().out
    assert "(writes ./o_generated)" in out
    marker = json.loads((tmp_path / "inferred" / layout.INFERRED_CONFIG).read_text())
    assert marker["schema"] == "synthgen_sdv.inferred_config"
    assert marker["data_dir"] == str(tiny_out)
    before = tree(tiny_out)
    # the command infer-config suggests leaves the folder it was inferred from alone
    assert main("generate", "--config-dir", "inferred", "--no-progress") == 0
    assert tree(tiny_out) == before
    assert (tmp_path / "o_generated" / layout.SCHEMA_METADATA).is_file()
    # a rerun replaces the inferred config only with --overwrite
    assert main("infer-config", "--data-dir", "o", "--out", "inferred") == 2
    assert "a config inferred by infer-config" in capsys.readouterr().err
    assert main("infer-config", "--data-dir", "o", "--out", "inferred", "--overwrite") == 0


def test_infer_config_leaves_a_hand_written_config_alone(tiny_out, tmp_path, capsys):
    hand = tmp_path / "hand"
    hand.mkdir()
    (hand / "tables.yml").write_text("# mine\n")
    (hand / "config.yaml").write_text("# mine\n")
    before = tree(hand)
    assert main("infer-config", "--data-dir", tiny_out, "--out", hand, "--overwrite") == 2
    assert "not a synthgen_sdv output folder" in capsys.readouterr().err
    assert tree(hand) == before


# --------------------------------------------------------------------------- permissions


def test_files_are_0644_and_folders_0755(tmp_path):
    old = os.umask(0o022)
    try:
        proc = cli(*generate_args(tmp_path / "o"))
    finally:
        os.umask(old)
    assert proc.returncode == 0, proc.stderr
    for p in [tmp_path / "o", *(tmp_path / "o").rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), (p, oct(mode))


# --------------------------------------------------------------------------- one run at a time


def test_a_second_run_on_the_same_out_is_refused_by_the_lock(tiny_out, capsys):
    before = tree(tiny_out)
    with claim(tiny_out, overwrite=True):
        assert lock_path(tiny_out).exists()
        proc = cli(*generate_args(tiny_out, "--overwrite"))
        assert proc.returncode == 2, proc.stderr
        assert "another run is writing it (pid" in proc.stderr
        assert tree(tiny_out) == before
    assert not lock_path(tiny_out).exists()  # released and removed
    assert main(*generate_args(tiny_out, "--overwrite")) == 0


def test_two_concurrent_runs_one_wins(tiny_out):
    first = paused_run(tiny_out)
    try:
        assert "STAGED" in first.stderr.readline()
        second = cli(*generate_args(tiny_out, "--overwrite", "--seed", "5"))
        assert second.returncode == 2 and "another run is writing it" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(60)
    assert first.returncode == 130


# --------------------------------------------------------------------------- interruptions


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_sigterm_cleans_up_like_ctrl_c(tiny_out, signum, code):
    before = tree(tiny_out)
    proc = paused_run(tiny_out)
    assert "STAGED" in proc.stderr.readline()
    assert any(".o.tmp-" in n for n in siblings(tiny_out))
    proc.send_signal(signum)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == code, err
    assert "no partial output was left in place" in err and "Traceback" not in err
    assert tree(tiny_out) == before
    assert siblings(tiny_out) == ["o"]  # temporary folder and lock removed


def test_kill_9_mid_run_keeps_the_old_output_and_the_next_run_cleans_up(tiny_out, capsys):
    before = tree(tiny_out)
    proc = paused_run(tiny_out)
    assert "STAGED" in proc.stderr.readline()
    proc.kill()
    proc.wait(60)
    assert tree(tiny_out) == before
    stale = [n for n in siblings(tiny_out) if ".o.tmp-" in n]
    assert len(stale) == 1  # what the killed run left: reported and removed by the next one
    assert main(*generate_args(tiny_out, "--overwrite")) == 0
    assert f"removed {stale[0]}" in capsys.readouterr().err
    assert siblings(tiny_out) == ["o"]


def test_a_kill_between_two_renames_is_repaired_by_the_next_run(tiny_out, capsys):
    """Where renameat2 is missing the swap is two renames; a kill between them leaves OUT
    missing, and the next run puts the old output back before anything else."""
    before = tree(tiny_out)
    args = generate_args(tiny_out, "--overwrite", "--seed", "3")
    proc = subprocess.run(
        [sys.executable, str(STAGED_RUN), "kill-between", "--", *args], capture_output=True
    )
    assert proc.returncode == -signal.SIGKILL
    assert not tiny_out.exists() and any(".o.old-" in n for n in siblings(tiny_out))
    # the next run puts the old output back, and then does not replace it without --overwrite
    assert main(*generate_args(tiny_out)) == 2
    err = capsys.readouterr().err
    assert "restored" in err and "killed while swapping" in err
    assert tree(tiny_out) == before
    assert siblings(tiny_out) == ["o"]


def test_the_swap_is_one_exchange_so_out_is_never_missing(tiny_out, capsys):
    """On Linux the swap is renameat2(RENAME_EXCHANGE): killed right after it, OUT holds the
    new output and the old one waits under the temporary name for the next run to remove."""
    args = generate_args(tiny_out, "--overwrite", "--seed", "3")
    proc = subprocess.run(
        [sys.executable, str(STAGED_RUN), "kill-after-swap", "--", *args], capture_output=True
    )
    assert proc.returncode == -signal.SIGKILL
    assert json.loads((tiny_out / layout.SCHEMA_METADATA).read_text())["seed"] == 3
    stale = [n for n in siblings(tiny_out) if ".o.tmp-" in n]
    assert len(stale) == 1  # the old output under the temporary name
    assert clean_stale(tiny_out)[0].name == stale[0]
    assert [n for n in siblings(tiny_out) if n != ".o.lock"] == ["o"]


def test_staged_output_removes_its_folder_on_failure(tiny_out):
    before = tree(tiny_out)
    with pytest.raises(RuntimeError), staged_output(tiny_out, overwrite=True) as tmp:
        (tmp / "half.csv").write_text("a,b\n1,")
        raise RuntimeError("failed")
    assert tree(tiny_out) == before and siblings(tiny_out) == ["o"]
