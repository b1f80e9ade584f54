-- +goose Up
-- The evaluation (测评): checklists of field-inspection items by site type (实地考察), mock evaluation rounds
-- (模拟测评) over sampled sites, per-item results whose failures become cases, and the provincial feedback list
-- (测评反馈) imported row by row. Scores are computed in Go from these rows (domain.Score); nothing here is derived.

-- Reports may now come from an evaluation round or from the feedback list. Other migrations widen the same CHECK,
-- so the new constraint keeps every value the current one allows and adds ours.
-- +goose StatementBegin
DO $$
DECLARE
    def text;
    vals text[];
BEGIN
    SELECT pg_get_constraintdef(c.oid) INTO def FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'c' AND c.conrelid = 'reports'::regclass AND a.attname = 'source' AND cardinality(c.conkey) = 1;
    SELECT array_agg(DISTINCT m[1]) INTO vals FROM regexp_matches(coalesce(def, ''), '''([^'']*)''', 'g') AS m;
    vals := ARRAY(SELECT DISTINCT unnest(coalesce(vals, ARRAY[]::text[]) || ARRAY['evaluation', 'feedback']) ORDER BY 1);
    EXECUTE (SELECT string_agg(format('ALTER TABLE reports DROP CONSTRAINT %I', conname), '; ')
        FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.contype = 'c' AND c.conrelid = 'reports'::regclass AND a.attname = 'source' AND cardinality(c.conkey) = 1);
    EXECUTE format('ALTER TABLE reports ADD CONSTRAINT reports_source_check CHECK (source IN (%s))',
        (SELECT string_agg(quote_literal(v), ', ') FROM unnest(vals) AS v));
END
$$;
-- +goose StatementEnd

-- Checklist items (测评项目). An item is never edited in place: an edit retires the row (retired_at) and inserts
-- the next version under the same code, so a round keeps the exact items it was scored with (eval_round_items).
-- check_kind: yes_no (pass/fail by eye), count (a count compared with threshold), measure (a measured value
-- compared with threshold); comparator says which side passes (min: value ≥ threshold; max: value ≤ threshold).
CREATE TABLE eval_items (
    id            bigserial PRIMARY KEY,
    site_type     text NOT NULL CHECK (site_type IN ('main_road', 'alley', 'market', 'park', 'residential')),
    code          text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,64}$'),
    version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    name_zh       text NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 200),
    weight        double precision NOT NULL CHECK (weight > 0 AND weight <= 100),
    check_kind    text NOT NULL CHECK (check_kind IN ('yes_no', 'count', 'measure')),
    threshold     double precision,
    comparator    text NOT NULL DEFAULT 'min' CHECK (comparator IN ('min', 'max')),
    unit_label    text NOT NULL DEFAULT '',
    category_code text NOT NULL REFERENCES categories (code) ON UPDATE CASCADE ON DELETE RESTRICT,
    sort          integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    retired_at    timestamptz,
    UNIQUE (site_type, code, version),
    CHECK (check_kind = 'yes_no' OR threshold IS NOT NULL)
);
CREATE UNIQUE INDEX eval_items_current_idx ON eval_items (site_type, code) WHERE retired_at IS NULL;

-- Sites (测评点位): a mapped asset (a road, an alley, a market, a park) or a place pinned by hand (a residential
-- compound); point is where the evaluator starts and where a failure without its own position is pinned.
CREATE TABLE eval_sites (
    id         bigserial PRIMARY KEY,
    site_type  text NOT NULL CHECK (site_type IN ('main_road', 'alley', 'market', 'park', 'residential')),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    asset_id   bigint REFERENCES assets (id) ON DELETE SET NULL,
    unit_id    bigint REFERENCES units (id) ON DELETE SET NULL,
    point      geometry(Point, 4326) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX eval_sites_asset_idx ON eval_sites (asset_id, site_type) WHERE asset_id IS NOT NULL;

-- Rounds (测评轮次): rectify_by is the deadline (整改期限) every failure's case gets instead of its category's limit.
CREATE TABLE eval_rounds (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    starts_on  date NOT NULL,
    ends_on    date NOT NULL,
    rectify_by timestamptz NOT NULL,
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
CREATE TABLE eval_round_sites (
    round_id bigint NOT NULL REFERENCES eval_rounds (id) ON DELETE CASCADE,
    site_id  bigint NOT NULL REFERENCES eval_sites (id) ON DELETE RESTRICT,
    PRIMARY KEY (round_id, site_id)
);
CREATE TABLE eval_round_items (
    round_id bigint NOT NULL REFERENCES eval_rounds (id) ON DELETE CASCADE,
    item_id  bigint NOT NULL REFERENCES eval_items (id) ON DELETE RESTRICT,
    PRIMARY KEY (round_id, item_id)
);
CREATE TABLE eval_round_evaluators (
    round_id bigint NOT NULL REFERENCES eval_rounds (id) ON DELETE CASCADE,
    user_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (round_id, user_id)
);

-- Results: one per round × site × item (a later answer replaces an earlier one until a case is filed). A failure
-- files a case (report_id); rebound_of names the earlier failure at the same site and item code whose case had
-- been rectified (反弹); rechecked_by names the later passing result that closed this one's loop.
CREATE TABLE eval_results (
    id           bigserial PRIMARY KEY,
    round_id     bigint NOT NULL REFERENCES eval_rounds (id) ON DELETE CASCADE,
    site_id      bigint NOT NULL REFERENCES eval_sites (id) ON DELETE RESTRICT,
    item_id      bigint NOT NULL REFERENCES eval_items (id) ON DELETE RESTRICT,
    outcome      text NOT NULL CHECK (outcome IN ('pass', 'fail', 'na')),
    value        double precision,
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    point        geometry(Point, 4326),
    evaluator_id bigint REFERENCES users (id) ON DELETE SET NULL,
    scored_at    timestamptz NOT NULL DEFAULT now(),
    report_id    bigint REFERENCES reports (id) ON DELETE SET NULL,
    rebound_of   bigint REFERENCES eval_results (id) ON DELETE SET NULL,
    rechecked_by bigint REFERENCES eval_results (id) ON DELETE SET NULL,
    UNIQUE (round_id, site_id, item_id)
);
CREATE INDEX eval_results_site_idx ON eval_results (site_id, item_id);
CREATE INDEX eval_results_report_idx ON eval_results (report_id) WHERE report_id IS NOT NULL;

-- The provincial feedback list (测评反馈): every row of every imported file, located or not. row_hash is the
-- content hash of the row's text (not its number), so importing the same list again files nothing new.
CREATE TABLE feedback_imports (
    id         bigserial PRIMARY KEY,
    file_name  text NOT NULL DEFAULT '',
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    rectify_by timestamptz,
    user_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE feedback_rows (
    id          bigserial PRIMARY KEY,
    import_id   bigint NOT NULL REFERENCES feedback_imports (id) ON DELETE CASCADE,
    row_no      integer NOT NULL,
    seq         text NOT NULL DEFAULT '',
    place       text NOT NULL DEFAULT '',
    problem     text NOT NULL DEFAULT '',
    category    text NOT NULL DEFAULT '',
    photos      text NOT NULL DEFAULT '',
    row_hash    text NOT NULL CHECK (row_hash ~ '^[0-9a-f]{64}$'),
    located     boolean NOT NULL,
    reason      text NOT NULL DEFAULT '',
    report_id   bigint REFERENCES reports (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX feedback_rows_hash_idx ON feedback_rows (row_hash);

GRANT SELECT, INSERT, UPDATE, DELETE ON eval_items, eval_sites, eval_rounds, eval_round_sites, eval_round_items,
    eval_round_evaluators, eval_results, feedback_imports, feedback_rows TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE eval_items_id_seq, eval_sites_id_seq, eval_rounds_id_seq, eval_results_id_seq,
    feedback_imports_id_seq, feedback_rows_id_seq TO everymeter_app;

-- The seed checklists, from the field-inspection items of the 全国文明城市测评体系 (DOMAIN.md §9).
INSERT INTO eval_items (site_type, code, name_zh, weight, check_kind, threshold, comparator, unit_label, category_code, sort) VALUES
    ('main_road', 'ZGD-01', '公益广告按标准密度设置', 3, 'count', 3, 'min', '处/百米', 'XCGG-05', 1),
    ('main_road', 'ZGD-02', '无卫生死角、暴露垃圾', 3, 'yes_no', NULL, 'min', '', 'SRHJ-01', 2),
    ('main_road', 'ZGD-03', '无非法小广告、乱涂写', 2, 'yes_no', NULL, 'min', '', 'XCGG-01', 3),
    ('main_road', 'ZGD-04', '无私搭乱建', 2, 'yes_no', NULL, 'min', '', 'SRHJ-04', 4),
    ('main_road', 'ZGD-05', '无占道经营、流动摊贩', 3, 'yes_no', NULL, 'min', '', 'JMZX-01', 5),
    ('main_road', 'ZGD-06', '车辆有序停放，不占绿地、盲道', 2, 'yes_no', NULL, 'min', '', 'JMZX-05', 6),
    ('alley', 'BJXX-01', '路面硬化，无坑洼破损', 3, 'yes_no', NULL, 'min', '', 'BJ-04', 1),
    ('alley', 'BJXX-02', '无暴露垃圾、污水、渣土', 3, 'yes_no', NULL, 'min', '', 'SRHJ-01', 2),
    ('alley', 'BJXX-03', '无残垣断壁、违章建筑', 2, 'yes_no', NULL, 'min', '', 'SRHJ-04', 3),
    ('alley', 'BJXX-04', '无非法小广告', 2, 'yes_no', NULL, 'min', '', 'XCGG-01', 4),
    ('market', 'NMSC-01', '入口处设公平秤', 3, 'yes_no', NULL, 'min', '', 'SCZX-03', 1),
    ('market', 'NMSC-02', '公示市场管理制度、设投诉点', 2, 'yes_no', NULL, 'min', '', 'SCZX-01', 2),
    ('market', 'NMSC-03', '社会主义核心价值观宣传', 2, 'count', 2, 'min', '处', 'XCGG-05', 3),
    ('market', 'NMSC-04', '公益广告', 2, 'count', 5, 'min', '处', 'XCGG-05', 4),
    ('market', 'NMSC-05', '无溢摊、划行归市', 3, 'yes_no', NULL, 'min', '', 'SCZX-02', 5),
    ('market', 'NMSC-06', '无积水', 2, 'measure', 0, 'max', '㎡', 'SCZX-01', 6),
    ('market', 'NMSC-07', '水冲式厕所，无异味', 2, 'yes_no', NULL, 'min', '', 'SCZX-01', 7),
    ('market', 'NMSC-08', '证照亮证经营', 1, 'yes_no', NULL, 'min', '', 'SCZX-04', 8),
    ('park', 'XYY-01', '设施完好', 3, 'yes_no', NULL, 'min', '', 'BJ-06', 1),
    ('park', 'XYY-02', '无黄土裸露', 2, 'yes_no', NULL, 'min', '', 'BJ-07', 2),
    ('park', 'XYY-03', '环境整洁，无白色垃圾', 3, 'yes_no', NULL, 'min', '', 'SRHJ-06', 3),
    ('residential', 'JMXQ-01', '无乱堆物堆料', 2, 'yes_no', NULL, 'min', '', 'SRHJ-03', 1),
    ('residential', 'JMXQ-02', '公益广告', 2, 'count', 3, 'min', '处', 'XCGG-05', 2),
    ('residential', 'JMXQ-03', '无私搭乱建', 2, 'yes_no', NULL, 'min', '', 'SRHJ-04', 3);

-- +goose Down
-- reports.source keeps 'evaluation' and 'feedback': reports filed with them may remain, and a narrower CHECK
-- would refuse them.
DROP TABLE feedback_rows, feedback_imports, eval_results, eval_round_evaluators, eval_round_items, eval_round_sites,
    eval_rounds, eval_sites, eval_items;
