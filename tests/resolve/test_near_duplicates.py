"""Near-duplicate threshold, measured on pairs built here (printed with -s; recorded in docs/quality.md)."""

from __future__ import annotations

import random

from threatledger.resolve.near_duplicates import THRESHOLD, Signature, band_keys, signature, similarity

ARTICLE = (
    "The Harbor Valley Water Authority said on Tuesday that a ransomware attack disrupted its billing systems. "
    "The utility said the intruders first gained access in January through a vulnerable VPN appliance and were "
    "discovered on March 4. A spokesperson said customer names, addresses and bank account details may have been "
    "stolen, while water treatment was not affected. The LockBit ransomware gang claimed responsibility for the "
    "attack on its leak site and threatened to publish 300 GB of data. The authority has not attributed the attack "
    "and said it was working with the FBI and state officials to restore the systems. Residents were told to "
    "watch their bank statements and to report suspicious messages that claim to come from the utility. The "
    "authority expects billing to resume next week and said no payment card numbers were stored on the network."
)
SYNDICATED = (
    "Water utility hit by ransomware | Regional Wire\nShare this article. Sign up for our newsletter.\n"
    + ARTICLE
    + "\nCopyright Regional Wire. All rights reserved. Read more: top stories of the week."
)
REWRITE = (
    ARTICLE.replace("said on Tuesday", "confirmed on Tuesday")
    .replace("A spokesperson said", "A spokeswoman told reporters")
    .replace("expects billing to resume next week", "hopes billing resumes soon")
)
SAME_INCIDENT_OTHER_ARTICLE = (
    "Officials at Harbor Valley told lawmakers that hackers were inside the utility's network for two months before "
    "the intrusion was found in early March. Investigators believe the attackers exploited a flaw in an Ivanti "
    "appliance. The LockBit group later leaked files it said came from the utility, including billing records. "
    "Lawmakers asked why the appliance had not been patched when the vendor released a fix in January."
)
SAME_VICTIM_OTHER_INCIDENT = (
    "The Harbor Valley Water Authority said a phishing campaign targeted its employees in 2021, but no systems were "
    "compromised. The utility said staff reported the emails, which impersonated a payroll provider, and that it "
    "blocked the sender. The authority has since trained its staff and enabled multi-factor authentication."
)


def _sim(a: str, b: str) -> float:
    return similarity(signature(a), signature(b))


def test_threshold_separates_copies_from_other_reporting() -> None:
    figures = {
        "exact copy": _sim(ARTICLE, ARTICLE),
        "copy with headline and boilerplate": _sim(ARTICLE, SYNDICATED),
        "light rewrite": _sim(ARTICLE, REWRITE),
        "other article, same incident": _sim(ARTICLE, SAME_INCIDENT_OTHER_ARTICLE),
        "other incident, same victim": _sim(ARTICLE, SAME_VICTIM_OTHER_INCIDENT),
    }
    print({k: round(v, 2) for k, v in figures.items()})
    assert figures["exact copy"] == 1.0
    assert figures["copy with headline and boilerplate"] >= THRESHOLD
    assert figures["light rewrite"] >= THRESHOLD
    assert figures["other article, same incident"] < THRESHOLD
    assert figures["other incident, same victim"] < THRESHOLD


def test_near_copies_share_a_band() -> None:
    assert set(band_keys(signature(ARTICLE))) & set(band_keys(signature(SYNDICATED)))


def test_signatures_round_trip_and_are_deterministic() -> None:
    sig = signature(ARTICLE)
    assert Signature.from_bytes(sig.to_bytes()) == sig
    assert signature(ARTICLE) == sig


def test_random_texts_are_not_near_duplicates() -> None:
    rng = random.Random(7)
    words = ARTICLE.split()
    for _ in range(20):
        a = " ".join(rng.sample(words, 60))
        b = " ".join(rng.sample(words, 60))
        assert _sim(a, b) < THRESHOLD
