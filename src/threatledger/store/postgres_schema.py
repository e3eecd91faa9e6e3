"""Numbered PostgreSQL migrations. Append new ones; never edit one that has shipped.

Version N here means what version N means in ``sqlite_schema`` (``threatledger db copy`` relies on it), written in
PostgreSQL's dialect. Differences from the SQLite schema, and why:

- text columns use the domain ``ctext`` (text with the byte-wise "C" collation), so ``ORDER BY`` sorts like
  SQLite's default BINARY collation whatever the database locale is;
- ``documents.rowid`` and ``sightings.rowid`` are identity columns standing in for SQLite's implicit rowid (change
  markers, insertion order);
- full-text search is a generated ``tsvector`` column (title weighted A, text B) with a GIN index, instead of an
  FTS5 table kept in step by triggers;
- entity names are unique per entity case-insensitively (``lower(name)``), as SQLite's ``COLLATE NOCASE`` key;
- ``incident_ops.id`` is an identity column that accepts given ids, so a copied ledger keeps its operation ids;
- REAL becomes ``double precision`` (SQLite's REAL is 8 bytes) and BLOB becomes ``bytea``.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "documents, sightings, full-text index, feeds",
        """
        CREATE DOMAIN ctext AS text COLLATE "C";
        CREATE TABLE documents (
            id ctext PRIMARY KEY,
            sha256 ctext NOT NULL UNIQUE,
            url ctext,
            canonical_url ctext,
            title ctext,
            publisher ctext,
            author ctext,
            published ctext,
            fetched ctext,
            language ctext,
            source ctext,
            source_kind ctext NOT NULL DEFAULT 'file',
            text ctext NOT NULL,
            rowid bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
                || setweight(to_tsvector('english'::regconfig, text), 'B')
            ) STORED
        );
        CREATE UNIQUE INDEX documents_canonical_url ON documents(canonical_url) WHERE canonical_url IS NOT NULL;
        CREATE INDEX documents_published ON documents(published);
        CREATE INDEX documents_tsv ON documents USING gin(tsv);
        CREATE TABLE sightings (
            doc_id ctext NOT NULL REFERENCES documents(id),
            locator ctext NOT NULL,
            url ctext,
            seen_at ctext NOT NULL,
            kind ctext NOT NULL,
            rowid bigint GENERATED ALWAYS AS IDENTITY,
            PRIMARY KEY (doc_id, locator)
        );
        CREATE TABLE feeds (
            url ctext PRIMARY KEY,
            title ctext,
            etag ctext,
            modified ctext,
            added ctext NOT NULL,
            last_polled ctext,
            last_status ctext
        );
        CREATE TABLE feed_items (
            feed_url ctext NOT NULL REFERENCES feeds(url),
            guid ctext NOT NULL,
            doc_id ctext,
            seen_at ctext NOT NULL,
            PRIMARY KEY (feed_url, guid)
        );
        """,
    ),
    (
        2,
        "extraction results: entities, indicators, incidents, claims",
        """
        CREATE TABLE extractions (
            doc_id ctext PRIMARY KEY REFERENCES documents(id),
            versions ctext NOT NULL,
            data ctext NOT NULL
        );
        CREATE TABLE entities (
            id ctext PRIMARY KEY,
            type ctext NOT NULL,
            canonical ctext NOT NULL,
            kb_ref ctext,
            country ctext,
            first_seen ctext,
            last_seen ctext
        );
        CREATE INDEX entities_type ON entities(type);
        CREATE INDEX entities_canonical ON entities(lower(canonical));
        CREATE TABLE entity_names (
            entity_id ctext NOT NULL REFERENCES entities(id),
            name ctext NOT NULL
        );
        CREATE UNIQUE INDEX entity_names_key ON entity_names(entity_id, lower(name));
        CREATE INDEX entity_names_name ON entity_names(lower(name));
        CREATE TABLE entity_mentions (
            entity_id ctext NOT NULL REFERENCES entities(id),
            doc_id ctext NOT NULL REFERENCES documents(id),
            start integer NOT NULL,
            "end" integer NOT NULL,
            text ctext NOT NULL,
            PRIMARY KEY (entity_id, doc_id, start)
        );
        CREATE INDEX entity_mentions_doc ON entity_mentions(doc_id);
        CREATE TABLE indicators (
            doc_id ctext NOT NULL REFERENCES documents(id),
            type ctext NOT NULL,
            value ctext NOT NULL,
            start integer NOT NULL,
            "end" integer NOT NULL,
            text ctext NOT NULL,
            benign integer NOT NULL DEFAULT 0,
            benign_reason ctext,
            PRIMARY KEY (doc_id, start, type)
        );
        CREATE INDEX indicators_value ON indicators(value);
        CREATE TABLE incidents (
            id ctext PRIMARY KEY,
            type ctext NOT NULL,
            title ctext NOT NULL,
            victim ctext,
            country ctext,
            sector ctext,
            first_reported ctext,
            last_reported ctext,
            data ctext NOT NULL
        );
        CREATE INDEX incidents_country ON incidents(country);
        CREATE INDEX incidents_first ON incidents(first_reported);
        CREATE TABLE incident_reports (
            report_id ctext PRIMARY KEY,
            incident_id ctext NOT NULL REFERENCES incidents(id),
            doc_id ctext NOT NULL REFERENCES documents(id),
            published ctext,
            data ctext NOT NULL
        );
        CREATE INDEX incident_reports_incident ON incident_reports(incident_id);
        CREATE TABLE claims (
            id ctext PRIMARY KEY,
            incident_id ctext,
            report_id ctext,
            doc_id ctext NOT NULL REFERENCES documents(id),
            stance ctext NOT NULL,
            claimant ctext,
            actor ctext NOT NULL,
            actor_canonical ctext,
            actor_kind ctext,
            made_on ctext,
            data ctext NOT NULL
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
            id ctext PRIMARY KEY,
            name ctext NOT NULL UNIQUE,
            filters ctext NOT NULL,
            webhook_url ctext,
            webhook_secret ctext,
            email ctext,
            created ctext NOT NULL
        );
        CREATE TABLE alerts (
            id ctext PRIMARY KEY,
            watchlist_id ctext NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
            object_type ctext NOT NULL,
            object_id ctext NOT NULL,
            title ctext,
            created ctext NOT NULL,
            data ctext NOT NULL,
            webhook_status ctext,
            email_status ctext,
            attempts integer NOT NULL DEFAULT 0,
            delivered_at ctext,
            UNIQUE (watchlist_id, object_type, object_id)
        );
        CREATE INDEX alerts_created ON alerts(created);
        CREATE TABLE api_tokens (
            id ctext PRIMARY KEY,
            name ctext NOT NULL,
            sha256 ctext NOT NULL UNIQUE,
            created ctext NOT NULL,
            last_used ctext
        );
        """,
    ),
    (
        4,
        "near-duplicate signatures, incident merges and splits",
        """
        ALTER TABLE documents ADD COLUMN near_duplicate_of ctext;
        CREATE TABLE doc_signatures (
            doc_id ctext PRIMARY KEY REFERENCES documents(id),
            signature bytea NOT NULL
        );
        CREATE TABLE doc_bands (
            band_key ctext NOT NULL,
            doc_id ctext NOT NULL REFERENCES documents(id),
            PRIMARY KEY (band_key, doc_id)
        );
        ALTER TABLE incidents ADD COLUMN merged_into ctext;
        CREATE TABLE incident_ops (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            op ctext NOT NULL,
            incident_id ctext NOT NULL,
            other_id ctext,
            report_ids ctext NOT NULL DEFAULT '[]',
            score double precision,
            reasons ctext NOT NULL DEFAULT '[]',
            at ctext NOT NULL,
            undone_at ctext
        );
        CREATE INDEX incident_ops_incident ON incident_ops(incident_id);
        CREATE TABLE incident_keys (
            report_id ctext NOT NULL REFERENCES incident_reports(report_id),
            key ctext NOT NULL,
            PRIMARY KEY (key, report_id)
        );
        """,
    ),
    (
        5,
        "STIX objects imported verbatim",
        """
        CREATE TABLE stix_objects (
            id ctext NOT NULL,
            version ctext NOT NULL,
            type ctext NOT NULL,
            spec_version ctext,
            data ctext NOT NULL,
            source ctext NOT NULL,
            doc_id ctext REFERENCES documents(id),
            imported_at ctext NOT NULL,
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
        # the shared SQL's ORDER BY last_reported DESC, id becomes DESC NULLS LAST, id NULLS FIRST here (SQLite's
        # NULL order); an index walked backwards gives the other NULL placement, so PostgreSQL sorted every match
        """
        DROP INDEX incidents_last;
        CREATE INDEX incidents_last ON incidents(last_reported DESC NULLS LAST, id NULLS FIRST);
        """,
    ),
)
