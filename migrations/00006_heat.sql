-- +goose Up
-- Heat map pre-aggregation (issue 6). A heat-map request must cost in proportion to the cells it shows, not to
-- the reports stored, so every report is counted, as it is written, into square cells of a few fixed grids:
--
--   level k (one of 7, 9, 11, 13) = square cells of 2^k Web-Mercator meters (128 m, 512 m, 2 km, 8 km at the
--   equator; about 0.83× that on the ground in Los Angeles), cx = floor(x / 2^k), cy = floor(y / 2^k) with
--   (x, y) = heat_merc(geom), the point in EPSG:3857 with latitude clamped to Mercator's ±85.05113°.
--
-- heat_cells keeps, per cell and per (category, unit, status, urgency), the number of reports n and two sums that
-- make the age weight linear: created_days = Σ created_at in days since 1970 (so the age of the open ones at any
-- time t is n·t − created_days) and closed_age_days = Σ (closed_at − created_at) in days of the finished ones.
-- heat_cells_daily is the same keyed also by the UTC day of created_at, for requests bounded by since/until
-- (their cost grows with cells × days in the range, still not with reports). unit_id 0 means "no unit yet".
--
-- The tables are kept current by statement-level triggers on reports with transition tables: one INSERT,
-- UPDATE or DELETE statement, however many rows it touches, becomes two grouped upserts (old rows counted −1,
-- new rows +1), so a bulk import of a million rows is a few set operations, not a million row triggers, and a
-- single workflow transition touches 2 × 4 × 2 rows. Rows whose count falls to zero stay (their number is
-- bounded by the key space, not by the reports) and are filtered out when read. Why a trigger and not the
-- application: every writer (the workflow, imports, SQL by hand, the benchmark generator) keeps the cells right.
CREATE FUNCTION heat_merc(g geometry) RETURNS geometry LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$ SELECT ST_Transform(ST_SetSRID(ST_MakePoint(ST_X(g), greatest(-85.0511287798, least(85.0511287798, ST_Y(g)))), 4326), 3857) $$;

CREATE TABLE heat_cells (
    level           smallint NOT NULL,
    cx              integer NOT NULL,
    cy              integer NOT NULL,
    category_code   text NOT NULL,
    unit_id         bigint NOT NULL,
    status          text NOT NULL,
    urgency         text NOT NULL,
    n               integer NOT NULL,
    created_days    double precision NOT NULL,
    closed_age_days double precision NOT NULL,
    PRIMARY KEY (level, cx, cy, category_code, unit_id, status, urgency)
);

CREATE TABLE heat_cells_daily (
    level           smallint NOT NULL,
    day             date NOT NULL,
    cx              integer NOT NULL,
    cy              integer NOT NULL,
    category_code   text NOT NULL,
    unit_id         bigint NOT NULL,
    status          text NOT NULL,
    urgency         text NOT NULL,
    n               integer NOT NULL,
    created_days    double precision NOT NULL,
    closed_age_days double precision NOT NULL,
    PRIMARY KEY (level, day, cx, cy, category_code, unit_id, status, urgency)
);

-- heat_delta_sql returns the statement that adds the rows of src (columns sign, geom, category_code, unit_id,
-- status, urgency, created_at, closed_at) to both tables. The levels here and store.HeatLevels must agree.
-- +goose StatementBegin
CREATE FUNCTION heat_delta_sql(src text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
SELECT 'WITH d AS (' || src || $q$),
p AS MATERIALIZED (SELECT d.sign, d.category_code, COALESCE(d.unit_id, 0) AS unit_id, d.status, d.urgency,
        (d.created_at AT TIME ZONE 'UTC')::date AS day,
        extract(epoch FROM d.created_at) / 86400.0 AS cdays,
        CASE WHEN d.status IN ('closed', 'voided', 'duplicate') AND d.closed_at IS NOT NULL
             THEN extract(epoch FROM d.closed_at - d.created_at) / 86400.0 ELSE 0 END AS adays,
        ST_X(m.m) AS mx, ST_Y(m.m) AS my
      FROM d, LATERAL heat_merc(d.geom) AS m(m)),
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
    closed_age_days = h.closed_age_days + EXCLUDED.closed_age_days$q$
$f$;
-- +goose StatementEnd

-- heat_apply is the statement trigger; the transition tables heat_old/heat_new are visible to EXECUTE.
-- An UPDATE only moves the rows whose counted columns changed (a note or a photo costs nothing).
-- +goose StatementBegin
CREATE FUNCTION heat_apply() RETURNS trigger LANGUAGE plpgsql SET work_mem = '64MB' AS $f$
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

-- +goose StatementBegin
CREATE FUNCTION heat_truncate() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    TRUNCATE heat_cells, heat_cells_daily;
    RETURN NULL;
END
$f$;
-- +goose StatementEnd

-- heat_rebuild recounts every cell from the reports (after a restore, or to prove the triggers right).
-- +goose StatementBegin
CREATE FUNCTION heat_rebuild() RETURNS void LANGUAGE plpgsql SET work_mem = '256MB' AS $f$
BEGIN
    TRUNCATE heat_cells, heat_cells_daily;
    EXECUTE heat_delta_sql('SELECT 1 AS sign, geom, category_code, unit_id, status, urgency, created_at, closed_at FROM reports');
END
$f$;
-- +goose StatementEnd

CREATE TRIGGER reports_heat_insert AFTER INSERT ON reports REFERENCING NEW TABLE AS heat_new
    FOR EACH STATEMENT EXECUTE FUNCTION heat_apply();
CREATE TRIGGER reports_heat_update AFTER UPDATE ON reports REFERENCING OLD TABLE AS heat_old NEW TABLE AS heat_new
    FOR EACH STATEMENT EXECUTE FUNCTION heat_apply();
CREATE TRIGGER reports_heat_delete AFTER DELETE ON reports REFERENCING OLD TABLE AS heat_old
    FOR EACH STATEMENT EXECUTE FUNCTION heat_apply();
CREATE TRIGGER reports_heat_truncate AFTER TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION heat_truncate();

SELECT heat_rebuild();

-- The catch-all category for imported reports that fit none of the seed set (LA 311's Feedback, Other, Report
-- Water Waste): see package importer311.
INSERT INTO categories (code, name_zh, name_en, grp, type, default_unit_code, time_limit_hours, urgent_time_limit_hours, sort)
VALUES ('QT-01', '其他', 'Other', '其他', 'event', 'CGZ', 72, 24, 901) ON CONFLICT (code) DO NOTHING;

-- Statistics read reports by unit and period, and by reporter; hotspots by asset.
CREATE INDEX reports_unit_created_idx ON reports (unit_id, created_at);
CREATE INDEX reports_asset_idx ON reports (asset_id, measure_m) WHERE asset_id IS NOT NULL;

-- +goose Down
DROP INDEX IF EXISTS reports_asset_idx;
DROP INDEX IF EXISTS reports_unit_created_idx;
DROP TRIGGER IF EXISTS reports_heat_truncate ON reports;
DROP TRIGGER IF EXISTS reports_heat_delete ON reports;
DROP TRIGGER IF EXISTS reports_heat_update ON reports;
DROP TRIGGER IF EXISTS reports_heat_insert ON reports;
DROP FUNCTION IF EXISTS heat_rebuild(), heat_truncate(), heat_apply(), heat_delta_sql(text), heat_merc(geometry);
DROP TABLE IF EXISTS heat_cells_daily, heat_cells;
DELETE FROM categories c WHERE c.code = 'QT-01' AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.category_code = c.code);
