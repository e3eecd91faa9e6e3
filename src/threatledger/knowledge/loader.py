"""Build the knowledge base from its sources and cache the compiled result on disk.

Sources, in order of preference:
  1. ``settings.kb_dir`` when `kb update` has filled it: ``clusters/*.json`` (misp-galaxy) and
     ``enterprise-attack.json`` (ATT&CK STIX bundle);
  2. the galaxies pymispgalaxies ships (offline, always there).

The compiled knowledge base is pickled to ``settings.cache_dir/kb-<key>.pickle``; the key hashes :data:`VERSION`,
the versions of pymispgalaxies, pymispwarninglists and wordfreq, and the paths, sizes and times of the source
files, so an upgrade or a `kb update` rebuilds it and nothing else does. The cache is our own file in our own
cache folder; a cache that fails to load is rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import tempfile
import time
from pathlib import Path

from threatledger.config import Settings
from threatledger.errors import KnowledgeError
from threatledger.knowledge.base import KnowledgeBase
from threatledger.knowledge.entry import KBEntry, TechniqueEntry
from threatledger.knowledge.galaxy import (
    GalaxyRelation,
    packaged_clusters_dir,
    read_clusters,
    read_techniques,
)
from threatledger.knowledge.stix import read_attack_bundle

__all__ = ["ATTACK_BUNDLE", "VERSION", "build_kb", "cache_key", "kb_sources", "load_kb"]

log = logging.getLogger(__name__)

VERSION = "7"  # bump when the compiled structure or the matching rules change
ATTACK_BUNDLE = "enterprise-attack.json"
_PACKAGES = ("pymispgalaxies", "pymispwarninglists", "wordfreq")


def kb_sources(settings: Settings) -> tuple[Path, Path | None]:
    """The clusters folder and the ATT&CK bundle (if any) the knowledge base is built from."""
    clusters = packaged_clusters_dir()
    bundle: Path | None = None
    if settings.kb_dir is not None:
        local = settings.kb_dir / "clusters"
        if local.is_dir() and any(local.glob("*.json")):
            clusters = local
        if (settings.kb_dir / ATTACK_BUNDLE).is_file():
            bundle = settings.kb_dir / ATTACK_BUNDLE
    return clusters, bundle


def build_kb(clusters: Path, attack_bundle: Path | None = None) -> KnowledgeBase:
    """Read every source and compile the knowledge base (seconds; :func:`load_kb` caches it)."""
    entries: list[KBEntry]
    relations: list[GalaxyRelation]
    entries, relations = read_clusters(clusters)
    techniques: list[TechniqueEntry] = read_techniques(clusters)
    if not techniques and clusters != packaged_clusters_dir():
        techniques = read_techniques(packaged_clusters_dir())
    provenance = [str(clusters)]
    if attack_bundle is not None:
        attack_entries, attack_techniques = read_attack_bundle(attack_bundle)
        entries.extend(attack_entries)
        if attack_techniques:
            techniques = attack_techniques  # the bundle is newer than the packaged cluster
        provenance.append(str(attack_bundle))
    if not entries:
        raise KnowledgeError(
            "no galaxy cluster found; run `threatledger kb update` or reinstall pymispgalaxies",
            locator=str(clusters),
        )
    return KnowledgeBase.build(entries, relations, techniques, tuple(provenance))


def cache_key(clusters: Path, attack_bundle: Path | None) -> str:
    parts = [f"kb={VERSION}"]
    for package in _PACKAGES:
        try:
            parts.append(f"{package}={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{package}=absent")
    files = sorted(clusters.glob("*.json")) + ([attack_bundle] if attack_bundle else [])
    for path in files:
        stat = path.stat()
        parts.append(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def load_kb(settings: Settings, *, use_cache: bool = True) -> KnowledgeBase:
    """The knowledge base for these settings, from the on-disk cache when it is current."""
    clusters, bundle = kb_sources(settings)
    if not use_cache:
        return build_kb(clusters, bundle)
    path = settings.cache_dir / f"kb-{cache_key(clusters, bundle)}.pickle"
    started = time.perf_counter()
    if path.is_file():
        try:
            with path.open("rb") as handle:
                kb = pickle.load(handle)
            if isinstance(kb, KnowledgeBase):
                log.debug("knowledge base loaded from %s in %.2fs", path, time.perf_counter() - started)
                return kb
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError) as exc:
            log.warning("knowledge-base cache %s unreadable (%s); rebuilding", path, exc)
    kb = build_kb(clusters, bundle)
    _write_cache(path, kb)
    log.info("knowledge base built in %.2fs", time.perf_counter() - started)
    return kb


def _write_cache(path: Path, kb: KnowledgeBase) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("kb-*.pickle"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix="kb-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(kb, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot write the knowledge-base cache to %s (%s); set THREATLEDGER_CACHE", path, exc)
