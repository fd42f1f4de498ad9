"""Local workers leave encoded pieces in spool files instead of pickling them back: the main
process must receive spooled pieces, write the same files as one worker, and leave no spool."""

from __future__ import annotations

from synthgen_sdv.generate.engine import Engine
from synthgen_sdv.generate.executors import LocalExecutor
from synthgen_sdv.io.sink import Spooled
from synthgen_sdv.io.writers import FileSink
from synthgen_sdv.runs.config import load_project
from synthgen_sdv.schema.plan import resolve_plan
from tests.conftest import TINY
from tests.generate.helpers import tree_hashes


class _Recording(FileSink):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds: dict[str, set[type]] = {}

    def append(self, table, pieces):
        for piece in pieces.values():
            self.kinds.setdefault(table, set()).add(type(piece))
        super().append(table, pieces)


def test_two_workers_spool_pieces_and_write_what_one_worker_writes(tmp_path):
    plan = resolve_plan(load_project(TINY), scale=3)
    hashes, sinks = {}, {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        sinks[workers] = _Recording(out, ["parquet", "csv"])
        Engine(plan, executor=LocalExecutor(workers), progress=False).run(sinks[workers])
        hashes[workers] = tree_hashes(out)
        assert not (out / ".spool").exists()
    assert hashes[1] == hashes[2] and hashes[1]
    spooled = {t for t, kinds in sinks[2].kinds.items() if Spooled in kinds}
    assert spooled, "two workers sent every piece back as bytes"
    assert not any(Spooled in kinds for kinds in sinks[1].kinds.values())  # inline: no files
