"""Forked workers: input order, state shared by the fork, numpy's BLAS held to one thread in each worker."""

from __future__ import annotations

import os
import threading
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
