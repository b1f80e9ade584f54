-- +goose Up
-- Patrols, part two (issue 13): volunteers (志愿者) as a role of their own, their check-ins at a stretch, and the
-- patrol frequency targets per asset kind behind the 巡查达标率.

-- A volunteer records walks and checks in; their presence is its own measure, never inspection.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'planner', 'inspector', 'unit_staff', 'leader', 'volunteer'));

-- A check-in: someone stood at a stretch (at_m along the asset, when a position was sent) at a moment. Counted as presence on that asset
-- for that day; it credits no meters.
CREATE TABLE patrol_checkins (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    asset_id   bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    at_m       double precision CHECK (at_m >= 0),           -- null when only the asset was named
    at         timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patrol_checkins_at_idx ON patrol_checkins (at, asset_id);
CREATE INDEX patrol_checkins_user_idx ON patrol_checkins (user_id, at);

-- The patrol frequency target of an asset kind: each stretch is to be walked (at least min_percent of its
-- meters) once in every every_days days. Kinds without a row have no target.
CREATE TABLE patrol_targets (
    kind        text PRIMARY KEY,
    every_days  integer NOT NULL CHECK (every_days BETWEEN 1 AND 366),
    min_percent double precision NOT NULL CHECK (min_percent > 0 AND min_percent <= 100),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint REFERENCES users (id) ON DELETE SET NULL
);
-- The seed's rhythm: main and secondary roads (主次干道) daily, back alleys (背街小巷) every two days.
INSERT INTO patrol_targets (kind, every_days, min_percent) VALUES ('road', 1, 80), ('alley', 2, 80);

-- Patrol pieces by role and time, for the frequency and presence answers.
CREATE INDEX patrol_pieces_role_idx ON patrol_pieces (role, last_at);

-- em_patrol_stale returns the stretches of one asset (id aid, length len) not walked by any patrol piece in
-- [since, until): the complement of the union of those pieces on [0, len], stretches of at least 1 m, each with
-- the last time any piece over it was walked (null: never). GET /patrols/stale, the OGC collection and the tile
-- layer of stale stretches all read it, so they give one answer.
-- +goose StatementBegin
CREATE FUNCTION em_patrol_stale(aid bigint, len double precision, since timestamptz, until timestamptz)
RETURNS TABLE (asset_id bigint, from_m double precision, to_m double precision, last_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH pp AS (
        SELECT p.from_m, LEAST(p.to_m, len) AS to_m FROM patrol_pieces p
        WHERE p.asset_id = aid AND p.last_at >= since AND p.first_at < until),
    pm AS (SELECT *, max(to_m) OVER (ORDER BY from_m, to_m ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM pp),
    pg AS (SELECT *, sum(CASE WHEN reach >= from_m THEN 0 ELSE 1 END) OVER (ORDER BY from_m, to_m) AS island FROM pm),
    pu AS (SELECT min(from_m) AS f, max(to_m) AS t FROM pg GROUP BY island),
    gaps AS (
        SELECT COALESCE(lag(t) OVER (ORDER BY f), 0) AS gf, f AS gt FROM pu
        UNION ALL
        SELECT COALESCE(max(t), 0), len FROM pu)
    SELECT aid, g.gf, LEAST(g.gt, len),
        (SELECT max(p.last_at) FROM patrol_pieces p WHERE p.asset_id = aid AND p.from_m < LEAST(g.gt, len) AND p.to_m > g.gf)
    FROM gaps g WHERE LEAST(g.gt, len) - g.gf >= 1
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE, DELETE ON patrol_checkins, patrol_targets TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE patrol_checkins_id_seq TO everymeter_app;

-- +goose Down
DROP FUNCTION em_patrol_stale(bigint, double precision, timestamptz, timestamptz);
DROP INDEX patrol_pieces_role_idx;
DROP TABLE patrol_targets;
DROP TABLE patrol_checkins;
DELETE FROM users WHERE role = 'volunteer';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'planner', 'inspector', 'unit_staff', 'leader'));
