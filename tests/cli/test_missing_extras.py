"""An optional engine that is not installed: the install hint, exit 2, nothing written."""

from __future__ import annotations

import sys

import pytest

from synthgen_sdv.cli import main

# None in sys.modules is how Python marks a package as not importable: the situation of an
# installation without the extra, reproduced where it is installed
CASES = {
    "generate on spark": (["generate", "--scale", "1", "--engine", "spark"], "pyspark", "spark"),
    "fit-sample on spark": (["fit-sample", "--engine", "spark"], "pyspark", "spark"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_missing_extra_exits_2_with_the_install_hint(case, tmp_path, monkeypatch, capsys):
    argv, package, extra = CASES[case]
    monkeypatch.setitem(sys.modules, package, None)
    out = tmp_path / "out"
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"'{package}'" in err and f"pip install -c constraints.txt -e '.[{extra}]'" in err
    assert "Traceback" not in err
    assert not out.exists()
