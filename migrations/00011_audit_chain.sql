-- +goose Up
-- The audit log is evidence, so it is append-only and chained. everymeter_app (migration 00010) keeps INSERT and
-- SELECT on audit_log and loses UPDATE, DELETE and TRUNCATE. Every row, however it is inserted (the service, the
-- report_events trigger of 00009, a later migration), is chained when its transaction commits by a trigger that
-- runs as the owner: it takes the next sequence number and hash = sha256(previous hash ‖ the entry's fields), so
-- changing or removing a row breaks the chain there, and `everymeter audit verify` recomputes it in Go and names
-- the first broken entry. The chain head (last seq and hash) is one row that the trigger locks: concurrent
-- transactions append one after another, so the chain never forks. A removed tail shows as a head no row reaches.
-- Whatever a client puts in seq, prev_hash or hash is overwritten.
ALTER TABLE audit_log
    ADD COLUMN seq       bigint UNIQUE,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash      bytea;

CREATE TABLE audit_chain (
    id   int PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL,
    hash bytea NOT NULL
);

-- audit_message is what an entry's hash covers: each field as <byte length>:<text>, so no two different entries
-- give the same bytes. The Go verifier builds the same bytes independently (service/audit.go).
-- +goose StatementBegin
CREATE FUNCTION audit_message(seq bigint, at timestamptz, actor_id bigint, actor text, action text, entity text,
    entity_id text, before jsonb, after jsonb) RETURNS bytea LANGUAGE sql STABLE
    SET search_path = pg_catalog AS $$
    SELECT convert_to(string_agg(octet_length(convert_to(f, 'UTF8'))::text || ':' || f, '' ORDER BY i), 'UTF8')
    FROM unnest(ARRAY[seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(actor_id::text, ''), actor, action, entity, entity_id,
        coalesce(before::text, ''), coalesce(after::text, '')]) WITH ORDINALITY AS t(f, i)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_chain_append() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
DECLARE
    head audit_chain%ROWTYPE;
    h bytea;
BEGIN
    SELECT * INTO head FROM audit_chain WHERE id = 1 FOR UPDATE;
    h := sha256(head.hash || audit_message(head.seq + 1, NEW.at, NEW.actor_id, NEW.actor, NEW.action, NEW.entity,
        NEW.entity_id, NEW.before, NEW.after));
    UPDATE audit_log SET seq = head.seq + 1, prev_hash = head.hash, hash = h WHERE id = NEW.id;
    UPDATE audit_chain SET seq = head.seq + 1, hash = h WHERE id = 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION audit_chain_append() FROM PUBLIC;

-- Chain what is already there, in the order it was written; the genesis hash is 32 zero bytes.
-- +goose StatementBegin
DO $$
DECLARE
    r audit_log%ROWTYPE;
    n bigint := 0;
    h bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        UPDATE audit_log SET seq = n, prev_hash = h,
            hash = sha256(h || audit_message(n, r.at, r.actor_id, r.actor, r.action, r.entity, r.entity_id, r.before, r.after))
        WHERE id = r.id RETURNING hash INTO h;
    END LOOP;
    INSERT INTO audit_chain (id, seq, hash) VALUES (1, n, h);
END
$$;
-- +goose StatementEnd

-- Deferred to commit: the head is locked only while the transaction commits, never while it goes on to take
-- other locks (which could deadlock against a transaction that holds those and waits to append).
CREATE CONSTRAINT TRIGGER audit_log_chain AFTER INSERT ON audit_log DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_chain_append();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM everymeter_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain FROM everymeter_app;
GRANT SELECT ON audit_log, audit_chain TO everymeter_app;
GRANT INSERT ON audit_log TO everymeter_app;

-- +goose Down
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_chain_append();
DROP FUNCTION audit_message(bigint, timestamptz, bigint, text, text, text, text, jsonb, jsonb);
DROP TABLE audit_chain;
ALTER TABLE audit_log DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash;
GRANT UPDATE, DELETE ON audit_log TO everymeter_app;
