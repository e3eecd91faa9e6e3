"""Scaling out: a distributed backfill on a Dask cluster (the ``[scale]`` extra). See docs/scale.md.

Nothing is imported from Dask until a backfill starts, so ``threatledger`` works without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from threatledger.scale.backfill import Backfill, backfill, local_client

__all__ = ["Backfill", "backfill", "local_client"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from threatledger.scale import backfill as module

        return getattr(module, name)
    raise AttributeError(name)
