package store

import (
	"context"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/domain"
)

// Zone is domain.Zone (the definition moved to package domain).
type Zone = domain.Zone

const zoneCols = `id, name, unit_id, role, kind, ST_AsBinary(geom), valid_from, valid_to, created_at, updated_at`

func scanZone(r interface{ Scan(...any) error }) (Zone, error) {
	var z Zone
	var g []byte
	err := r.Scan(&z.ID, &z.Name, &z.UnitID, &z.Role, &z.Kind, &g, &z.ValidFrom, &z.ValidTo, &z.CreatedAt, &z.UpdatedAt)
	if err != nil {
		return z, mapErr(err)
	}
	z.Geom, err = wkb.Unmarshal(g)
	return z, err
}

// CreateZone inserts a zone; polygons are stored as MultiPolygons.
func (s *Store) CreateZone(ctx context.Context, z Zone) (Zone, error) {
	return scanZone(s.db.QueryRow(ctx, `INSERT INTO zones (name, unit_id, role, kind, geom, valid_from, valid_to)
		VALUES ($1, $2, $3, $4, ST_Multi(ST_GeomFromWKB($5, 4326)), $6, $7) RETURNING `+zoneCols,
		z.Name, z.UnitID, z.Role, z.Kind, WKB(z.Geom), z.ValidFrom, z.ValidTo))
}

// Zone returns one zone.
func (s *Store) Zone(ctx context.Context, id int64) (Zone, error) {
	return scanZone(s.db.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE id = $1`, id))
}

// ZoneForUpdate returns one zone, locking it for the transaction.
func (s *Store) ZoneForUpdate(ctx context.Context, id int64) (Zone, error) {
	return scanZone(s.db.QueryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE id = $1 FOR UPDATE`, id))
}

// UpdateZone overwrites a zone.
func (s *Store) UpdateZone(ctx context.Context, z Zone) (Zone, error) {
	return scanZone(s.db.QueryRow(ctx, `UPDATE zones SET name = $2, unit_id = $3, role = $4, kind = $5,
		geom = ST_Multi(ST_GeomFromWKB($6, 4326)), valid_from = $7, valid_to = $8, updated_at = now()
		WHERE id = $1 RETURNING `+zoneCols, z.ID, z.Name, z.UnitID, z.Role, z.Kind, WKB(z.Geom), z.ValidFrom, z.ValidTo))
}

// DeleteZone deletes a zone.
func (s *Store) DeleteZone(ctx context.Context, id int64) (Zone, error) {
	return scanZone(s.db.QueryRow(ctx, `DELETE FROM zones WHERE id = $1 RETURNING `+zoneCols, id))
}

// Zones lists zones intersecting bbox (all when nil), ordered by id.
func (s *Store) Zones(ctx context.Context, bbox *orb.Bound) ([]Zone, error) {
	w := where{}
	if bbox != nil {
		w.add("geom && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", bbox.Min[0], bbox.Min[1], bbox.Max[0], bbox.Max[1])
	}
	rows, err := s.db.Query(ctx, `SELECT `+zoneCols+` FROM zones WHERE `+w.sql()+` ORDER BY id`, w.args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Zone{}
	for rows.Next() {
		z, err := scanZone(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, z)
	}
	return out, mapErr(rows.Err())
}
