-- +goose Up
-- Report filing at 1 M stored (issue 4: ≥ 500 reports/s, p99 < 100 ms on two cores).
--
-- 1. The duplicate search (open reports of the same category within 50 m over the last 7 days) reads one partial
--    GiST index on (category_code, geom) over the open reports only, so its cost follows the open reports near the
--    pin, never the closed history or the whole status index. btree_gist lets a GiST index carry the text column.
--    The predicate must stay the status list that store.NearbyOpenReports writes out (store.OpenStatuses).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX reports_open_dup_idx ON reports USING gist (category_code, geom)
    WHERE status IN ('reported', 'dispatched', 'accepted', 'resolved', 'rework', 'returned');

-- 2. The heat trigger of migration 00006, same cells, same sums, cheaper per statement: its SQL is static here, so
--    PL/pgSQL plans it once per connection instead of once per statement (EXECUTE planned a 25-line query for every
--    single-row INSERT of a filing), and the point is projected inline: heat_merc() is a STRICT SQL function whose
--    body (greatest/least) is not strict, so PostgreSQL never inlines it and runs it as a query of its own per call.
--    The expression below is heat_merc's body verbatim, so every point falls in the same cell as before and as in
--    heat_merc-based reads. heat_delta_sql and heat_rebuild (bulk, rare) are unchanged.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION heat_apply() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $f$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH d AS (SELECT 1 AS sign, geom, category_code, unit_id, status, urgency, created_at, closed_at FROM heat_new),
        p AS MATERIALIZED (SELECT d.sign, d.category_code, COALESCE(d.unit_id, 0) AS unit_id, d.status, d.urgency,
                (d.created_at AT TIME ZONE 'UTC')::date AS day,
                extract(epoch FROM d.created_at) / 86400.0 AS cdays,
                CASE WHEN d.status IN ('closed', 'voided', 'duplicate') AND d.closed_at IS NOT NULL
                     THEN extract(epoch FROM d.closed_at - d.created_at) / 86400.0 ELSE 0 END AS adays,
                ST_X(m.m) AS mx, ST_Y(m.m) AS my
              FROM d, LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(d.geom),
                  greatest(-85.0511287798, least(85.0511287798, ST_Y(d.geom)))), 4326), 3857)) AS m(m)),
        c AS (SELECT l.k, floor(p.mx / power(2, l.k))::int AS cx, floor(p.my / power(2, l.k))::int AS cy, p.*
              FROM p CROSS JOIN unnest('{7,9,11,13}'::int[]) AS l(k)),
        a AS (INSERT INTO heat_cells AS h (level, cx, cy, category_code, unit_id, status, urgency, n, created_days, closed_age_days)
              SELECT k, cx, cy, category_code, unit_id, status, urgency, sum(sign), sum(sign * cdays), sum(sign * adays)
              FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
              ON CONFLICT (level, cx, cy, category_code, unit_id, status, urgency) DO UPDATE
              SET n = h.n + EXCLUDED.n, created_days = h.created_days + EXCLUDED.created_days,
                  closed_age_days = h.closed_age_days + EXCLUDED.closed_age_days)
        INSERT INTO heat_cells_daily AS h (level, day, cx, cy, category_code, unit_id, status, urgency, n, created_days, closed_age_days)
        SELECT k, day, cx, cy, category_code, unit_id, status, urgency, sum(sign), sum(sign * cdays), sum(sign * adays)
        FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (level, day, cx, cy, category_code, unit_id, status, urgency) DO UPDATE
        SET n = h.n + EXCLUDED.n, created_days = h.created_days + EXCLUDED.created_days,
            closed_age_days = h.closed_age_days + EXCLUDED.closed_age_days;
    ELSIF TG_OP = 'DELETE' THEN
        WITH d AS (SELECT -1 AS sign, geom, category_code, unit_id, status, urgency, created_at, closed_at FROM heat_old),
        p AS MATERIALIZED (SELECT d.sign, d.category_code, COALESCE(d.unit_id, 0) AS unit_id, d.status, d.urgency,
                (d.created_at AT TIME ZONE 'UTC')::date AS day,
                extract(epoch FROM d.created_at) / 86400.0 AS cdays,
                CASE WHEN d.status IN ('closed', 'voided', 'duplicate') AND d.closed_at IS NOT NULL
                     THEN extract(epoch FROM d.closed_at - d.created_at) / 86400.0 ELSE 0 END AS adays,
                ST_X(m.m) AS mx, ST_Y(m.m) AS my
              FROM d, LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(d.geom),
                  greatest(-85.0511287798, least(85.0511287798, ST_Y(d.geom)))), 4326), 3857)) AS m(m)),
        c AS (SELECT l.k, floor(p.mx / power(2, l.k))::int AS cx, floor(p.my / power(2, l.k))::int AS cy, p.*
              FROM p CROSS JOIN unnest('{7,9,11,13}'::int[]) AS l(k)),
        a AS (INSERT INTO heat_cells AS h (level, cx, cy, category_code, unit_id, status, urgency, n, created_days, closed_age_days)
              SELECT k, cx, cy, category_code, unit_id, status, urgency, sum(sign), sum(sign * cdays), sum(sign * adays)
              FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
              ON CONFLICT (level, cx, cy, category_code, unit_id, status, urgency) DO UPDATE
              SET n = h.n + EXCLUDED.n, created_days = h.created_days + EXCLUDED.created_days,
                  closed_age_days = h.closed_age_days + EXCLUDED.closed_age_days)
        INSERT INTO heat_cells_daily AS h (level, day, cx, cy, category_code, unit_id, status, urgency, n, created_days, closed_age_days)
        SELECT k, day, cx, cy, category_code, unit_id, status, urgency, sum(sign), sum(sign * cdays), sum(sign * adays)
        FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (level, day, cx, cy, category_code, unit_id, status, urgency) DO UPDATE
        SET n = h.n + EXCLUDED.n, created_days = h.created_days + EXCLUDED.created_days,
            closed_age_days = h.closed_age_days + EXCLUDED.closed_age_days;
    ELSE
        -- An UPDATE only moves the rows whose counted columns changed (a note or a photo costs nothing).
        WITH ch AS (SELECT o.geom AS ogeom, o.category_code AS ocat, o.unit_id AS ounit, o.status AS ostatus,
                    o.urgency AS ourg, o.created_at AS ocreated, o.closed_at AS oclosed, n.geom, n.category_code,
                    n.unit_id, n.status, n.urgency, n.created_at, n.closed_at
                FROM heat_old o JOIN heat_new n ON n.id = o.id
                WHERE (o.geom, o.category_code, o.unit_id, o.status, o.urgency, o.created_at, o.closed_at)
                    IS DISTINCT FROM (n.geom, n.category_code, n.unit_id, n.status, n.urgency, n.created_at, n.closed_at)),
        d AS (SELECT -1 AS sign, ogeom AS geom, ocat AS category_code, ounit AS unit_id, ostatus AS status, ourg AS urgency,
                    ocreated AS created_at, oclosed AS closed_at FROM ch
              UNION ALL
              SELECT 1, geom, category_code, unit_id, status, urgency, created_at, closed_at FROM ch),
        p AS MATERIALIZED (SELECT d.sign, d.category_code, COALESCE(d.unit_id, 0) AS unit_id, d.status, d.urgency,
                (d.created_at AT TIME ZONE 'UTC')::date AS day,
                extract(epoch FROM d.created_at) / 86400.0 AS cdays,
                CASE WHEN d.status IN ('closed', 'voided', 'duplicate') AND d.closed_at IS NOT NULL
                     THEN extract(epoch FROM d.closed_at - d.created_at) / 86400.0 ELSE 0 END AS adays,
                ST_X(m.m) AS mx, ST_Y(m.m) AS my
              FROM d, LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(d.geom),
                  greatest(-85.0511287798, least(85.0511287798, ST_Y(d.geom)))), 4326), 3857)) AS m(m)),
        c AS (SELECT l.k, floor(p.mx / power(2, l.k))::int AS cx, floor(p.my / power(2, l.k))::int AS cy, p.*
              FROM p CROSS JOIN unnest('{7,9,11,13}'::int[]) AS l(k)),
        a AS (INSERT INTO heat_cells AS h (level, cx, cy, category_code, unit_id, status, urgency, n, created_days, closed_age_days)
              SELECT k, cx, cy, category_code, unit_id, status, urgency, sum(sign), sum(sign * cdays), sum(sign * adays)
              FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
              ON CONFLICT (level, cx, cy, category_code, unit_id, status, urgency) DO UPDATE
              SET n = h.n + EXCLUDED.n, created_days = h.created_days + EXCLUDED.created_days,
                  closed_age_days = h.closed_age_days + EXCLUDED.closed_age_days)
        INSERT INTO heat_cells_daily AS h (level, day, cx, cy, category_code, unit_id, status, urgency, n, created_days, closed_age_days)
        SELECT k, day, cx, cy, category_code, unit_id, status, urgency, sum(sign), sum(sign * cdays), sum(sign * adays)
        FROM c GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (level, day, cx, cy, category_code, unit_id, status, urgency) DO UPDATE
        SET n = h.n + EXCLUDED.n, created_days = h.created_days + EXCLUDED.created_days,
            closed_age_days = h.closed_age_days + EXCLUDED.closed_age_days;
    END IF;
    RETURN NULL;
END
$f$;
-- +goose StatementEnd

-- +goose Down
-- The trigger function of migration 00006, as it was.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION heat_apply() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $f$
DECLARE
    cols constant text := 'geom, category_code, unit_id, status, urgency, created_at, closed_at';
    changed constant text := '(o.geom, o.category_code, o.unit_id, o.status, o.urgency, o.created_at, o.closed_at)
        IS DISTINCT FROM (n.geom, n.category_code, n.unit_id, n.status, n.urgency, n.created_at, n.closed_at)';
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE heat_delta_sql('SELECT 1 AS sign, ' || cols || ' FROM heat_new');
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE heat_delta_sql('SELECT -1 AS sign, ' || cols || ' FROM heat_old');
    ELSE
        EXECUTE heat_delta_sql(
            'SELECT -1 AS sign, o.geom, o.category_code, o.unit_id, o.status, o.urgency, o.created_at, o.closed_at
               FROM heat_old o JOIN heat_new n ON n.id = o.id WHERE ' || changed || '
             UNION ALL
             SELECT 1, n.geom, n.category_code, n.unit_id, n.status, n.urgency, n.created_at, n.closed_at
               FROM heat_old o JOIN heat_new n ON n.id = o.id WHERE ' || changed);
    END IF;
    RETURN NULL;
END
$f$;
-- +goose StatementEnd
DROP INDEX IF EXISTS reports_open_dup_idx;
