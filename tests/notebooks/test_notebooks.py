"""Each notebook runs top to bottom in a fresh kernel on a small config, and says what it found."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TINY = ROOT / "tests" / "configs" / "tiny"

pytestmark = pytest.mark.slow


def execute(name: str, tmp_path: Path, monkeypatch, **params: str) -> tuple[list[str], int]:
    """Run the notebook with SYNTHGEN_NB_* parameters; return each code cell's output text
    and the number of images it displayed."""
    monkeypatch.setenv("SYNTHGEN_NB_WORKDIR", str(tmp_path / "work"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for key, value in params.items():
        monkeypatch.setenv(f"SYNTHGEN_NB_{key.upper()}", value)
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    texts, images = [], 0
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        parts: list[str] = []
        last = None  # a print may come in several stream messages: joined as they came
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                if out["name"] == last:
                    parts[-1] += out.get("text", "")
                else:
                    parts.append(out.get("text", ""))
                last = out["name"]
                continue
            last = None
            data = out.get("data", {})
            images += "image/png" in data
            parts += [data[k] for k in ("text/plain", "text/html", "text/markdown") if k in data]
        texts.append("\n".join(parts))
    return texts, images


@pytest.mark.parametrize("name", ["quality_report", "ablation", "data_validation"])
def test_notebooks_are_committed_without_outputs(name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("name", ["quality_report", "ablation", "data_validation"])
def test_notebooks_use_the_python_api(name):
    """The notebooks call ``synthgen_sdv``'s API in the kernel, never the command line."""
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
    assert "import synthgen_sdv as sg" in code
    assert "subprocess" not in code and "python -m synthgen_sdv" not in code


def test_quality_report(tmp_path, monkeypatch):
    texts, images = execute(
        "quality_report",
        tmp_path,
        monkeypatch,
        config_dir=str(TINY),
        bootstrap_scale="1",
        model="gaussian_copula",
    )
    everything = "\n".join(texts)
    assert "# Synthetic data comparison" in everything  # comparison.md rendered
    assert "synthgen_sdv.comparison" in everything
    assert "tables scored: customers, orders, lines" in texts[-1]
    assert "scores in 0..1: OK" in texts[-1]
    quality = dict(re.findall(r"(\S+(?: \(ceiling\))?) (0\.\d{3}|1\.000)", texts[-1]))
    assert {"train (ceiling)", "gaussian_copula", "rules_baseline"} <= set(quality)
    assert texts[-1].rstrip().endswith("RESULT: OK")
    assert "property_scores.png" in everything and images >= 5  # every plot is shown
    assert "the saved model repeats a draw from its seed: True" in everything


def test_ablation(tmp_path, monkeypatch):
    texts, images = execute(
        "ablation",
        tmp_path,
        monkeypatch,
        config_dir=str(TINY),
        seeds="1,2",
        scales="1",
        synthesizers="gaussian_copula",
    )
    everything = "\n".join(texts)
    assert "[ablation] cell 2/2 seed 2 scale 1: ok" in everything
    assert " ± " in everything
    assert "candidates: train (ceiling), gaussian_copula, rules_baseline" in texts[-1]
    assert texts[-1].rstrip().endswith("RESULT: OK")
    doc = json.loads((tmp_path / "work" / "ablation_out" / "ablation.json").read_text())
    assert doc["grid"]["seeds"] == [1, 2] and doc["grid"]["scales"] == [1.0]
    assert images == 2  # overview and time vs scale


def test_data_validation(tmp_path, monkeypatch):
    texts, _ = execute("data_validation", tmp_path, monkeypatch, config_dir=str(TINY), scale="1")
    everything = "\n".join(texts)
    assert "tables: regions, products, customers, orders, lines" in texts[-1]
    assert "all OK" in texts[-1] and texts[-1].rstrip().endswith("RESULT: OK")
    assert "RESULT: OK" in everything.split("sg.validate(")[1]  # the command's verdict
    assert "lines.product_id" in everything  # a foreign key checked in DuckDB
    assert (tmp_path / "work" / "warehouse.duckdb").exists()
