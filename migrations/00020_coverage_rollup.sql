-- +goose Up
-- The coverage summary (GET /api/v1/coverage) summed every stored piece on each call: 18.8 s at a province's
-- 1.2 million pieces. coverage_rollup holds the same sums as deltas, written by triggers in the statement that
-- changes a piece, a support stretch or an asset — the same unit of work, so the roll-up is exact whenever the
-- pieces are — and the summary adds up a few rows per kind and per unit instead.
--
-- Deltas rather than one row per kind or unit: every zone edit changes the "road" totals, and one row would make
-- each writer wait, holding it, for the previous writer's commit. Rows are only ever inserted by writers;
-- coverage_rollup_compact() replaces them by their sums now and then (store.CoverageRollupCompact).
--
-- Row meanings: source 'asset' (kind, total_m = sum of length_m), 'piece' with kind (covered_m = pieces that
-- are not gaps, overlap_m) or with unit_id (lead_m = pieces naming the unit, overlap_m), 'support' with unit_id
-- (support_m).
CREATE TABLE coverage_rollup (
    source    text NOT NULL CHECK (source IN ('asset', 'piece', 'support')),
    kind      text,
    unit_id   bigint,
    total_m   double precision NOT NULL DEFAULT 0,
    covered_m double precision NOT NULL DEFAULT 0,
    overlap_m double precision NOT NULL DEFAULT 0,
    lead_m    double precision NOT NULL DEFAULT 0,
    support_m double precision NOT NULL DEFAULT 0,
    CHECK ((kind IS NULL) <> (unit_id IS NULL))
);

-- +goose StatementBegin
-- The pieces' sums, by the kind of their asset and by the units they name, signed (+1 new rows, -1 old rows).
-- The kind is a scalar subquery per row, an index probe: a join with the transition table (of unknown size)
-- is planned as a hash join over every asset, which at a province's million made each zone edit 100 ms slower.
CREATE FUNCTION coverage_rollup_pieces() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO coverage_rollup (source, kind, covered_m, overlap_m)
        SELECT 'piece', x.kind, -coalesce(sum(x.len) FILTER (WHERE x.status <> 'gap'), 0),
            -coalesce(sum(x.len) FILTER (WHERE x.status = 'overlap'), 0)
        FROM (SELECT (SELECT a.kind FROM assets a WHERE a.id = o.asset_id) AS kind, o.to_m - o.from_m AS len, o.status
            FROM old_rows o) x GROUP BY x.kind;
        INSERT INTO coverage_rollup (source, unit_id, lead_m, overlap_m)
        SELECT 'piece', u, -sum(o.to_m - o.from_m), -coalesce(sum(o.to_m - o.from_m) FILTER (WHERE o.status = 'overlap'), 0)
        FROM old_rows o, unnest(o.unit_ids) u GROUP BY u;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO coverage_rollup (source, kind, covered_m, overlap_m)
        SELECT 'piece', x.kind, coalesce(sum(x.len) FILTER (WHERE x.status <> 'gap'), 0),
            coalesce(sum(x.len) FILTER (WHERE x.status = 'overlap'), 0)
        FROM (SELECT (SELECT a.kind FROM assets a WHERE a.id = n.asset_id) AS kind, n.to_m - n.from_m AS len, n.status
            FROM new_rows n) x GROUP BY x.kind;
        INSERT INTO coverage_rollup (source, unit_id, lead_m, overlap_m)
        SELECT 'piece', u, sum(n.to_m - n.from_m), coalesce(sum(n.to_m - n.from_m) FILTER (WHERE n.status = 'overlap'), 0)
        FROM new_rows n, unnest(n.unit_ids) u GROUP BY u;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION coverage_rollup_support() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO coverage_rollup (source, unit_id, support_m)
        SELECT 'support', o.unit_id, -sum(o.to_m - o.from_m) FROM old_rows o GROUP BY o.unit_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO coverage_rollup (source, unit_id, support_m)
        SELECT 'support', n.unit_id, sum(n.to_m - n.from_m) FROM new_rows n GROUP BY n.unit_id;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Assets: their length by kind; an asset whose kind changes takes its pieces' sums along to the new kind.
CREATE FUNCTION coverage_rollup_assets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO coverage_rollup (source, kind, total_m)
        SELECT 'asset', o.kind, -sum(o.length_m) FROM old_rows o GROUP BY o.kind;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO coverage_rollup (source, kind, total_m)
        SELECT 'asset', n.kind, sum(n.length_m) FROM new_rows n GROUP BY n.kind;
    END IF;
    -- Only when a kind changed; the pieces are summed per changed asset (an aggregate in LATERAL, so read through
    -- their asset_id index rather than joined whole).
    -- (Two IFs: an INSERT or DELETE trigger has no old_rows or new_rows to name.)
    IF TG_OP <> 'UPDATE' THEN
        RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.kind <> o.kind) THEN
        INSERT INTO coverage_rollup (source, kind, covered_m, overlap_m)
        SELECT 'piece', k.kind, k.sign * sum(c.covered), k.sign * sum(c.overlap)
        FROM old_rows o JOIN new_rows n ON n.id = o.id AND n.kind <> o.kind
            CROSS JOIN LATERAL (SELECT coalesce(sum(p.to_m - p.from_m) FILTER (WHERE p.status <> 'gap'), 0) AS covered,
                coalesce(sum(p.to_m - p.from_m) FILTER (WHERE p.status = 'overlap'), 0) AS overlap
                FROM coverage_pieces p WHERE p.asset_id = o.id) c
            CROSS JOIN LATERAL (VALUES (o.kind, -1.0), (n.kind, 1.0)) k(kind, sign)
        GROUP BY k.kind, k.sign;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- An asset's pieces go before the asset itself (rather than by the cascade after it), so that the pieces'
-- trigger still finds the asset's kind.
CREATE FUNCTION coverage_rollup_asset_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM coverage_pieces WHERE asset_id = OLD.id;
    RETURN OLD;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- TRUNCATE (the full recompute) empties the pieces or the support: their deltas go with them. The lock keeps a
-- compaction in flight from putting back the sums of what is being truncated.
CREATE FUNCTION coverage_rollup_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE coverage_rollup IN EXCLUSIVE MODE;
    DELETE FROM coverage_rollup WHERE source = TG_ARGV[0];
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Replaces the deltas by one row per source, kind and unit. Exclusive (writers wait the few milliseconds it
-- takes), so two compactions or a compaction and a TRUNCATE never count a delta twice or keep a truncated one.
CREATE FUNCTION coverage_rollup_compact() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    LOCK TABLE coverage_rollup IN EXCLUSIVE MODE;
    WITH d AS (DELETE FROM coverage_rollup RETURNING *)
    INSERT INTO coverage_rollup (source, kind, unit_id, total_m, covered_m, overlap_m, lead_m, support_m)
    SELECT source, kind, unit_id, sum(total_m), sum(covered_m), sum(overlap_m), sum(lead_m), sum(support_m)
    FROM d GROUP BY source, kind, unit_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
-- +goose StatementEnd

CREATE TRIGGER coverage_pieces_rollup_ins AFTER INSERT ON coverage_pieces
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_pieces();
CREATE TRIGGER coverage_pieces_rollup_upd AFTER UPDATE ON coverage_pieces
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_pieces();
CREATE TRIGGER coverage_pieces_rollup_del AFTER DELETE ON coverage_pieces
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_pieces();
CREATE TRIGGER coverage_pieces_rollup_trunc AFTER TRUNCATE ON coverage_pieces
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_truncated('piece');
CREATE TRIGGER coverage_support_rollup_ins AFTER INSERT ON coverage_support
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_support();
CREATE TRIGGER coverage_support_rollup_upd AFTER UPDATE ON coverage_support
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_support();
CREATE TRIGGER coverage_support_rollup_del AFTER DELETE ON coverage_support
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_support();
CREATE TRIGGER coverage_support_rollup_trunc AFTER TRUNCATE ON coverage_support
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_truncated('support');
CREATE TRIGGER assets_rollup_ins AFTER INSERT ON assets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_assets();
CREATE TRIGGER assets_rollup_upd AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_assets();
CREATE TRIGGER assets_rollup_del AFTER DELETE ON assets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_assets();
CREATE TRIGGER assets_rollup_gone BEFORE DELETE ON assets
    FOR EACH ROW EXECUTE FUNCTION coverage_rollup_asset_gone();

-- What is there already.
INSERT INTO coverage_rollup (source, kind, total_m) SELECT 'asset', kind, sum(length_m) FROM assets GROUP BY kind;
INSERT INTO coverage_rollup (source, kind, covered_m, overlap_m)
SELECT 'piece', a.kind, coalesce(sum(p.to_m - p.from_m) FILTER (WHERE p.status <> 'gap'), 0),
    coalesce(sum(p.to_m - p.from_m) FILTER (WHERE p.status = 'overlap'), 0)
FROM coverage_pieces p JOIN assets a ON a.id = p.asset_id GROUP BY a.kind;
INSERT INTO coverage_rollup (source, unit_id, lead_m, overlap_m)
SELECT 'piece', u, sum(p.to_m - p.from_m), coalesce(sum(p.to_m - p.from_m) FILTER (WHERE p.status = 'overlap'), 0)
FROM coverage_pieces p, unnest(p.unit_ids) u GROUP BY u;
INSERT INTO coverage_rollup (source, unit_id, support_m) SELECT 'support', unit_id, sum(to_m - from_m) FROM coverage_support GROUP BY unit_id;

GRANT SELECT, INSERT, DELETE ON coverage_rollup TO everymeter_app;
GRANT EXECUTE ON FUNCTION coverage_rollup_compact() TO everymeter_app;

-- +goose Down
DROP TRIGGER assets_rollup_gone ON assets;
DROP TRIGGER assets_rollup_del ON assets;
DROP TRIGGER assets_rollup_upd ON assets;
DROP TRIGGER assets_rollup_ins ON assets;
DROP TRIGGER coverage_support_rollup_trunc ON coverage_support;
DROP TRIGGER coverage_support_rollup_del ON coverage_support;
DROP TRIGGER coverage_support_rollup_upd ON coverage_support;
DROP TRIGGER coverage_support_rollup_ins ON coverage_support;
DROP TRIGGER coverage_pieces_rollup_trunc ON coverage_pieces;
DROP TRIGGER coverage_pieces_rollup_del ON coverage_pieces;
DROP TRIGGER coverage_pieces_rollup_upd ON coverage_pieces;
DROP TRIGGER coverage_pieces_rollup_ins ON coverage_pieces;
DROP FUNCTION coverage_rollup_compact(), coverage_rollup_truncated(), coverage_rollup_asset_gone(),
    coverage_rollup_assets(), coverage_rollup_support(), coverage_rollup_pieces();
DROP TABLE coverage_rollup;
