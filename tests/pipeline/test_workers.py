"""Forked workers: input order, state shared by the fork, numpy's BLAS held to one thread in each worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from threatledger import workers
from threatledger.errors import ExtractionError

pytestmark = pytest.mark.skipif(not workers.can_fork(), reason="this platform cannot fork worker processes")


class _Unpicklable:
    """State a worker can only have by inheriting it (pickling it fails)."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.lock = threading.Lock()


def _add(state: _Unpicklable, item: int) -> tuple[int, int]:
    return item + state.offset, os.getpid()


def _blas_threads(state: Any, item: int) -> list[int]:
    np.ones((64, 64)) @ np.ones((64, 64))  # BLAS used in the worker
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_results_come_in_input_order_from_other_processes() -> None:
    items = list(range(40))
    found = list(workers.forked_map(_add, items, 2, _Unpicklable(100)))
    assert [value for value, _ in found] == [i + 100 for i in items]
    assert os.getpid() not in {pid for _, pid in found}


def test_each_worker_holds_blas_to_one_thread() -> None:
    here = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    if not here:
        pytest.skip("numpy here uses no BLAS that threadpoolctl can see")
    found = list(workers.forked_map(_blas_threads, list(range(6)), 2, None))
    assert all(threads == [1] * len(here) for threads in found)
    # the parent keeps its own setting
    assert [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"] == [
        pool["num_threads"] for pool in here
    ]


def test_fewer_items_than_processes() -> None:
    assert [v for v, _ in workers.forked_map(_add, [1], 4, _Unpicklable(1))] == [2]


def _die_at_three(state: Any, item: int) -> int:
    if item == 3:
        os._exit(1)  # as a worker killed by the system for memory
    return item


@pytest.mark.timeout(120)
def test_a_worker_that_dies_raises_instead_of_hanging() -> None:
    with pytest.raises(ExtractionError, match="worker process died"):
        list(workers.forked_map(_die_at_three, list(range(8)), 2, None))


_ORPHAN_SCRIPT = """
import os, sys, time
from threatledger import workers

def wait_forever(folder, item):
    open(os.path.join(folder, str(os.getpid())), "w").close()
    time.sleep(600)

if __name__ == "__main__":
    list(workers.forked_map(wait_forever, [1, 2], 2, sys.argv[1]))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="workers die with their parent on Linux")
def test_workers_die_when_their_parent_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(_ORPHAN_SCRIPT, encoding="utf-8")
    folder = tmp_path / "pids"
    folder.mkdir()
    parent = subprocess.Popen([sys.executable, str(script), str(folder)])
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = [int(p.name) for p in folder.iterdir()]
        assert len(pids) == 2, "the workers did not start"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    deadline = time.monotonic() + 20
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in pids if _running(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == [], "worker processes outlived their killed parent"


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
