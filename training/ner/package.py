"""Copy a trained model into the package, dropping the interned training strings (about 1.8 MB).

The encoder hashes token attributes, so it needs no string table; only the entity labels must be known to the
vocabulary. The script checks that predictions are unchanged on a held-out AnnoCTR sample before replacing files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from threatledger.extract.cyberner import CyberNER


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", type=Path)
    ap.add_argument("--dest", type=Path, default=Path("src/threatledger/models/cyberner"))
    ap.add_argument(
        "--check", type=Path, nargs="*", default=[], help="text files whose predictions must not change"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        slim = Path(tmp) / "model"
        shutil.copytree(args.model, slim)
        labels: set[str] = set()
        for head in slim.glob("ner_*"):
            labels |= set(json.loads((head / "cfg").read_text()).get("labels", []) or [])
            labels |= {s for s in (head / "moves").read_text(errors="ignore").split('"') if s.isupper()}
        strings = json.loads((slim / "vocab" / "strings.json").read_text())
        keep = sorted(s for s in strings if s in labels)
        (slim / "vocab" / "strings.json").write_text(json.dumps(keep))
        full, lean = CyberNER.load(args.model), CyberNER.load(slim)
        assert full is not None and lean is not None
        for path in args.check:
            text = path.read_text(encoding="utf-8")
            if full.predict(text) != lean.predict(text):
                sys.exit(f"predictions differ on {path}")
        for item in args.dest.iterdir() if args.dest.is_dir() else ():
            if item.name != "MODEL_CARD.md":
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        args.dest.mkdir(parents=True, exist_ok=True)
        for item in slim.iterdir():
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, args.dest / item.name)


if __name__ == "__main__":
    main()
