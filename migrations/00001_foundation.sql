-- +goose Up
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE units (
    id             bigserial PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind           text NOT NULL CHECK (kind IN ('department', 'town', 'community', 'team')),
    parent_id      bigint REFERENCES units (id) ON DELETE RESTRICT,
    contact_person text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{1,64}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'planner', 'inspector', 'unit_staff', 'leader')),
    unit_id       bigint REFERENCES units (id) ON DELETE RESTRICT,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'unit_staff' OR unit_id IS NOT NULL)
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE assets (
    id         bigserial PRIMARY KEY,
    kind       text NOT NULL CHECK (kind ~ '^[a-z_]{1,32}$'),
    name       text NOT NULL DEFAULT '',
    geom       geometry(Geometry, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    length_m   double precision NOT NULL DEFAULT 0,
    area_m     double precision NOT NULL DEFAULT 0,
    source     text NOT NULL DEFAULT '',
    source_id  text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assets_geom_idx ON assets USING gist (geom);
CREATE INDEX assets_kind_idx ON assets (kind, id);
CREATE UNIQUE INDEX assets_source_idx ON assets (source, source_id) WHERE source <> '';

CREATE TABLE zones (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    unit_id    bigint NOT NULL REFERENCES units (id) ON DELETE RESTRICT,
    role       text NOT NULL CHECK (role IN ('lead', 'support')),
    kind       text NOT NULL DEFAULT '网格',
    geom       geometry(MultiPolygon, 4326) NOT NULL,
    valid_from timestamptz,
    valid_to   timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);
CREATE INDEX zones_geom_idx ON zones USING gist (geom);

CREATE TABLE assignments (
    id         bigserial PRIMARY KEY,
    asset_id   bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    unit_id    bigint NOT NULL REFERENCES units (id) ON DELETE RESTRICT,
    from_m     double precision NOT NULL CHECK (from_m >= 0),
    to_m       double precision NOT NULL,
    role       text NOT NULL CHECK (role IN ('lead', 'support')),
    person     text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    valid_from timestamptz,
    valid_to   timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (from_m < to_m),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);
CREATE INDEX assignments_asset_idx ON assignments (asset_id);

CREATE TABLE audit_log (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    actor_id  bigint,
    actor     text NOT NULL DEFAULT '',
    action    text NOT NULL,
    entity    text NOT NULL,
    entity_id text NOT NULL DEFAULT '',
    before    jsonb,
    after     jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);

-- +goose Down
DROP TABLE audit_log, assignments, zones, assets, sessions, users, units;
