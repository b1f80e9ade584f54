-- +goose Up
-- The base map: what the map shows under the network so that people find their way without an online map —
-- land use and green areas, water, buildings and place labels. Drawn from vector tiles everymeter builds
-- (the basemap tile layer); loaded by the demo town and by `import osm`. Nobody is responsible for these
-- features: they take no part in coverage. (source, source_id) makes an import idempotent.
CREATE TABLE base_features (
    id        bigserial PRIMARY KEY,
    layer     text NOT NULL CHECK (layer IN ('landuse', 'water', 'building', 'place')),
    class     text NOT NULL DEFAULT '',  -- residential, commercial, park, grass, river, pond, town, neighbourhood …
    name      text NOT NULL DEFAULT '',
    geom      geometry(Geometry, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    area_m2   double precision NOT NULL DEFAULT 0,
    source    text NOT NULL,
    source_id text NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX base_features_geom_idx ON base_features USING gist (geom);
CREATE INDEX base_features_layer_idx ON base_features (layer);

GRANT SELECT, INSERT, UPDATE, DELETE ON base_features TO everymeter_app;
GRANT USAGE, SELECT ON SEQUENCE base_features_id_seq TO everymeter_app;

-- +goose Down
DROP TABLE base_features;
