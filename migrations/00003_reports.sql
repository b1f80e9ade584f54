-- +goose Up
-- Problem categories (问题类别), grouped by the standard's 大类 so statistics stay comparable. type 'event' (事件)
-- routes by territory first, 'part' (部件) by the asset's owner first. default_unit_code names the fallback unit by
-- its code (units are created later, by the demo or an admin): the effective default unit is the unit with that
-- code, if any, so a fresh install and the demo town share one seed.
CREATE TABLE categories (
    code                    text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
    name_zh                 text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 200),
    name_en                 text NOT NULL DEFAULT '',
    grp                     text NOT NULL DEFAULT '',
    type                    text NOT NULL CHECK (type IN ('event', 'part')),
    default_unit_code       text NOT NULL DEFAULT '',
    time_limit_hours        double precision NOT NULL CHECK (time_limit_hours > 0 AND time_limit_hours <= 8760),
    urgent_time_limit_hours double precision CHECK (urgent_time_limit_hours > 0 AND urgent_time_limit_hours <= 8760),
    active                  boolean NOT NULL DEFAULT true,
    sort                    integer NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Reports (案卷). status follows the closed loop (package workflow owns the transitions):
--   reported   filed, waiting in the dispatch queue (unit_id NULL) — 案卷建立
--   dispatched sent to unit_id; the clock runs from dispatched_at to deadline — 任务派遣
--   accepted   the unit took it — 任务处理
--   resolved   the unit reported it fixed, with an after photo — 处理反馈
--   closed     an inspector verified the fix on site — 核查结案
--   rework     the inspector sent it back to the unit (返工, rework_count) — back to the unit
--   returned   the unit said it is not theirs (回退, return_count); back in the dispatch queue, unit_id NULL
--   voided     作废; duplicate: linked to duplicate_of
-- A closed report that comes back (反弹) is dispatched again with reopen_count + 1 and a new deadline.
-- time_limit_hours is the limit the deadline was computed from (a snapshot of the category's, so that editing a
-- category does not move the traffic lights of reports already running); extensions (延时) push the deadline.
CREATE TABLE reports (
    id                 bigserial PRIMARY KEY,
    category_code      text NOT NULL REFERENCES categories (code) ON UPDATE CASCADE ON DELETE RESTRICT,
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    address            text NOT NULL DEFAULT '',
    urgency            text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('normal', 'urgent')),
    status             text NOT NULL DEFAULT 'reported' CHECK (status IN
                           ('reported', 'dispatched', 'accepted', 'resolved', 'closed', 'rework', 'returned', 'voided', 'duplicate')),
    geom               geometry(Point, 4326) NOT NULL,
    asset_id           bigint REFERENCES assets (id) ON DELETE SET NULL,
    measure_m          double precision,
    unit_id            bigint REFERENCES units (id) ON DELETE RESTRICT,
    -- routing: decided_by is nearest_meter | zone | asset | category_default | none | manual | import
    decided_by         text NOT NULL DEFAULT '',
    routing_reason     text NOT NULL DEFAULT '',
    reporter_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    resolver_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    verifier_id        bigint REFERENCES users (id) ON DELETE SET NULL,
    duplicate_of       bigint REFERENCES reports (id) ON DELETE SET NULL,
    idempotency_key    text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    rework_count       integer NOT NULL DEFAULT 0,
    reopen_count       integer NOT NULL DEFAULT 0,
    extension_count    integer NOT NULL DEFAULT 0,
    return_count       integer NOT NULL DEFAULT 0,
    time_limit_hours   double precision,
    deadline           timestamptz,
    dispatched_at      timestamptz,
    accepted_at        timestamptz,
    resolved_at        timestamptz,
    closed_at          timestamptz,
    source             text NOT NULL DEFAULT 'app' CHECK (source IN ('app', 'open311', 'import311')),
    source_id          text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (duplicate_of IS NULL OR duplicate_of <> id),
    CHECK (status NOT IN ('dispatched', 'accepted', 'resolved', 'rework') OR unit_id IS NOT NULL)
);
CREATE INDEX reports_geom_idx ON reports USING gist (geom);
CREATE INDEX reports_status_idx ON reports (status, id);
CREATE INDEX reports_unit_idx ON reports (unit_id, status, id);
CREATE INDEX reports_category_idx ON reports (category_code, created_at);
CREATE INDEX reports_created_idx ON reports (created_at);
CREATE INDEX reports_reporter_idx ON reports (reporter_id, id);
CREATE INDEX reports_deadline_idx ON reports (deadline) WHERE status IN ('dispatched', 'accepted', 'rework');
-- Same user + same Idempotency-Key → the same report (INSERT … ON CONFLICT DO NOTHING, then read it back).
CREATE UNIQUE INDEX reports_idempotency_idx ON reports (reporter_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Imports are idempotent per (source, source_id).
CREATE UNIQUE INDEX reports_source_idx ON reports (source, source_id) WHERE source_id <> '';

-- Every step of the loop: who, when, what, from which status to which, with the note.
CREATE TABLE report_events (
    id          bigserial PRIMARY KEY,
    report_id   bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    actor       text NOT NULL DEFAULT '',
    action      text NOT NULL,
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL,
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    unit_id     bigint REFERENCES units (id) ON DELETE SET NULL,
    photo_id    bigint,
    details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX report_events_report_idx ON report_events (report_id, id);
CREATE INDEX report_events_at_idx ON report_events (at, action);

-- Photos: the file lives at <data dir>/photos/<sha256[:2]>/<sha256> (the served, EXIF-stripped copy) with its
-- thumbnail beside it as <sha256>.thumb.jpg; the GPS position read from the original's EXIF is kept here.
CREATE TABLE photos (
    id           bigserial PRIMARY KEY,
    report_id    bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes        bigint NOT NULL,
    width        integer NOT NULL DEFAULT 0,
    height       integer NOT NULL DEFAULT 0,
    exif_geom    geometry(Point, 4326),
    uploader_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (report_id, sha256)
);
CREATE INDEX photos_sha_idx ON photos (sha256);
ALTER TABLE report_events ADD FOREIGN KEY (photo_id) REFERENCES photos (id) ON DELETE SET NULL;

-- The seed set of DOMAIN.md §3. Time limits in hours (normal, urgent).
INSERT INTO categories (code, name_zh, name_en, grp, type, default_unit_code, time_limit_hours, urgent_time_limit_hours, sort) VALUES
    ('JMZX-01', '占道经营/流动摊贩', 'Street vending / hawkers', '街面秩序', 'event', 'ZHZFJ', 4, 1, 101),
    ('JMZX-02', '店外经营', 'Trading outside the shop', '街面秩序', 'event', 'ZHZFJ', 8, 2, 102),
    ('JMZX-03', '三轮车/电动四轮车非法营运', 'Illegal tricycle / e-car taxis', '街面秩序', 'event', 'GAJJ', 8, 2, 103),
    ('JMZX-04', '机动车乱停', 'Cars parked illegally', '街面秩序', 'event', 'GAJJ', 4, 1, 104),
    ('JMZX-05', '非机动车乱停/占盲道', 'Bikes parked badly / blocking tactile paving', '街面秩序', 'event', 'CGZ', 8, 2, 105),
    ('JMZX-06', '马路市场越线', 'Street market over its line', '街面秩序', 'event', 'ZHZFJ', 8, 2, 106),
    ('JTZX-01', '行人闯红灯', 'Pedestrians crossing on red', '交通秩序', 'event', 'GAJJ', 24, 4, 201),
    ('JTZX-02', '非机动车走机动车道', 'Bikes in the motor lane', '交通秩序', 'event', 'GAJJ', 24, 4, 202),
    ('JTZX-03', '车辆乱停乱放', 'Vehicles parked anywhere', '交通秩序', 'event', 'GAJJ', 8, 2, 203),
    ('SRHJ-01', '暴露垃圾/卫生死角', 'Exposed rubbish / neglected corner', '市容环境', 'event', 'CGZ', 24, 4, 301),
    ('SRHJ-02', '道路不洁', 'Dirty road', '市容环境', 'event', 'CGZ', 24, 4, 302),
    ('SRHJ-03', '乱堆物堆料', 'Materials piled up', '市容环境', 'event', 'CGZ', 24, 4, 303),
    ('SRHJ-04', '私搭乱建', 'Unauthorised structure', '市容环境', 'event', 'ZHZFJ', 72, 24, 304),
    ('SRHJ-05', '乱涂写/乱张贴', 'Graffiti / fly-posting', '市容环境', 'event', 'CGZ', 24, 8, 305),
    ('SRHJ-06', '白色垃圾', 'Plastic litter', '市容环境', 'event', 'AWB', 24, 4, 306),
    ('SRHJ-07', '积存渣土', 'Accumulated muck', '市容环境', 'event', 'CGZ', 48, 8, 307),
    ('XCGG-01', '非法小广告', 'Illegal small ads', '宣传广告', 'event', 'ZHZFJ', 24, 4, 401),
    ('XCGG-02', '门头牌匾不规范/破损', 'Shop sign non-standard / broken', '宣传广告', 'event', 'ZHZFJ', 72, 24, 402),
    ('XCGG-03', '宣传栏陈旧破损', 'Notice board old / broken', '宣传广告', 'event', 'XCB', 72, 24, 403),
    ('XCGG-04', '私设宣传栏', 'Unauthorised notice board', '宣传广告', 'event', 'ZHZFJ', 72, 24, 404),
    ('XCGG-05', '公益广告缺失', 'Public-service posters missing', '宣传广告', 'event', 'XCB', 168, 48, 405),
    ('SGGL-01', '施工占道', 'Works blocking the road', '施工管理', 'event', 'ZJJ', 24, 4, 501),
    ('SGGL-02', '围挡不规范/扬尘', 'Hoarding non-standard / dust', '施工管理', 'event', 'ZJJ', 24, 4, 502),
    ('SGGL-03', '施工废弃料', 'Construction waste', '施工管理', 'event', 'ZJJ', 48, 8, 503),
    ('BJ-01', '井盖缺损', 'Manhole cover missing / broken', '部件', 'part', 'SZYLJ', 24, 2, 601),
    ('BJ-02', '路灯不亮', 'Street lamp out', '部件', 'part', 'SZYLJ', 48, 8, 602),
    ('BJ-03', '护栏损坏', 'Railing damaged', '部件', 'part', 'SZYLJ', 72, 8, 603),
    ('BJ-04', '人行道砖缺失', 'Paving slabs missing', '部件', 'part', 'SZYLJ', 72, 24, 604),
    ('BJ-05', '果皮箱破损', 'Litter bin broken', '部件', 'part', 'SZYLJ', 72, 24, 605),
    ('BJ-06', '小游园设施损坏', 'Pocket-park equipment damaged', '部件', 'part', 'SZYLJ', 72, 24, 606),
    ('BJ-07', '绿地黄土裸露', 'Bare soil in green space', '部件', 'part', 'SZYLJ', 168, 48, 607),
    ('SCZX-01', '市场环境卫生', 'Market hygiene', '市场专项', 'event', 'GSZJJ', 24, 4, 701),
    ('SCZX-02', '划行归市不到位/溢摊', 'Stalls outside their rows / overflowing', '市场专项', 'event', 'GSZJJ', 8, 2, 702),
    ('SCZX-03', '公平秤缺失', 'Public check scale missing', '市场专项', 'event', 'GSZJJ', 72, 24, 703),
    ('SCZX-04', '证照未亮', 'Licences not displayed', '市场专项', 'event', 'SYJ', 72, 24, 704);

-- +goose Down
DROP TABLE photos, report_events, reports, categories CASCADE;
