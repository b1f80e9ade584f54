-- +goose Up
-- Per-user API keys for desktop GIS clients (QGIS, GDAL) that cannot sign in with a form: only the SHA-256 of
-- the key is kept, the key itself is shown once when it is created. Keys are read-only (GET/HEAD) by design:
-- they travel in URLs (?api_key=) and end up in logs and project files.
CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash   bytea NOT NULL UNIQUE,
    name       text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

-- em_line_sub returns the stretch of a LineString or MultiLineString between two measures in meters on the
-- WGS84 spheroid, with the same semantics as geo.Line.Sub (parts concatenated, measures clamped, endpoints
-- interpolated linearly in lon/lat within a segment in proportion to the segment's geodesic length), so that
-- an assignment's geometry drawn by the OGC API and the tiles is the stretch the coverage engine counted.
-- ST_LineSubstring cannot do this: it takes planar fractions of a lon/lat line, which are off by meters.
-- +goose StatementBegin
CREATE FUNCTION em_line_sub(g geometry, from_m double precision, to_m double precision) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    part  geometry;
    pts   geometry[];
    cum   double precision[];
    m     double precision := 0;
    total double precision := 0;
    i     integer;
    n     integer;
    t     double precision;
    line  geometry[];
    parts geometry[] := '{}';
    lo    double precision;
    hi    double precision;
BEGIN
    -- total length first, to clamp the range as geo.Line does
    FOR part IN SELECT d.geom FROM ST_Dump(g) d ORDER BY d.path LOOP
        IF ST_NPoints(part) >= 2 THEN
            total := total + ST_Length(part::geography);
        END IF;
    END LOOP;
    lo := least(greatest(from_m, 0), total);
    hi := least(greatest(to_m, 0), total);
    IF lo > hi THEN
        t := lo; lo := hi; hi := t;
    END IF;
    FOR part IN SELECT d.geom FROM ST_Dump(g) d ORDER BY d.path LOOP
        SELECT array_agg(p.geom ORDER BY p.path) INTO pts FROM ST_DumpPoints(part) p;
        n := coalesce(array_length(pts, 1), 0);
        IF n < 2 THEN
            CONTINUE;
        END IF;
        cum := ARRAY[m];
        FOR i IN 2..n LOOP
            m := m + ST_Distance(pts[i - 1]::geography, pts[i]::geography, true);
            cum := cum || m;
        END LOOP;
        IF cum[n] <= lo OR cum[1] >= hi THEN
            CONTINUE;
        END IF;
        line := ARRAY[em_part_point(pts, cum, greatest(lo, cum[1]))];
        FOR i IN 1..n LOOP
            IF cum[i] > lo AND cum[i] < hi THEN
                line := line || pts[i];
            END IF;
        END LOOP;
        line := line || em_part_point(pts, cum, least(hi, cum[n]));
        parts := parts || ST_MakeLine(line);
    END LOOP;
    IF cardinality(parts) = 0 THEN
        RETURN NULL;
    ELSIF cardinality(parts) = 1 THEN
        RETURN ST_SetSRID(parts[1], ST_SRID(g));
    END IF;
    RETURN ST_SetSRID(ST_Collect(parts), ST_SRID(g));
END
$$;
-- +goose StatementEnd

-- em_part_point interpolates measure m on one part whose vertex measures are cum (as geo's partPoint).
-- +goose StatementBegin
CREATE FUNCTION em_part_point(pts geometry[], cum double precision[], m double precision) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    i   integer := 1;
    n   integer := array_length(pts, 1);
    seg double precision;
    t   double precision;
BEGIN
    WHILE i <= n AND cum[i] < m LOOP
        i := i + 1;
    END LOOP;
    IF i = 1 THEN
        RETURN pts[1];
    ELSIF i > n THEN
        RETURN pts[n];
    END IF;
    seg := cum[i] - cum[i - 1];
    IF seg <= 0 THEN
        RETURN pts[i];
    END IF;
    t := (m - cum[i - 1]) / seg;
    IF t <= 0 THEN
        RETURN pts[i - 1];
    ELSIF t >= 1 THEN
        RETURN pts[i];
    END IF;
    RETURN ST_SetSRID(ST_MakePoint(ST_X(pts[i - 1]) + (ST_X(pts[i]) - ST_X(pts[i - 1])) * t,
                                   ST_Y(pts[i - 1]) + (ST_Y(pts[i]) - ST_Y(pts[i - 1])) * t), ST_SRID(pts[1]));
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION em_line_sub(geometry, double precision, double precision);
DROP FUNCTION em_part_point(geometry[], double precision[], double precision);
DROP TABLE api_keys;
