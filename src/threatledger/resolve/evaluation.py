"""B-cubed precision and recall of a clustering against gold labels (used to measure incident resolution)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["bcubed"]


def bcubed(predicted: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float, float]:
    """B-cubed (precision, recall, F1) over the items of ``gold``; items missing from ``predicted`` are singletons."""
    items = list(gold)
    if not items:
        return 0.0, 0.0, 0.0
    cluster = {i: predicted.get(i, f"singleton:{i}") for i in items}
    precision = recall = 0.0
    for item in items:
        same_pred = {j for j in items if cluster[j] == cluster[item]}
        same_gold = {j for j in items if gold[j] == gold[item]}
        both = len(same_pred & same_gold)
        precision += both / len(same_pred)
        recall += both / len(same_gold)
    p, r = precision / len(items), recall / len(items)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
