"""Forked worker processes for batch extraction, each held to one BLAS thread.

Loaded models are shared with the workers by forking (copy-on-write), so a worker starts in milliseconds. numpy's
OpenBLAS starts one spinning thread per core in every process: with one worker per core that is cores x cores
threads fighting for the cores, and the event extractor's encoder (numpy matrix products) then ran 11 times
slower than in one process (150 CASIE dev texts: 197 s in two workers against 17 s in one; ``benchmarks/events.py``).
Each worker therefore limits BLAS to one thread (``threadpoolctl``) before it does any work; one process per core
is the parallelism.

A worker dies with its parent: a parent killed outright (``kill -9``, the system's out-of-memory killer) would
otherwise leave its workers waiting forever for work, each holding the loaded models (about 500 MB).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import Any, TypeVar

from threatledger.errors import ExtractionError

__all__ = ["DEFAULT_HELP", "can_fork", "default_processes", "forked_map"]

T = TypeVar("T")
R = TypeVar("R")

_state: Any = None


DEFAULT_HELP = "2 on Linux (forked workers), else 1"


def default_processes() -> int:
    """The command line's default worker count: two where workers are forked cheaply (Linux), else one."""
    return min(2, os.cpu_count() or 1) if sys.platform == "linux" else 1


def can_fork() -> bool:
    """Whether this platform can fork worker processes (not on Windows; macOS can, though spawn is its default)."""
    return "fork" in multiprocessing.get_all_start_methods()


def forked_map(work: Callable[[Any, T], R], items: Sequence[T], n_process: int, state: Any) -> Iterator[R]:
    """``work(state, item)`` for each item, in ``n_process`` forked workers, yielded in input order.

    ``state`` (loaded models) is handed to the workers by the fork, not pickled; ``work`` must be a module-level
    function. Call only where :func:`can_fork` is true. A worker that dies (killed for memory, a crash in native
    code) raises :class:`ExtractionError` here rather than leaving the caller waiting for its result; the other
    workers are stopped.
    """
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=max(1, min(n_process, len(items))),
        mp_context=context,
        initializer=_adopt,
        initargs=(state, os.getpid()),
    )
    try:
        yield from pool.map(partial(_apply, work), items)
    except BrokenProcessPool as exc:
        raise ExtractionError(
            "an extraction worker process died (killed by the system, perhaps for memory, or crashed); "
            "run again with fewer processes (-j 1) to find the document at fault"
        ) from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _apply(work: Callable[[Any, T], R], item: T) -> R:
    """In a worker: ``work`` on the state the worker inherited."""
    return work(_state, item)


def _adopt(state: Any, parent: int) -> None:
    """A worker's initializer: it dies with its parent, holds BLAS to one thread, and the parent's loaded state
    becomes this process's."""
    from threadpoolctl import threadpool_limits

    _die_with(parent)
    global _state
    threadpool_limits(limits=1)
    _state = state


def _die_with(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere nothing."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
