"""The team's scorers (``shared/eval/*.py``) are scripts outside any package: load one as a module, so training
reads gold data and scores held-out data with the scorer's own functions."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def load_scorer(path: Path, name: str) -> ModuleType:
    """The scorer at ``path`` as a module called ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
