"""Machine facts and memory sampling shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import os
import platform
import resource
import sqlite3
import sys
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["RssSampler", "describe", "load", "maxrss_mb"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load() -> str:
    """The 1/5/15-minute load averages (other work on the machine skews every figure)."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def describe() -> str:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    return (
        f"machine: {_cpu_model()}, {cores} logical cores ({usable} usable), "
        f"{platform.system()} {platform.release()}, Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}; load average {load()}"
    )


def maxrss_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest waited-for child (Linux: KiB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: each shared page counted once over the processes sharing it (Linux 4.14+)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    found = [pid]
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(_tree(int(child)))
    return found


class RssSampler:
    """Samples the summed RSS of this process and all its descendants; ``peak_mb`` after the block.

    The sum over-counts pages that forked workers still share with their parent, so it is an upper bound;
    ``pss_peak_mb`` sums proportional set sizes instead (shared pages counted once: the memory really used),
    0 where the kernel does not report them.
    """

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.peak_kb = 0
        self.pss_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = _tree(os.getpid())
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in tree))
            self.pss_peak_kb = max(self.pss_peak_kb, sum(_pss_kb(p) for p in tree))
            self._stop.wait(self.interval_s)

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024

    @property
    def pss_peak_mb(self) -> float:
        return self.pss_peak_kb / 1024

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
