package store

import (
	"context"
	"encoding/json"

	"github.com/paulmach/orb"
)

// UpsertResult says what UpsertAssetsBySource did with one asset.
type UpsertResult struct {
	ID       int64
	SourceID string
	Inserted bool // a new row; false means an existing row changed
	// Before is the bound of an updated row's geometry before the update (nil for a new row).
	Before *orb.Bound
}

// UpsertAssetsBySource writes a batch of imported assets in one statement, keyed by (source, source_id):
// new ones are inserted, changed ones updated, and identical ones left alone (so a re-import writes
// nothing and refreshes no coverage). It returns only the rows it inserted or changed. The batch must not
// hold one (source, source_id) twice, and every asset needs a non-empty source and source id.
func (s *Store) UpsertAssetsBySource(ctx context.Context, as []Asset) ([]UpsertResult, error) {
	if len(as) == 0 {
		return nil, nil
	}
	kinds := make([]string, len(as))
	names := make([]string, len(as))
	geoms := make([][]byte, len(as))
	attrs := make([]string, len(as))
	srcs := make([]string, len(as))
	ids := make([]string, len(as))
	for i, a := range as {
		if a.Attributes == nil {
			a.Attributes = map[string]any{}
		}
		b, err := json.Marshal(a.Attributes)
		if err != nil {
			return nil, err
		}
		kinds[i], names[i], geoms[i], attrs[i], srcs[i], ids[i] = a.Kind, a.Name, WKB(a.Geom), string(b), a.Source, a.SourceID
	}
	// old sees the rows as they were before the statement (one snapshot for the whole statement), so the
	// bound of an updated asset's previous shape comes back with it.
	rows, err := s.db.Query(ctx, `WITH old AS (
			SELECT a.id, ARRAY[ST_XMin(a.geom), ST_YMin(a.geom), ST_XMax(a.geom), ST_YMax(a.geom)] AS bound
			FROM assets a JOIN unnest($5::text[], $6::text[]) AS u(src, sid) ON a.source = u.src AND a.source_id = u.sid)
		INSERT INTO assets (kind, name, geom, attributes, length_m, area_m, source, source_id)
		SELECT k, n, g, a::jsonb, ST_Length(g::geography), ST_Area(g::geography), src, sid
		FROM (SELECT k, n, ST_GeomFromWKB(w, 4326) AS g, a, src, sid
		      FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::text[]) AS u(k, n, w, a, src, sid)) x
		ON CONFLICT (source, source_id) WHERE source <> '' DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
			geom = EXCLUDED.geom, attributes = EXCLUDED.attributes, length_m = EXCLUDED.length_m,
			area_m = EXCLUDED.area_m, updated_at = now()
		WHERE (assets.kind, assets.name, assets.attributes, ST_AsBinary(assets.geom))
			IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.name, EXCLUDED.attributes, ST_AsBinary(EXCLUDED.geom))
		RETURNING id, source_id, (xmax = 0), (SELECT o.bound FROM old o WHERE o.id = assets.id)`, kinds, names, geoms, attrs, srcs, ids)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []UpsertResult
	for rows.Next() {
		var r UpsertResult
		var before []float64
		if err := rows.Scan(&r.ID, &r.SourceID, &r.Inserted, &before); err != nil {
			return nil, mapErr(err)
		}
		if len(before) == 4 {
			r.Before = &orb.Bound{Min: orb.Point{before[0], before[1]}, Max: orb.Point{before[2], before[3]}}
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// CountAssetsBySource returns how many assets came from one import source.
func (s *Store) CountAssetsBySource(ctx context.Context, source string) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM assets WHERE source = $1`, source).Scan(&n)
	return n, mapErr(err)
}

// TransformToWGS84 reprojects geometries (WKB, in the coordinate system srid, or — when srid is 0 — the one the
// PROJ definition proj describes) to WGS84 lon/lat, in one statement: PostGIS (PROJ) does the datum and projection
// work. The answers are WKB, in the order of the input.
func (s *Store) TransformToWGS84(ctx context.Context, wkbs [][]byte, srid int, proj string) ([][]byte, error) {
	rows, err := s.db.Query(ctx, `SELECT ST_AsBinary(CASE WHEN $2::int <> 0 THEN ST_Transform(ST_GeomFromWKB(w, $2::int), 4326)
			ELSE ST_Transform(ST_GeomFromWKB(w), $3::text, 4326) END)
		FROM unnest($1::bytea[]) WITH ORDINALITY AS u(w, n) ORDER BY n`, wkbs, srid, proj)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := make([][]byte, 0, len(wkbs))
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, b)
	}
	return out, mapErr(rows.Err())
}

// KnownSRID reports whether PostGIS knows the coordinate system srid (spatial_ref_sys).
func (s *Store) KnownSRID(ctx context.Context, srid int) (bool, error) {
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)`, srid).Scan(&ok)
	return ok, mapErr(err)
}
