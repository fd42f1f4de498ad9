"""Local workers write their encoded pieces straight into the tables' files, at offsets from a
shared ledger of encoded sizes, instead of pickling them back: the main process must record
placed pieces, write the same files as one worker, and leave nothing else in the output."""

from __future__ import annotations

import pytest

from synthgen_sdv.generate.engine import Engine
from synthgen_sdv.generate.executors import LocalExecutor
from synthgen_sdv.io.sink import Placed
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


def test_two_workers_place_pieces_and_write_what_one_worker_writes(tmp_path):
    plan = resolve_plan(load_project(TINY), scale=3)
    hashes, sinks = {}, {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        sinks[workers] = _Recording(out, ["parquet", "csv"])
        Engine(plan, executor=LocalExecutor(workers), progress=False).run(sinks[workers])
        hashes[workers] = tree_hashes(out)
    assert hashes[1] == hashes[2] and hashes[1]
    assert set(hashes[2]) == set(hashes[1])  # no spool or part files left beside the tables
    placed = {t for t, kinds in sinks[2].kinds.items() if Placed in kinds}
    assert placed, "two workers sent every piece back as bytes"
    assert not any(Placed in kinds for kinds in sinks[1].kinds.values())  # inline: bytes


def test_a_failing_worker_stops_the_run_instead_of_leaving_others_waiting(tmp_path, monkeypatch):
    """A chunk that fails before posting its sizes must not leave the later chunks waiting for
    its offset forever: the run fails with the worker's error."""
    from synthgen_sdv.generate import tasks

    real = tasks._table_chunk

    def failing(job, made, name, *args):
        if made.chunk == 1:
            raise RuntimeError("chunk 1 broke")
        return real(job, made, name, *args)

    monkeypatch.setattr(tasks, "_table_chunk", failing)  # inherited by the forked workers
    plan = resolve_plan(load_project(TINY), scale=3)
    with pytest.raises(RuntimeError, match="chunk 1 broke"):
        Engine(plan, executor=LocalExecutor(2), progress=False).run(FileSink(tmp_path, ["parquet"]))


def test_a_worker_that_dies_fails_the_run_with_a_clear_error(tmp_path, monkeypatch):
    """A worker killed mid-family (here it exits at chunk 1, as the OOM killer would end it)
    sends nothing back: the run fails naming the chunk instead of waiting for it forever, and
    the other workers are ended."""
    import os

    from synthgen_sdv.generate import tasks
    from synthgen_sdv.generate.executors import WorkerFailed

    real = tasks._table_chunk
    main = os.getpid()

    def dying(job, made, name, *args):
        if made.chunk == 1 and os.getpid() != main:
            os._exit(3)
        return real(job, made, name, *args)

    monkeypatch.setattr(tasks, "_table_chunk", dying)
    plan = resolve_plan(load_project(TINY), scale=3)
    with pytest.raises(WorkerFailed, match="chunk 1"):
        Engine(plan, executor=LocalExecutor(2), progress=False).run(FileSink(tmp_path, ["parquet"]))


def test_workers_started_before_the_types_end_when_deciding_them_fails(tmp_path, monkeypatch):
    """Forked workers start making chunks before the types are known; worker 0 decides them
    from chunk 0 (``FamilyJob.late``). If that fails, the run fails with its error (the main
    process, left without types, probes them itself, and a failing probe fails alike) and
    the workers waiting for the types are ended, not left behind."""
    import multiprocessing

    from synthgen_sdv.generate import engine, tasks

    def broken(*args):
        raise RuntimeError("types broke")

    plan = resolve_plan(load_project(TINY), scale=3)
    monkeypatch.setattr(tasks, "family_types", broken)  # worker 0's decision
    with pytest.raises(RuntimeError, match="types broke"):
        Engine(plan, executor=LocalExecutor(2), progress=False).run(
            FileSink(tmp_path / "a", ["parquet"])
        )
    assert not multiprocessing.active_children()
    monkeypatch.setattr(engine, "family_types", broken)  # and the main process's probe
    with pytest.raises(RuntimeError, match="types broke"):
        Engine(plan, executor=LocalExecutor(2), progress=False).run(
            FileSink(tmp_path / "b", ["parquet"])
        )
    assert not multiprocessing.active_children()


def test_worker_0_dying_before_it_decides_the_types_fails_the_run(tmp_path, monkeypatch):
    """Worker 0 ends (killed) while making chunk 0, before it sends the types up: the main
    process does not wait for them forever; the run fails naming chunk 0."""
    import multiprocessing
    import os

    from synthgen_sdv.generate import tasks
    from synthgen_sdv.generate.executors import WorkerFailed

    real = tasks.add_rollups
    main = os.getpid()

    def dying(plan, family, made, *args):
        if made.chunk == 0 and os.getpid() != main:
            os._exit(3)
        return real(plan, family, made, *args)

    monkeypatch.setattr(tasks, "add_rollups", dying)
    plan = resolve_plan(load_project(TINY), scale=3)
    with pytest.raises(WorkerFailed, match="chunk 0"):
        Engine(plan, executor=LocalExecutor(2), progress=False).run(FileSink(tmp_path, ["parquet"]))
    assert not multiprocessing.active_children()
