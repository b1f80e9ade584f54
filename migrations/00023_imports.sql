-- +goose Up
-- Zones and units from a county's own files (issue 17). zone_sources remembers which feature of which file a zone
-- came from, so importing the same file again finds the zone it made and changes nothing; zones themselves stay as
-- they are (a zone drawn in the app has no source). pending_imports holds a file uploaded in the web app between
-- its preview and its confirmation: the file's bytes (applied on confirmation exactly as the CLI would), the
-- options it was read with and the preview shown, until it expires.
CREATE TABLE zone_sources (
    zone_id   bigint PRIMARY KEY REFERENCES zones (id) ON DELETE CASCADE,
    source    text NOT NULL,
    source_id text NOT NULL,
    UNIQUE (source, source_id)
);

CREATE TABLE pending_imports (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('zone', 'unit')),
    file_name  text NOT NULL,
    options    jsonb NOT NULL,
    data       bytea NOT NULL,
    summary    jsonb NOT NULL,
    preview    jsonb NOT NULL,
    created_by bigint REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX pending_imports_expires_idx ON pending_imports (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON zone_sources, pending_imports TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE pending_imports_id_seq TO everymeter_app;

-- +goose Down
DROP TABLE pending_imports, zone_sources;
