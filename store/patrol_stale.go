package store

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/vocab"
)

// StaleDays is how long unwalked a stretch must be to be in the stale collection and tile layer: the default of
// GET /api/v1/patrols/stale, whose answer they give (em_patrol_stale).
const StaleDays = 7

// staleFrom is the FROM clause of the stale stretches at the time expression now (constant SQL): every linear
// asset's stretches not walked in StaleDays days, t, and their line, s.g.
func staleFrom(now string) string {
	return `assets a CROSS JOIN LATERAL em_patrol_stale(a.id, a.length_m, ` + now + ` - interval '` + strconv.Itoa(StaleDays) + ` days', ` +
		now + ` + interval '1 hour') t
		CROSS JOIN LATERAL (SELECT em_line_sub(a.geom, t.from_m, t.to_m) AS g) s`
}

// staleCond keeps the linear assets (constant SQL).
var staleCond = `a.kind IN ('` + strings.Join(vocab.Strings(vocab.LinearKinds), `', '`) + `') AND a.length_m > 0`

// staleDaysSince is the whole days from the last visit to now (null: never walked).
func staleDaysSince(now string) string {
	return `CASE WHEN t.last_at IS NULL THEN NULL ELSE floor(extract(epoch FROM ` + now + ` - t.last_at) / 86400)::int END`
}

// staleCollection is the OGC API – Features collection of stale stretches (same answer as /patrols/stale?days=7).
var staleCollection = ogcDef{
	ID: "patrol_stale", Title: "Stretches not patrolled in 7 days (7天未巡查路段)", GeometryType: "LineString", StringIDs: true, Patrols: true,
	Description: "Stretches of roads and alleys no patrol walked in the last 7 days, with the days since the last visit (null: never), as GET /api/v1/patrols/stale?days=7 answers.",
	from:        staleFrom("now()"), cond: staleCond, geom: "s.g", idx: "a.geom",
	// the coverage pieces' stretch properties (asset, name, kind, from, to, length), then the visit's
	Props: append(slices.Clip(pieceProps[:6]),
		ogcProp{Name: "last_at", Type: "date-time", expr: "t.last_at"},
		ogcProp{Name: "days_since", Type: "integer", expr: staleDaysSince("now()")}),
}

// staleHour is the time the stale tile layer is computed at: the hour, so a cached tile stays right until the
// hour changes (its cache key carries the hour, TileEpoch) or a patrol upload nearby invalidates it.
const staleHour = "date_trunc('hour', now())"

// staleTileLayer is the vector tile layer of stale stretches. The tile's bbox test is on the asset (the index),
// before the stretches are computed: cond may use the tile parameters $1–$4 that TileQuery always binds.
var staleTileLayer = &TileLayer{
	TileLayer: domain.TileLayer{Name: "patrol_stale", GeomType: "LineString", MinZoom: 0, MaxZoom: 22, Patrols: true,
		Fields: map[string]string{"asset_id": "Number", "name": "String", "kind": "String", "from_m": "Number", "to_m": "Number", "days_since": "Number"}},
	from:  staleFrom(staleHour),
	cond:  staleCond + ` AND a.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $4), 4326)`,
	geom:  "s.g",
	props: "t.asset_id, a.name, a.kind, t.from_m, t.to_m, " + staleDaysSince(staleHour) + " AS days_since",
	order: "t.asset_id, t.from_m", simplifyOK: true,
}

// TileEpoch is the part of a layer's tile cache key that time changes: the hour for the stale layer (what is
// stale changes as time passes, with no write to announce it), "" for every other layer.
func TileEpoch(layer string, now time.Time) string {
	if layer != staleTileLayer.Name {
		return ""
	}
	return "hour:" + now.UTC().Format("2006010215")
}

// patrolChanged records that a patrol credited the assets: the stale stretches of each can change anywhere
// along it (their ends and measures), so the change covers the assets' whole extent.
func (s *Store) patrolChanged(ctx context.Context, id int64, assets []int64) error {
	var b []byte
	if err := s.db.QueryRow(ctx, `SELECT ST_AsBinary(ST_Extent(geom)::geometry) FROM assets WHERE id = ANY($1)`, assets).Scan(&b); err != nil {
		return mapErr(err)
	}
	if b == nil {
		return nil
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return err
	}
	s.Changed(change.Patrol, id, g.Bound())
	return nil
}

// envelope is a bbox as the $n::float8[] the queries take (nil: none).
func envelope(b *orb.Bound) []float64 {
	if b == nil {
		return nil
	}
	return []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
}

// OwnRoute returns a walker's matched stretches walked in [from, to) as a GeoJSON FeatureCollection (built by
// PostGIS; each piece the stretch of its asset's centreline) and their meters.
func (s *Store) OwnRoute(ctx context.Context, userID int64, from, to time.Time) (json.RawMessage, float64, error) {
	var b []byte
	var m float64
	err := s.db.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
			'type', 'Feature',
			'geometry', ST_AsGeoJSON(em_line_sub(a.geom, p.from_m, p.to_m), 7)::json,
			'properties', json_build_object('patrol_id', p.patrol_id, 'asset_id', p.asset_id, 'name', a.name,
				'from_m', p.from_m, 'to_m', p.to_m, 'last_at', p.last_at)) ORDER BY p.id), '[]'::json)),
			COALESCE(sum(LEAST(p.to_m, a.length_m) - p.from_m), 0)
		FROM patrol_pieces p JOIN assets a ON a.id = p.asset_id
		WHERE p.user_id = $1 AND p.last_at >= $2 AND p.first_at < $3`, userID, from, to).Scan(&b, &m)
	return b, m, mapErr(err)
}
