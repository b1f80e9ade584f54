package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"everymeter/domain"
	"everymeter/vocab"
)

// crossStreetM is how near the end of a stretch another named road must pass to name that end.
const crossStreetM = 25

// Signs lists the responsibility stretches now in force, each as its sign board shows it: lead assignments
// ("A<id>") and the parts of line assets inside lead zones ("Z<zone>-<asset>"), optionally of one unit or one
// code. Ends are named by the nearest other named road passing within crossStreetM of them. Measures along the
// road are the ellipsoidal length times the planar fraction (ST_LineLocatePoint is planar), which at a county's
// scale differs by far less than a sign's rounding.
func (s *Store) Signs(ctx context.Context, unitID *int64, code string, limit int) ([]domain.Sign, error) {
	rows, err := s.db.Query(ctx, `WITH line AS (
			SELECT id, name, length_m, ST_LineMerge(geom) AS g FROM assets
			WHERE GeometryType(ST_LineMerge(geom)) = 'LINESTRING' AND length_m > 0),
		st AS (
			SELECT 'A' || a.id AS code, a.asset_id, a.unit_id, a.from_m, LEAST(a.to_m, l.length_m) AS to_m, a.person, a.phone
			FROM assignments a JOIN line l ON l.id = a.asset_id
			WHERE a.role = $1 AND (a.valid_from IS NULL OR a.valid_from <= now()) AND (a.valid_to IS NULL OR a.valid_to > now())
			UNION ALL
			SELECT 'Z' || z.id || '-' || l.id, l.id, z.unit_id, p.f * l.length_m, p.t * l.length_m, '', ''
			FROM zones z JOIN line l ON l.g && z.geom AND ST_Intersects(l.g, z.geom)
			CROSS JOIN LATERAL (
				SELECT min(ST_LineLocatePoint(l.g, ST_StartPoint(d.geom))) AS f, max(ST_LineLocatePoint(l.g, ST_EndPoint(d.geom))) AS t
				FROM ST_Dump(ST_LineMerge(ST_CollectionExtract(ST_Intersection(l.g, z.geom), 2))) d) p
			WHERE z.role = $1 AND (z.valid_from IS NULL OR z.valid_from <= now()) AND (z.valid_to IS NULL OR z.valid_to > now())
				AND p.t > p.f)
		SELECT st.code, st.asset_id, l.name, st.from_m, st.to_m, u.id, u.name,
			COALESCE(NULLIF(st.person, ''), u.contact_person), COALESCE(NULLIF(st.phone, ''), u.phone),
			COALESCE((SELECT o.name FROM assets o WHERE o.id <> l.id AND o.name <> '' AND o.name <> l.name
				AND ST_DWithin(o.geom::geography, ST_LineInterpolatePoint(l.g, st.from_m / l.length_m)::geography, $4)
				ORDER BY o.geom::geography <-> ST_LineInterpolatePoint(l.g, st.from_m / l.length_m)::geography LIMIT 1), ''),
			COALESCE((SELECT o.name FROM assets o WHERE o.id <> l.id AND o.name <> '' AND o.name <> l.name
				AND ST_DWithin(o.geom::geography, ST_LineInterpolatePoint(l.g, st.to_m / l.length_m)::geography, $4)
				ORDER BY o.geom::geography <-> ST_LineInterpolatePoint(l.g, st.to_m / l.length_m)::geography LIMIT 1), ''),
			ST_X(ST_LineInterpolatePoint(l.g, (st.from_m + st.to_m) / 2 / l.length_m)),
			ST_Y(ST_LineInterpolatePoint(l.g, (st.from_m + st.to_m) / 2 / l.length_m))
		FROM st JOIN line l ON l.id = st.asset_id JOIN units u ON u.id = st.unit_id
		WHERE ($2::bigint IS NULL OR st.unit_id = $2) AND ($3 = '' OR st.code = $3)
		ORDER BY u.code, l.name, st.asset_id, st.from_m, st.code
		LIMIT $5`, vocab.Lead, unitID, code, crossStreetM, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Sign, error) {
		var g domain.Sign
		err := r.Scan(&g.Code, &g.AssetID, &g.RoadName, &g.FromM, &g.ToM, &g.UnitID, &g.UnitName, &g.Person, &g.Phone,
			&g.StartName, &g.EndName, &g.Lon, &g.Lat)
		g.LengthM = g.ToM - g.FromM
		g.Duties = []string{}
		return g, err
	})
	if out == nil {
		out = []domain.Sign{}
	}
	return out, mapErr(err)
}
