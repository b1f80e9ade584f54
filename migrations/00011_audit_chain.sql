-- +goose Up
-- The audit log is evidence, so it is append-only and chained. everymeter_app (migration 00010) keeps INSERT and
-- SELECT on audit_log and loses UPDATE, DELETE and TRUNCATE. Rows are inserted as before (by the service, by the
-- report_events trigger of 00009, by later migrations) and sealed soon after they commit by audit_seal(), which
-- runs as the owner: in the order they are found it gives each the next sequence number and
-- hash = sha256(previous hash ‖ the entry's fields), so changing or removing a sealed row breaks the chain there,
-- and `everymeter audit verify` recomputes it in Go and names the first broken entry. The server seals every
-- second, and verify seals before it checks. The chain head (last seq and hash) is one row that audit_seal locks,
-- so two sealers never fork the chain; a removed tail shows as a head that no row reaches.
--
-- Why not chain inside the insert: the next hash needs the previous one, so every writing transaction would wait,
-- holding the head, for the one before to commit — and commit includes the WAL flush. Measured with `everymeter
-- bench reports` (16 clients): filing fell from about 195 to 81 reports/s. Sealing after commit keeps writers
-- independent; an unsealed row is no weaker for the server, which cannot UPDATE or DELETE it either.
ALTER TABLE audit_log
    ADD COLUMN seq       bigint UNIQUE,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash      bytea;
-- What audit_seal has still to do, found without reading the whole log.
CREATE INDEX audit_log_unsealed_idx ON audit_log (id) WHERE seq IS NULL;

CREATE TABLE audit_chain (
    id   int PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL,
    hash bytea NOT NULL
);

-- audit_message is what an entry's hash covers: each field as <byte length>:<text>, so no two different entries
-- give the same bytes. The Go verifier builds the same bytes independently (service/audit.go). PL/pgSQL, whose
-- expressions are planned once per session; only pg_catalog functions are called, and pg_catalog is always
-- searched first, so no search_path is needed.
-- +goose StatementBegin
CREATE FUNCTION audit_message(seq bigint, at timestamptz, actor_id bigint, actor text, action text, entity text,
    entity_id text, before jsonb, after jsonb) RETURNS bytea LANGUAGE plpgsql STABLE AS $$
DECLARE
    m text := '';
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[seq::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(actor_id::text, ''), actor, action, entity, entity_id, coalesce(before::text, ''), coalesce(after::text, '')]
    LOOP
        m := m || octet_length(convert_to(f, 'UTF8'))::text || ':' || f;
    END LOOP;
    RETURN convert_to(m, 'UTF8');
END
$$;
-- +goose StatementEnd

-- audit_seal chains up to 10000 unsealed rows in id order and returns how many it sealed.
-- +goose StatementBegin
CREATE FUNCTION audit_seal() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
DECLARE
    head audit_chain%ROWTYPE;
    r    record;
    n    bigint := 0;
    prev bytea;
    h    bytea;
BEGIN
    SELECT * INTO head FROM audit_chain WHERE id = 1 FOR UPDATE;
    h := head.hash;
    FOR r IN SELECT id, at, actor_id, actor, action, entity, entity_id, before, after FROM audit_log
            WHERE seq IS NULL ORDER BY id LIMIT 10000 LOOP
        n := n + 1;
        prev := h;
        h := sha256(prev || audit_message(head.seq + n, r.at, r.actor_id, r.actor, r.action, r.entity, r.entity_id,
            r.before, r.after));
        UPDATE audit_log SET seq = head.seq + n, prev_hash = prev, hash = h WHERE id = r.id;
    END LOOP;
    IF n > 0 THEN
        UPDATE audit_chain SET seq = head.seq + n, hash = h WHERE id = 1;
    END IF;
    RETURN n;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION audit_seal() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_seal() TO everymeter_app;

-- The genesis hash is 32 zero bytes; what is already in the log is sealed now, in the order it was written.
INSERT INTO audit_chain (id, seq, hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');
-- +goose StatementBegin
DO $$
BEGIN
    WHILE audit_seal() > 0 LOOP
    END LOOP;
END
$$;
-- +goose StatementEnd

-- Only audit_seal fills the chain's columns: an insert that brings its own seq could take a number the sealer
-- needs next and stop all sealing on the unique index.
-- +goose StatementBegin
CREATE FUNCTION audit_unsealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.seq := NULL;
    NEW.prev_hash := NULL;
    NEW.hash := NULL;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_unsealed BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_unsealed();

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM everymeter_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain FROM everymeter_app;
GRANT SELECT ON audit_log, audit_chain TO everymeter_app;
GRANT INSERT ON audit_log TO everymeter_app;

-- +goose Down
DROP TRIGGER audit_log_unsealed ON audit_log;
DROP FUNCTION audit_unsealed();
DROP FUNCTION audit_seal();
DROP FUNCTION audit_message(bigint, timestamptz, bigint, text, text, text, text, jsonb, jsonb);
DROP TABLE audit_chain;
DROP INDEX audit_log_unsealed_idx;
ALTER TABLE audit_log DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash;
GRANT UPDATE, DELETE ON audit_log TO everymeter_app;
