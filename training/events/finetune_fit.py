"""Fine-tune the event encoder: step two, train LoRA deltas of MiniLM together with the trigger and argument heads.

Reads what ``training.events.finetune`` wrote (``casie-pieces.npz``, ``encoder.npz``) and needs PyTorch, numpy and
the repository's ``src`` (for the encoder's and the heads' constants; none of threatledger's other dependencies), so
it runs wherever a GPU is::

    PYTHONPATH=src python3 training/events/finetune_fit.py --data training/output/finetune --out training/output/finetune/run \\
        [--rank 8] [--epochs 4] [--seed 0] [--device cuda]

The encoder is the numpy one of ``threatledger.extract.encoder`` written in PyTorch (BERT, tanh GELU, the mean of
each word's word pieces at layers 3 and 6). Its weights stay frozen; every linear map of its six layers (query, key,
value, attention output, both feed-forward maps) learns a rank-``rank`` delta ``scale * b @ a`` (LoRA). The two
heads are those of ``threatledger.extract.event_head``, with the same inputs: the trigger head tags every word of
every sentence with an event type (or outside), the argument head every word of each gold trigger's sentence with a
role (or outside). Both losses are cross-entropies in which words inside a span count ``span_weight`` times.

After each epoch both heads are scored on the held-out tenth (word-level F1 of the trigger types; of the roles given
the gold triggers); the epoch with the best mean of the two is written:

* ``encoder_delta.npz``: the deltas (float16), their scale and a fingerprint of the base weights they belong to;
* ``trigger_head.npz``, ``argument_head.npz``: the heads, in ``event_head.Mlp``'s format;
* ``report.json``: the settings and every epoch's scores. ``--rank 0`` trains the heads alone on the frozen
  encoder, the baseline the deltas are compared with.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from threatledger.extract import event_head as head
from threatledger.extract.encoder import ADAPTED, LAYERS
from threatledger.extract.event_head import BUCKETS, window


class LoraLinear(nn.Module):
    """A frozen linear map plus a trainable low-rank delta ``scale * b @ a`` (none when ``rank`` is 0)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, rank: int, scale: float) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)
        self.rank, self.scale = rank, scale
        if rank:
            out_dim, in_dim = weight.shape
            self.a = nn.Parameter(torch.randn(rank, in_dim) / math.sqrt(in_dim))
            self.b = nn.Parameter(torch.zeros(out_dim, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight, self.bias)
        if self.rank:
            y = y + F.linear(F.linear(x, self.a), self.b) * self.scale
        return y


class Bert(nn.Module):
    """MiniLM as ``threatledger.extract.encoder`` runs it: hidden states after the layers in :data:`LAYERS`."""

    def __init__(self, w: dict[str, torch.Tensor], config: dict, rank: int, scale: float) -> None:
        super().__init__()
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        for name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
            self.register_buffer(name, w[f"embeddings.{name}.weight"])
        self.register_buffer("ln_w", w["embeddings.LayerNorm.weight"])
        self.register_buffer("ln_b", w["embeddings.LayerNorm.bias"])
        self.layers = nn.ModuleList()
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            layer = nn.Module()
            for key, name in ADAPTED.items():
                setattr(layer, key, LoraLinear(w[p + name + ".weight"], w[p + name + ".bias"], rank, scale))
            for key, name in (("ln1", "attention.output.LayerNorm"), ("ln2", "output.LayerNorm")):
                layer.register_buffer(key + "_w", w[p + name + ".weight"])
                layer.register_buffer(key + "_b", w[p + name + ".bias"])
            self.layers.append(layer)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Layers 3 and 6 side by side: ``(batch, length, 2 * hidden)``."""
        batch, length = ids.shape
        x = (
            self.word_embeddings[ids]
            + self.position_embeddings[:length][None]
            + self.token_type_embeddings[0]
        )
        x = F.layer_norm(x, x.shape[-1:], self.ln_w, self.ln_b, self.eps)
        allowed = mask[:, None, None, :].bool()
        out = []
        for i, layer in enumerate(self.layers):

            def split(t: torch.Tensor) -> torch.Tensor:
                return t.view(batch, length, self.heads, -1).transpose(1, 2)

            q, k, v = (split(getattr(layer, n)(x)) for n in ("query", "key", "value"))
            att = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
            att = att.transpose(1, 2).reshape(batch, length, -1)
            x = F.layer_norm(
                x + layer.attention_output(att), x.shape[-1:], layer.ln1_w, layer.ln1_b, self.eps
            )
            h = F.gelu(layer.intermediate(x), approximate="tanh")
            x = F.layer_norm(x + layer.output(h), x.shape[-1:], layer.ln2_w, layer.ln2_b, self.eps)
            if i + 1 in LAYERS:
                out.append(x)
        return torch.cat(out, dim=-1)


class Head(nn.Module):
    def __init__(self, n_in: int, n_out: int, hidden: int = 256, dropout: float = 0.2) -> None:
        super().__init__()
        self.l1, self.l2, self.dropout = nn.Linear(n_in, hidden), nn.Linear(hidden, n_out), dropout
        nn.init.normal_(self.l1.weight, 0.0, (2 / n_in) ** 0.5)
        nn.init.zeros_(self.l1.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2(F.dropout(F.relu(self.l1(x)), self.dropout, self.training))

    def numpy(self) -> head.Mlp:
        """The network as the extractor runs it (:class:`threatledger.extract.event_head.Mlp`)."""
        return head.Mlp(
            self.l1.weight.detach().T.cpu().numpy(),
            self.l1.bias.detach().cpu().numpy(),
            self.l2.weight.detach().T.cpu().numpy(),
            self.l2.bias.detach().cpu().numpy(),
        )


class Split:
    """One part (``fit`` or ``tune``) of ``casie-pieces.npz``."""

    def __init__(self, z: np.lib.npyio.NpzFile, prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return z[f"{prefix}_{name}"]

        self.ids, self.id_off = get("ids"), get("id_offsets")
        self.pool_word, self.pool_piece, self.pool_off = (
            get("pool_word"),
            get("pool_piece"),
            get("pool_offsets"),
        )
        self.n_words = get("n_words")
        self.word_off = np.concatenate([[0], np.cumsum(self.n_words)])
        self.word_labels = get("word_labels").astype(np.int64)
        self.instances, self.arg_labels = get("instances"), get("arg_labels").astype(np.int64)
        self.arg_off = get("arg_offsets")
        self.by_sentence: dict[int, list[int]] = {}
        for k, sent in enumerate(self.instances[:, 0]):
            self.by_sentence.setdefault(int(sent), []).append(k)

    def __len__(self) -> int:
        return len(self.n_words)


class Model(nn.Module):
    def __init__(self, bert: Bert, width: int, n_types: int, n_roles: int) -> None:
        super().__init__()
        self.bert, self.n_types = bert, n_types
        self.trigger = Head(width * 2, n_types + 1)
        self.argument = Head(width * 3 + width // 2 + len(BUCKETS) + 1 + n_types, n_roles + 1)
        self.register_buffer("buckets", torch.tensor(BUCKETS))

    def words(self, data: Split, sentences: list[int], device: torch.device) -> list[torch.Tensor]:
        """Each sentence's word features ``(words, width)``."""
        rows = [data.ids[data.id_off[s] : data.id_off[s + 1]] for s in sentences]
        length = max(len(r) for r in rows)
        ids = np.zeros((len(rows), length), np.int64)
        mask = np.zeros((len(rows), length), np.int64)
        for i, r in enumerate(rows):
            ids[i, : len(r)], mask[i, : len(r)] = r, 1
        states = self.bert(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
        flat = states.reshape(-1, states.shape[-1])
        word_idx, piece_idx, base = [], [], 0
        for i, s in enumerate(sentences):
            a, b = data.pool_off[s], data.pool_off[s + 1]
            word_idx.append(data.pool_word[a:b] + base)
            piece_idx.append(data.pool_piece[a:b] + i * length)
            base += int(data.n_words[s])
        wi = torch.from_numpy(np.concatenate(word_idx).astype(np.int64)).to(device)
        pi = torch.from_numpy(np.concatenate(piece_idx).astype(np.int64)).to(device)
        sums = torch.zeros(base, flat.shape[-1], device=device).index_add(0, wi, flat[pi])
        counts = torch.zeros(base, device=device).index_add(0, wi, torch.ones_like(wi, dtype=torch.float32))
        pooled = sums / counts.clamp(min=1)[:, None]
        return list(torch.split(pooled, [int(data.n_words[s]) for s in sentences]))

    @staticmethod
    def word_rows(tok: torch.Tensor) -> torch.Tensor:
        half = tok.shape[1] // 2
        zero = tok.new_zeros(1, half)
        return torch.cat([tok, torch.cat([zero, tok[:-1, half:]]), torch.cat([tok[1:, half:], zero])], dim=1)

    def argument_rows(
        self, words: torch.Tensor, start: int, end: int, etype: int
    ) -> tuple[torch.Tensor, int]:
        lo, hi = window(len(words), start, end)
        tok = words[lo:hi]
        half = tok.shape[1] // 2
        trigger = words[start:end].mean(0)
        pos = torch.arange(lo, hi, device=words.device)
        rel = torch.where(
            pos < start, pos - start, torch.where(pos >= end, pos - end + 1, torch.zeros_like(pos))
        )
        buckets = F.one_hot(torch.bucketize(rel, self.buckets, right=True), len(BUCKETS) + 1).float()
        kind = tok.new_zeros(hi - lo, self.n_types)
        kind[:, etype] = 1.0
        rows = torch.cat(
            [self.word_rows(tok), trigger.expand_as(tok), tok[:, half:] * trigger[half:], buckets, kind],
            dim=1,
        )
        return rows, lo


def weighted_ce(logits: torch.Tensor, y: torch.Tensor, span_weight: float) -> torch.Tensor:
    w = torch.where(y == 0, 1.0, span_weight)
    return (F.cross_entropy(logits, y, reduction="none") * w).sum() / w.sum()


def step(
    model: Model, data: Split, sentences: list[int], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Trigger logits and labels of every word, argument logits and labels of every window of a batch."""
    feats = model.words(data, sentences, device)
    trig = model.trigger(torch.cat([Model.word_rows(f) for f in feats]))
    trig_y = np.concatenate([data.word_labels[data.word_off[s] : data.word_off[s + 1]] for s in sentences])
    arg_x, arg_y = [], []
    for f, s in zip(feats, sentences, strict=True):
        for k in data.by_sentence.get(s, []):
            _, start, end, etype = (int(v) for v in data.instances[k])
            if end <= start:
                continue
            rows, lo = model.argument_rows(f, start, end, etype)
            arg_x.append(rows)
            arg_y.append(data.arg_labels[data.arg_off[k] + lo : data.arg_off[k] + lo + len(rows)])
    arg = model.argument(torch.cat(arg_x)) if arg_x else trig.new_zeros(0, model.argument.l2.out_features)
    ys = np.concatenate(arg_y) if arg_y else np.zeros(0, np.int64)
    return trig, torch.from_numpy(trig_y).to(device), arg, torch.from_numpy(ys).to(device)


def f1(pred: np.ndarray, gold: np.ndarray) -> float:
    hit = float(((pred == gold) & (gold > 0)).sum())
    p, g = float((pred > 0).sum()), float((gold > 0).sum())
    return 2 * hit / (p + g) if p + g else 0.0


@torch.no_grad()
def evaluate(model: Model, data: Split, n: int, device: torch.device, batch: int) -> dict[str, float]:
    """Word-level F1 of both heads on the first ``n`` sentences of ``data``."""
    model.eval()
    tp, tg, ap_, ag = [], [], [], []
    for at in range(0, n, batch):
        trig, ty, arg, ay = step(model, data, list(range(at, min(at + batch, n))), device)
        tp.append(trig.argmax(1).cpu().numpy())
        tg.append(ty.cpu().numpy())
        ap_.append(arg.argmax(1).cpu().numpy())
        ag.append(ay.cpu().numpy())
    model.train()
    scores = {
        "triggers": f1(np.concatenate(tp), np.concatenate(tg)),
        "arguments": f1(np.concatenate(ap_), np.concatenate(ag)),
    }
    return scores | {"mean": (scores["triggers"] + scores["arguments"]) / 2}


def export(
    model: Model, out: Path, types: list[str], roles: list[str], base: dict[str, torch.Tensor]
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    head.TriggerHead(model.trigger.numpy(), tuple(types)).save(out / head.TRIGGER_FILE)
    head.ArgumentHead(model.argument.numpy(), tuple(roles), tuple(types)).save(out / head.FILE)
    deltas: dict[str, np.ndarray] = {}
    scale = 0.0
    for i, layer in enumerate(model.bert.layers):
        for key in ADAPTED:
            lin = getattr(layer, key)
            if lin.rank:
                scale = lin.scale
                deltas[f"{i}.{key}.a"] = lin.a.detach().cpu().numpy().astype(np.float16)
                deltas[f"{i}.{key}.b"] = lin.b.detach().cpu().numpy().astype(np.float16)
    if deltas:
        finger = base["encoder.layer.0.attention.self.query.weight"][0, :16].cpu().numpy().astype(np.float32)
        np.savez(out / head.DELTA_FILE, scale=np.float32(scale), fingerprint=finger, **deltas)  # type: ignore[arg-type]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the folder training.events.finetune wrote")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--rank", type=int, default=8, help="rank of the deltas; 0 trains the heads alone")
    ap.add_argument("--alpha", type=float, default=16.0, help="the deltas' scale is alpha / rank")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32, help="sentences per step")
    ap.add_argument("--lr", type=float, default=1e-3, help="learning rate of the heads")
    ap.add_argument("--lora-lr", type=float, default=5e-4, help="learning rate of the deltas")
    ap.add_argument("--span-weight", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--limit", type=int, default=0, help="use only this many sentences of each part (a check)"
    )
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    device = torch.device(args.device)
    with np.load(args.data / "encoder.npz") as z:
        config = json.loads(str(z["config"]))
        base = {k: torch.from_numpy(z[k].astype(np.float32)) for k in z.files if k != "config"}
    with np.load(args.data / "casie-pieces.npz") as z:
        fit, tune = Split(z, "fit"), Split(z, "tune")
        types, roles = [str(t) for t in z["types"]], [str(r) for r in z["roles"]]
    bert = Bert(base, config, args.rank, args.alpha / max(args.rank, 1))
    width = int(config["hidden_size"]) * len(LAYERS)
    model = Model(bert, width, len(types), len(roles)).to(device)
    heads = [p for n, p in model.named_parameters() if not n.startswith("bert.")]
    deltas = [p for n, p in model.named_parameters() if n.startswith("bert.")]
    groups = [{"params": heads, "lr": args.lr, "weight_decay": 1e-4}]
    if deltas:
        groups.append({"params": deltas, "lr": args.lora_lr, "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups)
    n_fit = min(len(fit), args.limit) if args.limit else len(fit)
    n_tune = min(len(tune), args.limit) if args.limit else len(tune)
    steps = args.epochs * math.ceil(n_fit / args.batch)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: min((i + 1) / warm, max(0.0, (steps - i) / max(1, steps - warm)))
    )
    report: dict = {"settings": {k: str(v) for k, v in vars(args).items()}, "epochs": []}
    best = -1.0
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n_fit)
        total = 0.0
        for at in range(0, n_fit, args.batch):
            trig, ty, arg, ay = step(model, fit, [int(s) for s in order[at : at + args.batch]], device)
            loss = weighted_ce(trig, ty, args.span_weight)
            if len(ay):
                loss = loss + weighted_ce(arg, ay, args.span_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        scores = evaluate(model, tune, n_tune, device, 64)
        seconds = time.perf_counter() - t0
        report["epochs"].append({"epoch": epoch + 1, "loss": total, "seconds": seconds, **scores})
        print(json.dumps(report["epochs"][-1]), flush=True)
        if scores["mean"] > best:
            best = scores["mean"]
            report["chosen"] = epoch + 1
            export(model, args.out, types, roles, base)
    (args.out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
