-- +goose Up
-- Patrols (巡查): GPS tracks of inspectors walking their grid, matched to the road and alley network
-- (package mapmatch). A patrol keeps who walked and when; its raw points are private to the walker and the
-- admins and are deleted after the retention period (patrols.points_purged_at), while the matched pieces —
-- which meters of which asset were walked, when, by whom — stay and feed the coverage answers.
CREATE TABLE patrols (
    id               bigserial PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role             text NOT NULL,                 -- the walker's role when it was recorded (inspection vs volunteer presence)
    uploaded_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz NOT NULL CHECK (ended_at >= started_at),
    points           integer NOT NULL CHECK (points >= 0),
    kept_points      integer NOT NULL CHECK (kept_points >= 0),
    matched_m        double precision NOT NULL CHECK (matched_m >= 0),
    assets           integer NOT NULL CHECK (assets >= 0),
    format           text NOT NULL,
    idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    created_at       timestamptz NOT NULL DEFAULT now(),
    points_purged_at timestamptz
);
-- Same walker + same Idempotency-Key → the same patrol (a chunk retried after a lost answer).
CREATE UNIQUE INDEX patrols_idempotency_idx ON patrols (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX patrols_user_idx ON patrols (user_id, started_at);
CREATE INDEX patrols_ended_idx ON patrols (ended_at) WHERE points_purged_at IS NULL;

-- The raw fixes, one row per segment: the points in order and their times.
CREATE TABLE patrol_tracks (
    patrol_id bigint NOT NULL REFERENCES patrols (id) ON DELETE CASCADE,
    segment   integer NOT NULL,
    geom      geometry(MultiPoint, 4326) NOT NULL,
    times     timestamptz[] NOT NULL CHECK (cardinality(times) = ST_NumGeometries(geom)),
    PRIMARY KEY (patrol_id, segment)
);

-- The matched stretches: per patrol and asset, disjoint [from_m, to_m] in the asset's measures (geo.Line),
-- with the walker and the first and last time the stretch was walked.
CREATE TABLE patrol_pieces (
    id        bigserial PRIMARY KEY,
    patrol_id bigint NOT NULL REFERENCES patrols (id) ON DELETE CASCADE,
    asset_id  bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      text NOT NULL,
    from_m    double precision NOT NULL CHECK (from_m >= 0),
    to_m      double precision NOT NULL CHECK (to_m >= from_m),
    first_at  timestamptz NOT NULL,
    last_at   timestamptz NOT NULL CHECK (last_at >= first_at)
);
CREATE INDEX patrol_pieces_asset_idx ON patrol_pieces (asset_id, last_at);
CREATE INDEX patrol_pieces_time_idx ON patrol_pieces (last_at, first_at);
CREATE INDEX patrol_pieces_patrol_idx ON patrol_pieces (patrol_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON patrols, patrol_tracks, patrol_pieces TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE patrols_id_seq, patrol_pieces_id_seq TO everymeter_app;

-- +goose Down
DROP TABLE patrol_pieces;
DROP TABLE patrol_tracks;
DROP TABLE patrols;
