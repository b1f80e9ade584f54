package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/paulmach/orb"
)

// ZoneBySource returns the zone an import made from feature sourceID of source, locked for the transaction.
func (s *Store) ZoneBySource(ctx context.Context, source, sourceID string) (Zone, error) {
	return scanZone(s.db.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE id =
		(SELECT zone_id FROM zone_sources WHERE source = $1 AND source_id = $2) FOR UPDATE`, source, sourceID))
}

// SetZoneSource records that zone id came from feature sourceID of source.
func (s *Store) SetZoneSource(ctx context.Context, id int64, source, sourceID string) error {
	_, err := s.db.Exec(ctx, `INSERT INTO zone_sources (zone_id, source, source_id) VALUES ($1, $2, $3)`, id, source, sourceID)
	return mapErr(err)
}

// SameZoneGeom reports whether zone id's stored shape is exactly g (as a MultiPolygon, vertex for vertex).
func (s *Store) SameZoneGeom(ctx context.Context, id int64, g orb.Geometry) (bool, error) {
	var same bool
	err := s.db.QueryRow(ctx, `SELECT ST_AsBinary(geom) = ST_AsBinary(ST_Multi(ST_GeomFromWKB($2, 4326))) FROM zones WHERE id = $1`,
		id, WKB(g)).Scan(&same)
	return same, mapErr(err)
}

// PendingImport is a file uploaded in the web app, waiting for its confirmation.
type PendingImport struct {
	ID        int64
	Kind      string
	FileName  string
	Options   json.RawMessage
	Data      []byte
	Summary   json.RawMessage
	Preview   json.RawMessage
	CreatedBy *int64
	ExpiresAt time.Time
}

// CreatePendingImport stores an uploaded file with its summary and preview and returns its id; it first drops
// the pending imports that have expired, so abandoned uploads do not pile up.
func (s *Store) CreatePendingImport(ctx context.Context, p PendingImport) (int64, error) {
	if _, err := s.db.Exec(ctx, `DELETE FROM pending_imports WHERE expires_at <= now()`); err != nil {
		return 0, mapErr(err)
	}
	var id int64
	err := s.db.QueryRow(ctx, `INSERT INTO pending_imports (kind, file_name, options, data, summary, preview, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		p.Kind, p.FileName, p.Options, p.Data, p.Summary, p.Preview, p.CreatedBy, p.ExpiresAt).Scan(&id)
	return id, mapErr(err)
}

// PendingImport returns a pending import that has not expired (ErrNotFound otherwise); withData also reads the
// file's bytes.
func (s *Store) PendingImport(ctx context.Context, id int64, withData bool) (PendingImport, error) {
	var p PendingImport
	err := s.db.QueryRow(ctx, `SELECT id, kind, file_name, options, CASE WHEN $2 THEN data ELSE ''::bytea END, summary, preview,
			created_by, expires_at
		FROM pending_imports WHERE id = $1 AND expires_at > now()`, id, withData).
		Scan(&p.ID, &p.Kind, &p.FileName, &p.Options, &p.Data, &p.Summary, &p.Preview, &p.CreatedBy, &p.ExpiresAt)
	return p, mapErr(err)
}

// DeletePendingImport removes a pending import (after its confirmation); ErrNotFound if it is gone or expired.
func (s *Store) DeletePendingImport(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM pending_imports WHERE id = $1 AND expires_at > now()`, id)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// LeadOverlaps finds the pairs of polygons (given as WKB, in WGS84) that share more than minM2 square meters, at
// most limit of them: i < j index geoms, and m2 is the shared area on the ellipsoid.
func (s *Store) LeadOverlaps(ctx context.Context, geoms [][]byte, minM2 float64, limit int) ([][2]int, []float64, error) {
	rows, err := s.db.Query(ctx, `WITH g AS (SELECT i, ST_GeomFromWKB(w, 4326) AS geom FROM unnest($1::bytea[]) WITH ORDINALITY AS u(w, i))
		SELECT a.i, b.i, ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS m2
		FROM g a JOIN g b ON a.i < b.i AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
		WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > $2
		ORDER BY a.i, b.i LIMIT $3`, geoms, minM2, limit)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	defer rows.Close()
	var pairs [][2]int
	var areas []float64
	for rows.Next() {
		var i, j int
		var m2 float64
		if err := rows.Scan(&i, &j, &m2); err != nil {
			return nil, nil, mapErr(err)
		}
		pairs, areas = append(pairs, [2]int{i - 1, j - 1}), append(areas, m2)
	}
	return pairs, areas, mapErr(rows.Err())
}
