package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/domain"
)

// Part is domain.Part.
type Part = domain.Part

// PartFilter is domain.PartFilter.
type PartFilter = domain.PartFilter

const partCols = `p.id, p.kind, p.code, p.name, ST_AsBinary(p.geom), p.owner_unit_id, ow.name, p.maintainer_unit_id,
	COALESCE(mt.name, ''), p.state, p.checked_on::text, p.source, p.source_id`

const partFrom = ` FROM parts p JOIN units ow ON ow.id = p.owner_unit_id LEFT JOIN units mt ON mt.id = p.maintainer_unit_id`

func scanPart(r interface{ Scan(...any) error }, pre ...any) (Part, error) {
	var p Part
	var g []byte
	err := r.Scan(append(pre, &p.ID, &p.Kind, &p.Code, &p.Name, &g, &p.OwnerUnitID, &p.OwnerUnitName, &p.MaintainerUnitID,
		&p.MaintainerUnitName, &p.State, &p.CheckedOn, &p.Source, &p.SourceID)...)
	if err != nil {
		return p, mapErr(err)
	}
	p.Geom, err = wkb.Unmarshal(g)
	return p, err
}

// partCode is the SQL of a new part's object code: the given one, else county ($c) + 大类 + 小类 ($m) + the next
// six-digit sequence under that prefix (the unique index refuses a concurrent twin).
func partCode(code, county, classes string) string {
	return `COALESCE(NULLIF(` + code + `::text, ''), (SELECT ` + county + `::text || ` + classes + `::text || lpad((COALESCE(max(substr(x.code, 11, 6)::int), 0) + 1)::text, 6, '0')
		FROM parts x WHERE x.code LIKE ` + county + `::text || ` + classes + `::text || '%'))`
}

// SavePart inserts a part, or with a source and source id already known updates that one (imports are
// idempotent). classes is the kind's 大类 and 小类 (four digits), used when p.Code is empty.
func (s *Store) SavePart(ctx context.Context, p Part, classes string) (Part, bool, error) {
	var id int64
	var created bool
	err := s.db.QueryRow(ctx, `INSERT INTO parts AS t (kind, code, name, geom, owner_unit_id, maintainer_unit_id, state, checked_on, source, source_id)
		VALUES ($1, `+partCode("$2", "$11", "$12")+`, $3, ST_GeomFromWKB($4, 4326), $5, $6, $7, $8::date, $9, $10)
		ON CONFLICT (source, source_id) WHERE source <> '' DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,
			geom = EXCLUDED.geom, owner_unit_id = EXCLUDED.owner_unit_id, maintainer_unit_id = EXCLUDED.maintainer_unit_id,
			state = EXCLUDED.state, checked_on = EXCLUDED.checked_on, updated_at = now()
		RETURNING t.id, (xmax = 0)`,
		p.Kind, p.Code, p.Name, WKB(p.Geom), p.OwnerUnitID, p.MaintainerUnitID, p.State, p.CheckedOn, p.Source, p.SourceID, p.County, classes).Scan(&id, &created)
	if err != nil {
		return Part{}, false, mapErr(err)
	}
	out, err := s.Part(ctx, id)
	return out, created, err
}

// Part returns one part.
func (s *Store) Part(ctx context.Context, id int64) (Part, error) {
	return scanPart(s.db.QueryRow(ctx, `SELECT `+partCols+partFrom+` WHERE p.id = $1`, id))
}

// UpdatePart overwrites a part's fields (its code stays).
func (s *Store) UpdatePart(ctx context.Context, p Part) (Part, error) {
	tag, err := s.db.Exec(ctx, `UPDATE parts SET kind = $2, name = $3, geom = ST_GeomFromWKB($4, 4326), owner_unit_id = $5,
		maintainer_unit_id = $6, state = $7, checked_on = $8::date, updated_at = now() WHERE id = $1`,
		p.ID, p.Kind, p.Name, WKB(p.Geom), p.OwnerUnitID, p.MaintainerUnitID, p.State, p.CheckedOn)
	if err != nil {
		return Part{}, mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return Part{}, ErrNotFound
	}
	return s.Part(ctx, p.ID)
}

// DeletePart deletes a part and returns it.
func (s *Store) DeletePart(ctx context.Context, id int64) (Part, error) {
	p, err := s.Part(ctx, id)
	if err != nil {
		return p, err
	}
	_, err = s.db.Exec(ctx, `DELETE FROM parts WHERE id = $1`, id)
	return p, mapErr(err)
}

// Parts lists parts by kind and bbox, ordered by id.
func (s *Store) Parts(ctx context.Context, f PartFilter) ([]Part, error) {
	var env []float64
	if f.BBox != nil {
		env = []float64{f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1]}
	}
	rows, err := s.db.Query(ctx, `SELECT `+partCols+partFrom+`
		WHERE ($1 = '' OR p.kind = $1) AND ($2::float8[] IS NULL OR p.geom && ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326))
		ORDER BY p.id LIMIT $3`, f.Kind, env, f.Limit)
	if err != nil {
		return nil, mapErr(err)
	}
	return collectParts(rows)
}

func collectParts(rows pgx.Rows, pre ...any) ([]Part, error) {
	defer rows.Close()
	out := []Part{}
	for rows.Next() {
		p, err := scanPart(rows, pre...)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}

// NearestPart returns the part of the kind nearest p within radiusM meters (on the ellipsoid), or ErrNotFound.
func (s *Store) NearestPart(ctx context.Context, kind string, p orb.Point, radiusM float64) (domain.NearPart, error) {
	var d float64
	out, err := scanPart(s.db.QueryRow(ctx, `WITH pin AS (SELECT ST_SetSRID(ST_MakePoint($2, $3), 4326) AS g)
		SELECT ST_Distance(p.geom::geography, pin.g::geography), `+partCols+partFrom+`, pin
		WHERE p.kind = $1 AND ST_DWithin(p.geom::geography, pin.g::geography, $4)
		ORDER BY 1, p.id LIMIT 1`, kind, p[0], p[1], radiusM), &d)
	return domain.NearPart{Part: out, DistanceM: d}, err
}
