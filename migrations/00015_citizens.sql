-- +goose Up
-- Citizens (市民随手拍): public reports without an account wait in a moderation queue (案卷建立) until an admin
-- accepts, merges or rejects them; only an accepted one becomes a case (reports row, source 'citizen') and is
-- routed as any other. The reporter follows it by a tracking code and rates the fix.

-- Public submissions are throttled by the sign-in throttle's table (service/citizens.go counts submissions per
-- address and per device there), so there is one throttling mechanism, shown on the same admin page.
ALTER TABLE login_throttles DROP CONSTRAINT login_throttles_scope_check;
ALTER TABLE login_throttles ADD CONSTRAINT login_throttles_scope_check
    CHECK (scope IN ('account-address', 'address', 'account', 'public-address', 'public-device'));

ALTER TABLE reports DROP CONSTRAINT reports_source_check;
ALTER TABLE reports ADD CONSTRAINT reports_source_check CHECK (source IN ('app', 'open311', 'import311', 'citizen'));

-- Apps of the jurisdiction (citizen apps) that may file public reports through Open311 with their own key; the
-- key is kept as its SHA-256 only.
CREATE TABLE citizen_apps (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    key_hash    bytea NOT NULL UNIQUE,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The moderation queue. status: pending (waiting), accepted (report_id is the case), merged (report_id is the
-- open case it duplicates; the reporter's page follows it), rejected (reason is shown to the reporter).
-- nickname, phone, device and addr are the reporter's and never leave the staff's routes. original keeps the
-- submission as filed the first time a moderator edits it (FixMyStreet's moderation_original_data).
CREATE TABLE public_reports (
    id             bigserial PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Z]{10}$'),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'merged', 'rejected')),
    category_code  text NOT NULL REFERENCES categories (code) ON UPDATE CASCADE ON DELETE RESTRICT,
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    address        text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    geom           geometry(Point, 4326) NOT NULL,
    nickname       text NOT NULL DEFAULT '' CHECK (length(nickname) <= 50),
    phone          text NOT NULL DEFAULT '' CHECK (length(phone) <= 30),
    device         text NOT NULL DEFAULT '' CHECK (length(device) <= 100),
    addr           text NOT NULL DEFAULT '',
    app_id         bigint REFERENCES citizen_apps (id) ON DELETE SET NULL,
    original       jsonb,
    report_id      bigint REFERENCES reports (id) ON DELETE SET NULL,
    reason         text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    moderator_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    moderated_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (status NOT IN ('accepted', 'merged') OR report_id IS NOT NULL)
);
CREATE INDEX public_reports_status_idx ON public_reports (status, id);
CREATE INDEX public_reports_report_idx ON public_reports (report_id);

-- Photos of a submission, cleaned as the report photos are (same files under photos/); photo_id is the report
-- photo made of it on acceptance; a hidden one is never published.
CREATE TABLE public_photos (
    id               bigserial PRIMARY KEY,
    public_report_id bigint NOT NULL REFERENCES public_reports (id) ON DELETE CASCADE,
    sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type     text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes            bigint NOT NULL,
    width            integer NOT NULL DEFAULT 0,
    height           integer NOT NULL DEFAULT 0,
    exif_geom        geometry(Point, 4326),
    hidden           boolean NOT NULL DEFAULT false,
    photo_id         bigint REFERENCES photos (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (public_report_id, sha256)
);

-- Blocked reporters, by phone or by device id.
CREATE TABLE public_blocks (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('phone', 'device')),
    value       text NOT NULL CHECK (length(value) BETWEEN 1 AND 100),
    reason      text NOT NULL DEFAULT '',
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, value)
);

-- Satisfaction (满意度) with a closed case, one rating per closing: closed_at is the closing rated, unit_id the
-- unit that fixed it then.
CREATE TABLE satisfaction (
    id               bigserial PRIMARY KEY,
    public_report_id bigint NOT NULL REFERENCES public_reports (id) ON DELETE CASCADE,
    report_id        bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    unit_id          bigint REFERENCES units (id) ON DELETE SET NULL,
    rating           text NOT NULL CHECK (rating IN ('satisfied', 'basically', 'unsatisfied')),
    closed_at        timestamptz NOT NULL,
    at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (public_report_id, closed_at)
);
CREATE INDEX satisfaction_unit_idx ON satisfaction (unit_id, at);

GRANT SELECT, INSERT, UPDATE, DELETE ON citizen_apps, public_reports, public_photos, public_blocks, satisfaction TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE citizen_apps_id_seq, public_reports_id_seq, public_photos_id_seq, public_blocks_id_seq, satisfaction_id_seq TO everymeter_app;

-- +goose Down
DROP TABLE satisfaction, public_blocks, public_photos, public_reports, citizen_apps;
DELETE FROM login_throttles WHERE scope IN ('public-address', 'public-device');
ALTER TABLE login_throttles DROP CONSTRAINT login_throttles_scope_check;
ALTER TABLE login_throttles ADD CONSTRAINT login_throttles_scope_check CHECK (scope IN ('account-address', 'address', 'account'));
ALTER TABLE reports DROP CONSTRAINT reports_source_check;
ALTER TABLE reports ADD CONSTRAINT reports_source_check CHECK (source IN ('app', 'open311', 'import311'));
