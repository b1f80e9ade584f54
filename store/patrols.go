package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/domain"
)

// NetworkAsset is a linear asset as the patrol matcher loads it.
type NetworkAsset struct {
	ID   int64
	Kind string
	Geom orb.Geometry
}

// NetworkVersion returns a value that changes whenever a linear asset is added, changed or deleted (count,
// newest update, id sum), so the matcher's network is rebuilt only then.
func (s *Store) NetworkVersion(ctx context.Context, kinds []string) (string, error) {
	var v string
	err := s.db.QueryRow(ctx, `SELECT count(*)::text || '/' || COALESCE(max(updated_at)::text, '') || '/' || COALESCE(sum(id), 0)::text
		FROM assets WHERE kind = ANY($1)`, kinds).Scan(&v)
	return v, mapErr(err)
}

// NetworkAssets loads every asset of the given (linear) kinds with its geometry.
func (s *Store) NetworkAssets(ctx context.Context, kinds []string) ([]NetworkAsset, error) {
	rows, err := s.db.Query(ctx, `SELECT id, kind, ST_AsBinary(geom) FROM assets WHERE kind = ANY($1) ORDER BY id`, kinds)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []NetworkAsset
	for rows.Next() {
		var a NetworkAsset
		var b []byte
		if err := rows.Scan(&a.ID, &a.Kind, &b); err != nil {
			return nil, err
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, err
		}
		a.Geom = g
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}

// PatrolSegment is one segment of raw fixes.
type PatrolSegment struct {
	Points []orb.Point
	Times  []time.Time
}

// PatrolPiece is one matched stretch to store.
type PatrolPiece struct {
	AssetID     int64
	FromM, ToM  float64
	First, Last time.Time
}

// InsertPatrol stores a patrol with its raw segments and matched pieces in one transaction. When the walker
// already used the idempotency key, nothing is written and the earlier patrol comes back with created false.
func (s *Store) InsertPatrol(ctx context.Context, p domain.Patrol, uploader int64, key string, segs []PatrolSegment, pieces []PatrolPiece) (domain.Patrol, bool, error) {
	var out domain.Patrol
	created := false
	err := s.WithTx(ctx, func(tx *Store) error {
		var k *string
		if key != "" {
			k = &key
		}
		var by *int64 // 0: a command, no user
		if uploader != 0 {
			by = &uploader
		}
		row := tx.db.QueryRow(ctx, `INSERT INTO patrols (user_id, role, uploaded_by, started_at, ended_at, points, kept_points,
				matched_m, assets, format, idempotency_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
			RETURNING `+patrolCols, p.UserID, p.Role, by, p.StartedAt, p.EndedAt, p.Points, p.KeptPoints, p.MatchedM,
			p.Assets, p.Format, k)
		var err error
		out, err = scanPatrol(row)
		if errors.Is(err, ErrNotFound) && k != nil {
			out, err = scanPatrol(tx.db.QueryRow(ctx, `SELECT `+patrolCols+` FROM patrols WHERE user_id = $1 AND idempotency_key = $2`, p.UserID, key))
			return err
		}
		if err != nil {
			return err
		}
		created = true
		for i, sg := range segs {
			if _, err := tx.db.Exec(ctx, `INSERT INTO patrol_tracks (patrol_id, segment, geom, times)
				VALUES ($1, $2, ST_GeomFromWKB($3, 4326), $4)`, out.ID, i, WKB(orb.MultiPoint(sg.Points)), sg.Times); err != nil {
				return mapErr(err)
			}
		}
		if len(pieces) == 0 {
			return nil
		}
		ids, froms, tos := make([]int64, len(pieces)), make([]float64, len(pieces)), make([]float64, len(pieces))
		firsts, lasts := make([]time.Time, len(pieces)), make([]time.Time, len(pieces))
		for i, pc := range pieces {
			ids[i], froms[i], tos[i], firsts[i], lasts[i] = pc.AssetID, pc.FromM, pc.ToM, pc.First, pc.Last
		}
		_, err = tx.db.Exec(ctx, `INSERT INTO patrol_pieces (patrol_id, asset_id, user_id, role, from_m, to_m, first_at, last_at)
			SELECT $1, a, $2, $3, f, t, fa, la FROM unnest($4::bigint[], $5::float8[], $6::float8[], $7::timestamptz[], $8::timestamptz[]) AS x(a, f, t, fa, la)
			WHERE EXISTS (SELECT 1 FROM assets WHERE id = a)`, out.ID, p.UserID, p.Role, ids, froms, tos, firsts, lasts)
		if err != nil {
			return mapErr(err)
		}
		return tx.patrolChanged(ctx, out.ID, ids)
	})
	return out, created, err
}

const patrolCols = `id, user_id, role, started_at, ended_at, points, kept_points, matched_m, assets, format`

func scanPatrol(row pgx.Row) (domain.Patrol, error) {
	var p domain.Patrol
	err := row.Scan(&p.ID, &p.UserID, &p.Role, &p.StartedAt, &p.EndedAt, &p.Points, &p.KeptPoints, &p.MatchedM, &p.Assets, &p.Format)
	return p, mapErr(err)
}

// patrolUnion is the union of the patrol pieces selected by the filter ($1 from, $2 to, $3 role or an empty string), per
// asset: a meter walked twice counts once. Gaps-and-islands: a piece starts a new island when it begins after
// every earlier piece of its asset has ended.
const patrolUnion = `pp AS (
		SELECT asset_id, from_m, to_m, last_at FROM patrol_pieces
		WHERE last_at >= $1 AND first_at < $2 AND ($3 = '' OR role = $3)),
	pm AS (
		SELECT *, max(to_m) OVER (PARTITION BY asset_id ORDER BY from_m, to_m ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
		FROM pp),
	pg AS (
		SELECT *, sum(CASE WHEN reach >= from_m THEN 0 ELSE 1 END) OVER (PARTITION BY asset_id ORDER BY from_m, to_m) AS island
		FROM pm),
	pu AS (
		SELECT asset_id, min(from_m) AS f, max(to_m) AS t, max(last_at) AS last_at FROM pg GROUP BY asset_id, island)`

// PatrolCoverage answers the patrol coverage of linear assets of the given kinds.
func (s *Store) PatrolCoverage(ctx context.Context, f domain.PatrolFilter, kinds []string) (domain.PatrolCoverage, error) {
	out := domain.PatrolCoverage{ByUnit: []domain.PatrolCoverageUnit{}, ByKind: []domain.PatrolCoverageKind{}}
	// $4 kinds, $5 unit (null: all). Unit lines count the coverage pieces the unit leads; kind lines and the
	// total count whole assets, or the asked unit's pieces. Every join is on asset id (hash joins), so the
	// cost grows with pieces and assets, not with their product.
	rows, err := s.db.Query(ctx, `WITH `+patrolUnion+`,
		net AS (SELECT id, kind, length_m FROM assets WHERE kind = ANY($4)),
		-- the pieces each unit leads (only the asked unit's, when one is asked for), with the meters walked on each
		own AS (
			SELECT cp.asset_id, cp.from_m, cp.to_m, u.unit_id FROM coverage_pieces cp
			JOIN net ON net.id = cp.asset_id, unnest(cp.unit_ids) AS u(unit_id)
			WHERE $5::bigint IS NULL OR u.unit_id = $5),
		ow AS (
			SELECT own.asset_id, own.unit_id, own.to_m - own.from_m AS total,
				COALESCE(sum(GREATEST(0, LEAST(pu.t, own.to_m) - GREATEST(pu.f, own.from_m))), 0) AS walked
			FROM own LEFT JOIN pu ON pu.asset_id = own.asset_id AND pu.f < own.to_m AND pu.t > own.from_m
			GROUP BY own.asset_id, own.unit_id, own.from_m, own.to_m),
		-- whole assets, for the totals and kinds when no unit is asked for
		wa AS (
			SELECT pu.asset_id, sum(GREATEST(0, LEAST(pu.t, net.length_m) - GREATEST(pu.f, 0))) AS walked
			FROM pu JOIN net ON net.id = pu.asset_id GROUP BY pu.asset_id)
		SELECT 'kind', net.kind, 0::bigint, sum(net.length_m), COALESCE(sum(wa.walked), 0)
		FROM net LEFT JOIN wa ON wa.asset_id = net.id WHERE $5::bigint IS NULL GROUP BY net.kind
		UNION ALL
		SELECT 'kind', net.kind, 0::bigint, sum(ow.total), sum(ow.walked)
		FROM ow JOIN net ON net.id = ow.asset_id WHERE $5::bigint IS NOT NULL GROUP BY net.kind
		UNION ALL
		SELECT 'unit', u.name, ow.unit_id, sum(ow.total), sum(ow.walked) FROM ow JOIN units u ON u.id = ow.unit_id GROUP BY ow.unit_id, u.name
		ORDER BY 1, 3, 2`, f.From, f.To, f.Role, kinds, f.UnitID)
	if err != nil {
		return out, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var what, name string
		var unit int64
		var total, walked float64
		if err := rows.Scan(&what, &name, &unit, &total, &walked); err != nil {
			return out, err
		}
		walked = min(walked, total)
		if what == "kind" {
			out.TotalM += total
			out.PatrolledM += walked
			out.ByKind = append(out.ByKind, domain.PatrolCoverageKind{Kind: name, TotalM: total, PatrolledM: walked, Percent: domain.Percent(walked, total)})
		} else {
			out.ByUnit = append(out.ByUnit, domain.PatrolCoverageUnit{UnitID: unit, Name: name, TotalM: total, PatrolledM: walked, Percent: domain.Percent(walked, total)})
		}
	}
	out.Percent = domain.Percent(out.PatrolledM, out.TotalM)
	return out, mapErr(rows.Err())
}

// AssetPatrols returns the walked stretches of one asset in the window, split wherever the set of patrols
// covering it changes; ErrNotFound for an unknown asset.
func (s *Store) AssetPatrols(ctx context.Context, assetID int64, from, to time.Time) (domain.AssetPatrols, error) {
	out := domain.AssetPatrols{AssetID: assetID, Pieces: []domain.AssetPatrolPiece{}}
	if err := s.db.QueryRow(ctx, `SELECT length_m FROM assets WHERE id = $1`, assetID).Scan(&out.LengthM); err != nil {
		return out, mapErr(err)
	}
	// Breakpoints of every piece; each elementary stretch between them counts the patrols over it.
	rows, err := s.db.Query(ctx, `WITH p AS (
			SELECT patrol_id, from_m, to_m, last_at FROM patrol_pieces WHERE asset_id = $1 AND last_at >= $2 AND first_at < $3),
		b AS (SELECT DISTINCT m FROM (SELECT from_m AS m FROM p UNION SELECT to_m FROM p) x),
		e AS (SELECT m AS f, lead(m) OVER (ORDER BY m) AS t FROM b)
		SELECT e.f, e.t, count(DISTINCT p.patrol_id), max(p.last_at)
		FROM e JOIN p ON p.from_m <= e.f AND p.to_m >= e.t
		WHERE e.t IS NOT NULL AND e.t > e.f
		GROUP BY e.f, e.t ORDER BY e.f`, assetID, from, to)
	if err != nil {
		return out, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pc domain.AssetPatrolPiece
		if err := rows.Scan(&pc.FromM, &pc.ToM, &pc.Visits, &pc.LastAt); err != nil {
			return out, err
		}
		// neighbours with the same visits and last time are one piece
		if n := len(out.Pieces); n > 0 && out.Pieces[n-1].ToM == pc.FromM && out.Pieces[n-1].Visits == pc.Visits && out.Pieces[n-1].LastAt.Equal(pc.LastAt) {
			out.Pieces[n-1].ToM = pc.ToM
			continue
		}
		out.Pieces = append(out.Pieces, pc)
	}
	return out, mapErr(rows.Err())
}

// StaleFilter selects the stretches GET /api/v1/patrols/stale lists.
type StaleFilter struct {
	Since  time.Time // visits at or after this count as recent
	Now    time.Time
	Kinds  []string
	UnitID *int64
	Limit  int
	BBox   *orb.Bound // only stretches of assets meeting it (nil: everywhere)
}

// StalePatrols returns a GeoJSON FeatureCollection (built by PostGIS) of the stretches of linear assets not
// walked since f.Since, each with the days since its last visit (null: never walked): em_patrol_stale's
// answer, as the OGC collection and tile layer of stale stretches give it.
func (s *Store) StalePatrols(ctx context.Context, f StaleFilter) (json.RawMessage, error) {
	var b []byte
	err := s.db.QueryRow(ctx, `WITH st AS (
			SELECT a.id, g.from_m AS gf, g.to_m AS gt, a.kind, a.name, a.length_m, a.geom, g.last_at
			FROM assets a CROSS JOIN LATERAL em_patrol_stale(a.id, a.length_m, $1, $2) g
			WHERE a.kind = ANY($3) AND a.length_m > 0 AND `+onUnit("4")+`
				AND ($7::float8[] IS NULL OR a.geom && ST_MakeEnvelope($7[1], $7[2], $7[3], $7[4], 4326))
			ORDER BY a.id, g.from_m
			LIMIT $6)
		SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
			'type', 'Feature',
			'geometry', ST_AsGeoJSON(em_line_sub(geom, gf, gt), 7)::json,
			'properties', json_build_object('asset_id', id, 'kind', kind, 'name', name, 'from_m', gf, 'to_m', gt,
				'last_at', last_at,
				'days_since', CASE WHEN last_at IS NULL THEN NULL ELSE floor(extract(epoch FROM $5 - last_at) / 86400)::int END))
			ORDER BY id, gf), '[]'::json))
		FROM st`, f.Since, f.Now.Add(time.Hour), f.Kinds, f.UnitID, f.Now, f.Limit, envelope(f.BBox)).Scan(&b)
	return b, mapErr(err)
}

// PatrolTrack returns a patrol's raw points as a GeoJSON FeatureCollection of MultiPoints (one a segment,
// with their times) and the walker's id; ErrNotFound for an unknown patrol.
func (s *Store) PatrolTrack(ctx context.Context, id int64) (domain.PatrolTrack, error) {
	var t domain.PatrolTrack
	var b []byte
	err := s.db.QueryRow(ctx, `SELECT p.user_id, json_build_object('type', 'FeatureCollection', 'patrol_id', p.id,
			'points_purged_at', p.points_purged_at,
			'features', COALESCE((SELECT json_agg(json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(t.geom, 7)::json,
				'properties', json_build_object('segment', t.segment, 'times', t.times)) ORDER BY t.segment)
				FROM patrol_tracks t WHERE t.patrol_id = p.id), '[]'::json))
		FROM patrols p WHERE p.id = $1`, id).Scan(&t.UserID, &b)
	t.GeoJSON = b
	return t, mapErr(err)
}

// PurgePatrolPoints deletes the raw points of patrols that ended before cutoff, keeping the patrols and
// their matched pieces; it returns how many patrols lost their points.
func (s *Store) PurgePatrolPoints(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.WithTx(ctx, func(tx *Store) error {
		rows, err := tx.db.Query(ctx, `UPDATE patrols SET points_purged_at = now()
			WHERE ended_at < $1 AND points_purged_at IS NULL RETURNING id`, cutoff)
		if err != nil {
			return mapErr(err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		n = int64(len(ids))
		_, err = tx.db.Exec(ctx, `DELETE FROM patrol_tracks WHERE patrol_id = ANY($1)`, ids)
		return mapErr(err)
	})
	return n, err
}

// PatrolLayer returns a GeoJSON FeatureCollection (built by PostGIS) of every stretch of the linear assets
// in bbox (all when nil), split where the last visit changes, each with the days since its last visit in the
// 366 days before now (null: not walked then).
func (s *Store) PatrolLayer(ctx context.Context, bbox *orb.Bound, kinds []string, role string, now time.Time, limit int) (json.RawMessage, error) {
	env := envelope(bbox)
	var b []byte
	err := s.db.QueryRow(ctx, `WITH net AS (
			SELECT a.id, a.kind, a.name, a.length_m, a.geom FROM assets a
			WHERE a.kind = ANY($1) AND a.length_m > 0 AND GeometryType(a.geom) = 'LINESTRING'
				AND ($2::float8[] IS NULL OR a.geom && ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326))
			ORDER BY a.id LIMIT $5),
		p AS (
			SELECT p.asset_id, p.from_m, p.to_m, p.last_at FROM patrol_pieces p JOIN net ON net.id = p.asset_id
			WHERE p.last_at >= $3::timestamptz - interval '366 days' AND ($4 = '' OR p.role = $4)),
		b AS (
			SELECT id, 0::float8 AS m FROM net UNION SELECT id, length_m FROM net
			UNION SELECT asset_id, LEAST(from_m, length_m) FROM p JOIN net ON net.id = p.asset_id
			UNION SELECT asset_id, LEAST(to_m, length_m) FROM p JOIN net ON net.id = p.asset_id),
		e AS (SELECT id, m AS f, lead(m) OVER (PARTITION BY id ORDER BY m) AS t FROM b),
		st AS (
			SELECT e.id, e.f, e.t, (SELECT max(p.last_at) FROM p WHERE p.asset_id = e.id AND p.from_m <= e.f AND p.to_m >= e.t) AS last_at
			FROM e WHERE e.t > e.f)
		SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
			'type', 'Feature',
			'geometry', ST_AsGeoJSON(ST_LineSubstring(net.geom, st.f / net.length_m, LEAST(1, st.t / net.length_m)), 7)::json,
			'properties', json_build_object('asset_id', net.id, 'kind', net.kind, 'name', net.name, 'from_m', st.f, 'to_m', st.t,
				'last_at', st.last_at,
				'days_since', CASE WHEN st.last_at IS NULL THEN NULL ELSE floor(extract(epoch FROM $3::timestamptz - st.last_at) / 86400)::int END))
			ORDER BY net.id, st.f), '[]'::json))
		FROM st JOIN net ON net.id = st.id`, kinds, env, now, role, limit).Scan(&b)
	return b, mapErr(err)
}
