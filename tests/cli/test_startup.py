"""``core.startup``: a command-line process imports SDV, RDT and SDMetrics without torch, and
the code that needs torch (MOSTLY AI, the PyTorch Geometric export) still gets it."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )


def test_the_libraries_import_without_torch_and_torch_comes_back_when_allowed():
    done = _python(
        """
        import sys
        from synthgen_sdv.core.startup import allow_torch, leave_out_torch
        leave_out_torch()
        import sdv.multi_table, sdv.single_table, sdmetrics.reports.multi_table
        from synthgen_sdv.synth import SYNTHESIZERS
        from synthgen_sdv.evaluate import compare
        assert "torch" not in sys.modules, "torch was loaded"
        try:
            import torch
        except ModuleNotFoundError as exc:
            assert "allow_torch" in str(exc), exc
        else:
            raise AssertionError("torch imported")
        import importlib.util
        # a probe gets an answer, not an exception (pyspark probes for torch when a Spark
        # session starts: `generate --engine spark` failed on it), and loads nothing
        importlib.util.find_spec("torch")
        assert "torch" not in sys.modules
        allow_torch()
        import torch
        assert int(torch.tensor([1, 2]).sum()) == 3
        print("ok")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_mostly_synthesizer_asks_for_torch_before_its_import():
    done = _python(
        """
        import sys
        from synthgen_sdv.core.startup import leave_out_torch
        leave_out_torch()
        from synthgen_sdv.core.errors import MissingExtraError
        from synthgen_sdv.synth.mostly import import_mostly
        try:
            import_mostly()
        except MissingExtraError:
            pass  # the extra is not installed here
        import torch
        print("ok")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_fit_sample_process_never_loads_torch(tmp_path):
    """``python -X importtime -m synthgen_sdv fit-sample``: every module the process imported is
    listed, and torch's are not among them; the run writes its tables."""
    data = tmp_path / "data"
    data.mkdir()
    rows = "".join(f"{i},{'ab'[i % 2]},{i * 1.5}\n" for i in range(1, 41))
    (data / "customers.csv").write_text("customer_id,segment,score\n" + rows)
    rows = "".join(f"{i},{i % 40 + 1},{(i * 7) % 50}.5\n" for i in range(1, 121))
    (data / "orders.csv").write_text("order_id,customer_id,amount\n" + rows)
    out = tmp_path / "out"
    command = ["-X", "importtime", "-m", "synthgen_sdv", "fit-sample", "--no-compare"]
    done = subprocess.run(
        [sys.executable, *command, "--data-dir", str(data), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "sdv.multi_table" in imported and "sdmetrics" in imported
    # importtime lists refused imports too (SDMetrics' and ctgan's bare "torch"); a loaded
    # torch brings hundreds of its submodules
    assert not [m for m in imported if m.startswith("torch.")]
    assert any((out / "data").glob("orders.*"))
