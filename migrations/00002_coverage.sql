-- +goose Up
-- Coverage results computed by the coverage engine (package coverage), one row per maximal stretch of a
-- linear asset with a constant set of lead owners. status: gap (no lead), covered (one), overlap (two or more).
CREATE TABLE coverage_pieces (
    asset_id bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    from_m   double precision NOT NULL,
    to_m     double precision NOT NULL,
    status   text NOT NULL CHECK (status IN ('gap', 'covered', 'overlap')),
    unit_ids bigint[] NOT NULL DEFAULT '{}',
    geom     geometry(Geometry, 4326) NOT NULL,
    PRIMARY KEY (asset_id, from_m)
);
CREATE INDEX coverage_pieces_geom_idx ON coverage_pieces USING gist (geom);
CREATE INDEX coverage_pieces_status_idx ON coverage_pieces (status);

-- Support claims, kept and reported, never counted as conflicts.
CREATE TABLE coverage_support (
    asset_id bigint NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    unit_id  bigint NOT NULL,
    from_m   double precision NOT NULL,
    to_m     double precision NOT NULL
);
CREATE INDEX coverage_support_asset_idx ON coverage_support (asset_id);

-- Areal assets (markets, parks): the share of area inside lead zones or explicitly assigned.
CREATE TABLE coverage_areal (
    asset_id   bigint PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
    area_m2    double precision NOT NULL,
    covered_m2 double precision NOT NULL,
    unit_ids   bigint[] NOT NULL DEFAULT '{}'
);

-- +goose Down
DROP TABLE coverage_areal, coverage_support, coverage_pieces;
