"""Training of the cyber-event extractor shipped in ``src/threatledger/models/events`` (CASIE's schema).

Run from the repository root::

    .venv/bin/python -m training.events --data ../shared/data/casie --out src/threatledger/models/events

Only ``<data>/train`` is read; a fixed tenth of it (every tenth document by sorted id) is held out for early
stopping and for choosing the decoding thresholds. The encoder and the two heads over it are fine-tuned by
``training.events.finetune`` then ``training/events/finetune_fit.py`` (PyTorch). See
``src/threatledger/models/events/MODEL_CARD.md``.
"""
