"""Numbered SQLite migrations. Append new ones; never edit one that has shipped."""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "documents, sightings, full-text index, feeds",
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            url TEXT,
            canonical_url TEXT,
            title TEXT,
            publisher TEXT,
            author TEXT,
            published TEXT,
            fetched TEXT,
            language TEXT,
            source TEXT,
            source_kind TEXT NOT NULL DEFAULT 'file',
            text TEXT NOT NULL
        );
        CREATE UNIQUE INDEX documents_canonical_url ON documents(canonical_url) WHERE canonical_url IS NOT NULL;
        CREATE INDEX documents_published ON documents(published);
        CREATE TABLE sightings (
            doc_id TEXT NOT NULL REFERENCES documents(id),
            locator TEXT NOT NULL,
            url TEXT,
            seen_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            PRIMARY KEY (doc_id, locator)
        );
        CREATE VIRTUAL TABLE documents_fts USING fts5(
            title, text, content='documents', content_rowid='rowid', tokenize='porter unicode61'
        );
        CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
            INSERT INTO documents_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
        END;
        CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, text)
            VALUES ('delete', old.rowid, old.title, old.text);
        END;
        CREATE TABLE feeds (
            url TEXT PRIMARY KEY,
            title TEXT,
            etag TEXT,
            modified TEXT,
            added TEXT NOT NULL,
            last_polled TEXT,
            last_status TEXT
        );
        CREATE TABLE feed_items (
            feed_url TEXT NOT NULL REFERENCES feeds(url),
            guid TEXT NOT NULL,
            doc_id TEXT,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (feed_url, guid)
        );
        """,
    ),
    (
        2,
        "extraction results: entities, indicators, incidents, claims",
        """
        CREATE TABLE extractions (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id),
            versions TEXT NOT NULL,
            data TEXT NOT NULL
        );
        CREATE TABLE entities (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            canonical TEXT NOT NULL,
            kb_ref TEXT,
            country TEXT,
            first_seen TEXT,
            last_seen TEXT
        );
        CREATE INDEX entities_type ON entities(type);
        CREATE INDEX entities_canonical ON entities(canonical COLLATE NOCASE);
        CREATE TABLE entity_names (
            entity_id TEXT NOT NULL REFERENCES entities(id),
            name TEXT NOT NULL COLLATE NOCASE,
            PRIMARY KEY (entity_id, name)
        );
        CREATE INDEX entity_names_name ON entity_names(name);
        CREATE TABLE entity_mentions (
            entity_id TEXT NOT NULL REFERENCES entities(id),
            doc_id TEXT NOT NULL REFERENCES documents(id),
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (entity_id, doc_id, start)
        );
        CREATE INDEX entity_mentions_doc ON entity_mentions(doc_id);
        CREATE TABLE indicators (
            doc_id TEXT NOT NULL REFERENCES documents(id),
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            benign INTEGER NOT NULL DEFAULT 0,
            benign_reason TEXT,
            PRIMARY KEY (doc_id, start, type)
        );
        CREATE INDEX indicators_value ON indicators(value);
        CREATE TABLE incidents (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            title TEXT NOT NULL,
            victim TEXT,
            country TEXT,
            sector TEXT,
            first_reported TEXT,
            last_reported TEXT,
            data TEXT NOT NULL
        );
        CREATE INDEX incidents_country ON incidents(country);
        CREATE INDEX incidents_first ON incidents(first_reported);
        CREATE TABLE incident_reports (
            report_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            doc_id TEXT NOT NULL REFERENCES documents(id),
            published TEXT,
            data TEXT NOT NULL
        );
        CREATE INDEX incident_reports_incident ON incident_reports(incident_id);
        CREATE TABLE claims (
            id TEXT PRIMARY KEY,
            incident_id TEXT,
            report_id TEXT,
            doc_id TEXT NOT NULL REFERENCES documents(id),
            stance TEXT NOT NULL,
            claimant TEXT,
            actor TEXT NOT NULL,
            actor_canonical TEXT,
            actor_kind TEXT,
            made_on TEXT,
            data TEXT NOT NULL
        );
        CREATE INDEX claims_incident ON claims(incident_id);
        CREATE INDEX claims_actor ON claims(actor_canonical);
        """,
    ),
    (
        3,
        "watchlists, alerts and API tokens",
        """
        CREATE TABLE watchlists (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            filters TEXT NOT NULL,
            webhook_url TEXT,
            webhook_secret TEXT,
            email TEXT,
            created TEXT NOT NULL
        );
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY,
            watchlist_id TEXT NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
            object_type TEXT NOT NULL,
            object_id TEXT NOT NULL,
            title TEXT,
            created TEXT NOT NULL,
            data TEXT NOT NULL,
            webhook_status TEXT,
            email_status TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            delivered_at TEXT,
            UNIQUE (watchlist_id, object_type, object_id)
        );
        CREATE INDEX alerts_created ON alerts(created);
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            created TEXT NOT NULL,
            last_used TEXT
        );
        """,
    ),
    (
        4,
        "near-duplicate signatures, incident merges and splits",
        """
        ALTER TABLE documents ADD COLUMN near_duplicate_of TEXT;
        CREATE TABLE doc_signatures (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id),
            signature BLOB NOT NULL
        );
        CREATE TABLE doc_bands (
            band_key TEXT NOT NULL,
            doc_id TEXT NOT NULL REFERENCES documents(id),
            PRIMARY KEY (band_key, doc_id)
        ) WITHOUT ROWID;
        ALTER TABLE incidents ADD COLUMN merged_into TEXT;
        CREATE TABLE incident_ops (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            op TEXT NOT NULL,
            incident_id TEXT NOT NULL,
            other_id TEXT,
            report_ids TEXT NOT NULL DEFAULT '[]',
            score REAL,
            reasons TEXT NOT NULL DEFAULT '[]',
            at TEXT NOT NULL,
            undone_at TEXT
        );
        CREATE INDEX incident_ops_incident ON incident_ops(incident_id);
        CREATE TABLE incident_keys (
            report_id TEXT NOT NULL REFERENCES incident_reports(report_id),
            key TEXT NOT NULL,
            PRIMARY KEY (key, report_id)
        ) WITHOUT ROWID;
        """,
    ),
    (
        5,
        "STIX objects imported verbatim",
        """
        CREATE TABLE stix_objects (
            id TEXT NOT NULL,
            version TEXT NOT NULL,
            type TEXT NOT NULL,
            spec_version TEXT,
            data TEXT NOT NULL,
            source TEXT NOT NULL,
            doc_id TEXT REFERENCES documents(id),
            imported_at TEXT NOT NULL,
            PRIMARY KEY (id, version)
        );
        CREATE INDEX stix_objects_type ON stix_objects(type);
        CREATE INDEX stix_objects_doc ON stix_objects(doc_id);
        """,
    ),
    (
        6,
        "indexes for the incident filters and their newest-first order",
        """
        CREATE INDEX incidents_last ON incidents(last_reported);
        CREATE INDEX incidents_country_upper ON incidents(upper(country));
        CREATE INDEX claims_actor_canonical_lower ON claims(lower(actor_canonical));
        CREATE INDEX claims_actor_lower ON claims(lower(actor));
        """,
    ),
    (
        7,
        "the newest-first incident index in the listing's own order",
        """
        DROP INDEX incidents_last;
        CREATE INDEX incidents_last ON incidents(last_reported DESC, id);
        """,
    ),
)
