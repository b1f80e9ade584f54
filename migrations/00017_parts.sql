-- +goose Up
-- 部件 (street furniture) with their owners, shops with their frontage on one side of a street and their 门前三包
-- agreements, and a side on every responsibility interval (issue 16).

-- A 部件: a point (or a short line, a railing) owned by one unit (权属单位) and maintained by another (养护单位).
-- code is the standard's object code: 6-digit county + 2-digit 大类 + 2-digit 小类 + 6-digit sequence.
CREATE TABLE parts (
    id                 bigserial PRIMARY KEY,
    kind               text NOT NULL CHECK (kind IN ('notice_board', 'waste_bin', 'manhole', 'street_lamp', 'toilet', 'bus_shelter', 'street_sign', 'railing')),
    code               text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{16}$'),
    name               text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    geom               geometry(Geometry, 4326) NOT NULL CHECK (GeometryType(geom) IN ('POINT', 'LINESTRING')),
    owner_unit_id      bigint NOT NULL REFERENCES units (id) ON DELETE RESTRICT,
    maintainer_unit_id bigint REFERENCES units (id) ON DELETE RESTRICT,
    state              text NOT NULL DEFAULT 'intact' CHECK (state IN ('intact', 'damaged', 'missing')),
    checked_on         date,
    source             text NOT NULL DEFAULT '',
    source_id          text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parts_geom_idx ON parts USING gist (geom);
CREATE INDEX parts_kind_idx ON parts (kind);
CREATE UNIQUE INDEX parts_source_idx ON parts (source, source_id) WHERE source <> '';

-- A 部件 category names the kind of object it is about: its reports go to that object's owner first (部件先属主).
ALTER TABLE categories ADD COLUMN part_kind text
    CHECK (part_kind IN ('notice_board', 'waste_bin', 'manhole', 'street_lamp', 'toilet', 'bus_shelter', 'street_sign', 'railing'));
UPDATE categories SET part_kind = 'manhole' WHERE code = 'BJ-01';
UPDATE categories SET part_kind = 'street_lamp' WHERE code = 'BJ-02';
UPDATE categories SET part_kind = 'railing' WHERE code = 'BJ-03';
UPDATE categories SET part_kind = 'waste_bin' WHERE code = 'BJ-05';
INSERT INTO categories (code, name_zh, name_en, grp, type, default_unit_code, time_limit_hours, urgent_time_limit_hours, sort, part_kind) VALUES
    ('BJ-08', '宣传栏/公示栏损坏', 'Notice board damaged', '部件', 'part', 'XCB', 72, 24, 608, 'notice_board'),
    ('BJ-09', '公厕设施损坏', 'Public toilet damaged', '部件', 'part', 'SZYLJ', 24, 4, 609, 'toilet'),
    ('BJ-10', '公交站亭损坏', 'Bus shelter damaged', '部件', 'part', 'SZYLJ', 72, 24, 610, 'bus_shelter'),
    ('BJ-11', '路名牌缺损', 'Street name sign missing / broken', '部件', 'part', 'SZYLJ', 72, 24, 611, 'street_sign')
ON CONFLICT (code) DO NOTHING;

-- Responsibility intervals gain a side relative to the line's direction; every existing one covers both.
ALTER TABLE assignments ADD COLUMN side text NOT NULL DEFAULT 'both' CHECK (side IN ('left', 'right', 'both'));

-- A shop under 门前三包. contact_person and phone are personal data: read only through the visibility policy.
-- unit_id is the territory the shop's agreement is with (its contact is visible to that unit's staff).
CREATE TABLE shops (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    licence        text NOT NULL DEFAULT '' CHECK (length(licence) <= 64),
    contact_person text NOT NULL DEFAULT '' CHECK (length(contact_person) <= 100),
    phone          text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    address        text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    geom           geometry(Geometry, 4326) NOT NULL CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')),
    unit_id        bigint REFERENCES units (id) ON DELETE RESTRICT,
    source         text NOT NULL DEFAULT '',
    source_id      text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shops_geom_idx ON shops USING gist (geom);
CREATE UNIQUE INDEX shops_source_idx ON shops (source, source_id) WHERE source <> '';

-- A shop's frontage: a meter range on one side of one street. adjusted: moved by hand (a re-derivation keeps it).
CREATE TABLE frontages (
    shop_id    bigint PRIMARY KEY REFERENCES shops (id) ON DELETE CASCADE,
    asset_id   bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    side       text NOT NULL CHECK (side IN ('left', 'right')),
    from_m     double precision NOT NULL CHECK (from_m >= 0),
    to_m       double precision NOT NULL,
    adjusted   boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (from_m < to_m)
);
CREATE INDEX frontages_asset_idx ON frontages (asset_id, side, from_m);

-- A 门前三包 责任书 between a shop and its territory's unit: the duties, when it was signed and how long it holds.
CREATE TABLE agreements (
    id         bigserial PRIMARY KEY,
    shop_id    bigint NOT NULL REFERENCES shops (id) ON DELETE CASCADE,
    unit_id    bigint NOT NULL REFERENCES units (id) ON DELETE RESTRICT,
    duties     text[] NOT NULL CHECK (cardinality(duties) > 0 AND duties <@ ARRAY['sanitation', 'order', 'greening']::text[]),
    signed_on  date NOT NULL,
    valid_from date NOT NULL,
    valid_to   date NOT NULL,
    signed_by  text NOT NULL DEFAULT '' CHECK (length(signed_by) <= 100),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to >= valid_from)
);
CREATE INDEX agreements_shop_idx ON agreements (shop_id, valid_to);

-- Cases tied to a shop's frontage or to a 部件 are found by the dispatch step's details (written in the filing's
-- one statement): repeat cases per shop count from here.
CREATE INDEX report_events_shop_idx ON report_events (((details ->> 'shop_id')::bigint)) WHERE details ? 'shop_id';

GRANT SELECT, INSERT, UPDATE, DELETE ON parts, shops, frontages, agreements TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE parts_id_seq, shops_id_seq, agreements_id_seq TO everymeter_app;

-- +goose Down
DROP INDEX IF EXISTS report_events_shop_idx;
DROP TABLE IF EXISTS agreements, frontages, shops;
ALTER TABLE assignments DROP COLUMN IF EXISTS side;
DELETE FROM categories c WHERE c.code IN ('BJ-08', 'BJ-09', 'BJ-10', 'BJ-11') AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.category_code = c.code);
ALTER TABLE categories DROP COLUMN IF EXISTS part_kind;
DROP TABLE IF EXISTS parts;
