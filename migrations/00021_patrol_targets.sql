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

GRANT SELECT, INSERT, UPDATE, DELETE ON patrol_checkins, patrol_targets TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE patrol_checkins_id_seq TO everymeter_app;

-- +goose Down
DROP INDEX patrol_pieces_role_idx;
DROP TABLE patrol_targets;
DROP TABLE patrol_checkins;
DELETE FROM users WHERE role = 'volunteer';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'planner', 'inspector', 'unit_staff', 'leader'));
