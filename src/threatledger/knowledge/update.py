"""`kb update`: fetch the current misp-galaxy clusters and the ATT&CK enterprise bundle into ``settings.kb_dir``.

The HTTP client is injected (tests pass one built on ``httpx.MockTransport``). Every file is validated and
written atomically, so an interrupted update leaves the previous knowledge in place; :func:`load_kb` prefers the
folder's contents over the packaged galaxies once it holds cluster files.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from threatledger.errors import KnowledgeError
from threatledger.knowledge.galaxy import CLUSTERS, TECHNIQUE_CLUSTER
from threatledger.knowledge.loader import ATTACK_BUNDLE

__all__ = ["ATTACK_URL", "GALAXY_URL", "UpdateReport", "update_from_internet"]

log = logging.getLogger(__name__)

GALAXY_URL = "https://raw.githubusercontent.com/MISP/misp-galaxy/main/clusters/{name}.json"
ATTACK_URL = "https://raw.githubusercontent.com/mitre/cti/master/enterprise-attack/enterprise-attack.json"


@dataclass(frozen=True, slots=True)
class UpdateReport:
    target_dir: Path
    files: tuple[str, ...]  # paths written, relative to target_dir
    bytes: int
    failed: tuple[str, ...] = ()  # "name: reason" for each file that could not be fetched (kept as it was)


def update_from_internet(
    target_dir: Path, client: httpx.Client, *, clusters: tuple[str, ...] | None = None, attack: bool = True
) -> UpdateReport:
    """Download the galaxy clusters the knowledge base reads and the ATT&CK bundle into ``target_dir``."""
    names = clusters if clusters is not None else (*CLUSTERS, TECHNIQUE_CLUSTER)
    jobs = [(GALAXY_URL.format(name=n), Path("clusters") / f"{n}.json", "values") for n in names]
    if attack:
        jobs.append((ATTACK_URL, Path(ATTACK_BUNDLE), "objects"))
    written: list[str] = []
    failed: list[str] = []
    total = 0
    for url, rel, key in jobs:
        try:
            body = _fetch(client, url, key)
        except KnowledgeError as exc:
            log.warning("%s", exc)
            failed.append(f"{rel}: {exc}")
            continue
        _write_atomic(target_dir / rel, body)
        written.append(str(rel))
        total += len(body)
    if not written:
        raise KnowledgeError(
            "nothing could be downloaded; check the network or proxy settings and retry",
            locator=str(target_dir),
        )
    return UpdateReport(target_dir, tuple(written), total, tuple(failed))


def _fetch(client: httpx.Client, url: str, key: str) -> bytes:
    try:
        response = client.get(url, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise KnowledgeError(f"download failed: {exc}", locator=url) from exc
    try:
        data = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"not JSON: {exc}", locator=url) from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise KnowledgeError(f"unexpected content (no {key!r} list)", locator=url)
    return response.content


def _write_atomic(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise KnowledgeError(f"cannot write: {exc}", locator=str(path)) from exc
