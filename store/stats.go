package store

import (
	"context"
	"time"

	"everymeter/domain"
	"everymeter/vocab"
)

// UnitCounts is domain.UnitCounts (the definition moved to package domain).
type UnitCounts = domain.UnitCounts

// UnitTally is how many of one unit's reports created in a period share a status and the facts the indicators
// read; the service folds tallies into indicators (service/stats.go), so that what counts as due, handled or on
// time is decided there, not in SQL.
type UnitTally struct {
	UnitID     int64
	Status     string
	Reworked   bool // rework_count > 0
	Extended   bool // extension_count > 0
	OnTime     bool // resolved (or closed) no later than the deadline
	OverdueNow bool // the deadline passed before now
	N          int64
	ClosedN    int64   // of them, closed with a closing time
	ClosedH    float64 // their hours from dispatch (or filing) to closing, summed
}

// UnitTallies tallies the reports created in [from, to) that a unit holds; now judges overdue.
func (s *Store) UnitTallies(ctx context.Context, from, to, now time.Time) ([]UnitTally, error) {
	rows, err := s.db.Query(ctx, `SELECT unit_id, status, rework_count > 0, extension_count > 0,
			COALESCE(deadline IS NOT NULL AND COALESCE(resolved_at, closed_at) <= deadline, false),
			COALESCE(deadline < $3, false),
			count(*), count(closed_at),
			COALESCE(sum(extract(epoch FROM closed_at - COALESCE(dispatched_at, created_at)) / 3600), 0)
		FROM reports WHERE created_at >= $1 AND created_at < $2 AND unit_id IS NOT NULL
		GROUP BY 1, 2, 3, 4, 5, 6`, from, to, now)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []UnitTally
	for rows.Next() {
		var t UnitTally
		if err := rows.Scan(&t.UnitID, &t.Status, &t.Reworked, &t.Extended, &t.OnTime, &t.OverdueNow, &t.N, &t.ClosedN, &t.ClosedH); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

// UnitLead is a unit with the meters of road it leads (coverage pieces covered or overlap).
type UnitLead struct {
	UnitID     int64
	Code, Name string
	LeadM      float64
}

// UnitLeads lists every unit, by code, with the meters it leads.
func (s *Store) UnitLeads(ctx context.Context) ([]UnitLead, error) {
	rows, err := s.db.Query(ctx, `WITH k AS (SELECT u AS unit_id, sum(p.to_m - p.from_m) AS lead_m
			FROM coverage_pieces p, unnest(p.unit_ids) AS u WHERE p.status = ANY($1) GROUP BY u)
		SELECT u.id, u.code, u.name, COALESCE(k.lead_m, 0) FROM units u LEFT JOIN k ON k.unit_id = u.id ORDER BY u.code`,
		ownedCoverages)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []UnitLead
	for rows.Next() {
		var u UnitLead
		if err := rows.Scan(&u.UnitID, &u.Code, &u.Name, &u.LeadM); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, u)
	}
	return out, mapErr(rows.Err())
}

// InspectorCounts is domain.InspectorCounts (the definition moved to package domain).
type InspectorCounts = domain.InspectorCounts

// InspectorCounts counts, for every inspector and every user who filed or verified a report in [from, to).
func (s *Store) InspectorCounts(ctx context.Context, from, to time.Time) ([]InspectorCounts, error) {
	rows, err := s.db.Query(ctx, `WITH rep AS (
			SELECT reporter_id AS uid, count(*) AS reported,
				count(*) FILTER (WHERE status <> ALL($3)) AS valid
			FROM reports WHERE created_at >= $1 AND created_at < $2 AND reporter_id IS NOT NULL GROUP BY reporter_id),
		ver AS (
			SELECT e.actor_id AS uid, count(*) AS n,
				count(*) FILTER (WHERE e.at <= r.resolved_at + interval '24 hours') AS on_time,
				avg(extract(epoch FROM e.at - r.resolved_at) / 3600) AS avg_h
			FROM report_events e JOIN reports r ON r.id = e.report_id
			WHERE e.action = ANY($4) AND e.actor_id IS NOT NULL AND r.resolved_at IS NOT NULL
				AND e.at >= $1 AND e.at < $2
			GROUP BY e.actor_id)
		SELECT u.id, u.username, COALESCE(rep.reported, 0), COALESCE(rep.valid, 0), COALESCE(ver.n, 0),
			COALESCE(ver.on_time, 0), ver.avg_h
		FROM users u LEFT JOIN rep ON rep.uid = u.id LEFT JOIN ver ON ver.uid = u.id
		WHERE u.role = $5 OR rep.uid IS NOT NULL OR ver.uid IS NOT NULL ORDER BY u.username`, from, to,
		discardedStatuses, verifyingActions, string(vocab.Inspector))
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []InspectorCounts{}
	for rows.Next() {
		var c InspectorCounts
		if err := rows.Scan(&c.UserID, &c.Username, &c.Reported, &c.Valid, &c.Verifications, &c.VerifiedOnTime, &c.AvgHoursVerify); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// TrendPoint is domain.TrendPoint (the definition moved to package domain).
type TrendPoint = domain.TrendPoint

// Trend counts reports created and closed per interval (day, week or month; UTC) in [from, to), every bucket
// present (zeros included). unitID nil: all units.
func (s *Store) Trend(ctx context.Context, interval string, from, to time.Time, unitID *int64, category string) ([]TrendPoint, error) {
	rows, err := s.db.Query(ctx, `WITH b AS (
			SELECT generate_series(date_trunc($1, $2::timestamptz AT TIME ZONE 'UTC'),
				$3::timestamptz AT TIME ZONE 'UTC' - interval '1 microsecond', ('1 ' || $1)::interval) AS t),
		c AS (SELECT date_trunc($1, created_at AT TIME ZONE 'UTC') AS t, count(*) AS n FROM reports
			WHERE created_at >= $2 AND created_at < $3 AND ($4::bigint IS NULL OR unit_id = $4) AND ($5 = '' OR category_code = $5)
			GROUP BY 1),
		d AS (SELECT date_trunc($1, closed_at AT TIME ZONE 'UTC') AS t, count(*) AS n FROM reports
			WHERE closed_at >= $2 AND closed_at < $3 AND ($4::bigint IS NULL OR unit_id = $4) AND ($5 = '' OR category_code = $5)
			GROUP BY 1)
		SELECT b.t AT TIME ZONE 'UTC', COALESCE(c.n, 0), COALESCE(d.n, 0) FROM b LEFT JOIN c USING (t) LEFT JOIN d USING (t)
		ORDER BY b.t`, interval, from, to, unitID, category)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []TrendPoint{}
	for rows.Next() {
		var p TrendPoint
		if err := rows.Scan(&p.T, &p.Created, &p.Closed); err != nil {
			return nil, mapErr(err)
		}
		p.T = p.T.UTC()
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}

// OverdueItem is domain.OverdueItem (the definition moved to package domain).
type OverdueItem = domain.OverdueItem

// WorstOverdue returns the limit reports whose clock runs furthest past the deadline at now; only limits them to
// one unit's (nil: every unit).
func (s *Store) WorstOverdue(ctx context.Context, now time.Time, limit int, only *int64) ([]OverdueItem, error) {
	rows, err := s.db.Query(ctx, `SELECT r.id, r.category_code, c.name_zh, r.address, r.unit_id, u.name, r.deadline, r.status, r.created_at
		FROM reports r JOIN units u ON u.id = r.unit_id JOIN categories c ON c.code = r.category_code
		WHERE r.status IN `+runningStatusList+` AND r.deadline < $1 AND ($3::bigint IS NULL OR r.unit_id = $3)
		ORDER BY r.deadline, r.id LIMIT $2`, now, limit, only)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []OverdueItem{}
	for rows.Next() {
		var o OverdueItem
		if err := rows.Scan(&o.ID, &o.CategoryCode, &o.CategoryName, &o.Address, &o.UnitID, &o.UnitName, &o.Deadline, &o.Status, &o.CreatedAt); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, o)
	}
	return out, mapErr(rows.Err())
}

// Hotspot is domain.Hotspot (the definition moved to package domain).
type Hotspot = domain.Hotspot

// HotspotBinM is the length of the measure bins along an asset; HotspotLevel the grid level (2^6 = 64 Mercator
// meters, about 50 m on the ground at 40° latitude) of reports not tied to an asset.
const (
	HotspotBinM  = 50
	HotspotLevel = 6
)

// Hotspots groups the reports created in [from, to) by asset and 50 m measure bin (reports routed by nearest
// meter carry asset_id and measure_m), or else by 64 m Mercator cell, and keeps the groups with a reopened
// report or with at least minRepeat reports of one category; most reports first. only limits the reports to one
// unit's (nil: every unit).
func (s *Store) Hotspots(ctx context.Context, from, to time.Time, minRepeat, limit int, only *int64) ([]Hotspot, error) {
	rows, err := s.db.Query(ctx, `WITH r AS (
			SELECT r.id, r.category_code, r.reopen_count, r.created_at, r.geom,
				CASE WHEN r.asset_id IS NOT NULL AND r.measure_m IS NOT NULL THEN r.asset_id END AS aid,
				CASE WHEN r.asset_id IS NOT NULL AND r.measure_m IS NOT NULL THEN floor(r.measure_m / $3)::int END AS bin,
				CASE WHEN r.asset_id IS NULL OR r.measure_m IS NULL THEN floor(ST_X(heat_merc(r.geom)) / $4)::int END AS cx,
				CASE WHEN r.asset_id IS NULL OR r.measure_m IS NULL THEN floor(ST_Y(heat_merc(r.geom)) / $4)::int END AS cy
			FROM reports r WHERE r.created_at >= $1 AND r.created_at < $2 AND ($7::bigint IS NULL OR r.unit_id = $7)),
		bycat AS (
			SELECT aid, bin, cx, cy, category_code, count(*) AS n FROM r GROUP BY 1, 2, 3, 4, 5),
		g AS (
			SELECT aid, bin, cx, cy, count(*) AS n, count(*) FILTER (WHERE reopen_count > 0) AS reopened,
				ST_X(ST_Centroid(ST_Collect(geom))) AS lon, ST_Y(ST_Centroid(ST_Collect(geom))) AS lat,
				min(created_at) AS first_at, max(created_at) AS last_at
			FROM r GROUP BY 1, 2, 3, 4)
		SELECT g.aid, COALESCE(a.name, ''), g.bin * $3::float8, (g.bin + 1) * $3::float8, COALESCE(g.cx, 0), COALESCE(g.cy, 0),
			g.lon, g.lat, g.n, g.reopened,
			EXISTS (SELECT 1 FROM bycat b WHERE b.aid IS NOT DISTINCT FROM g.aid AND b.bin IS NOT DISTINCT FROM g.bin
				AND b.cx IS NOT DISTINCT FROM g.cx AND b.cy IS NOT DISTINCT FROM g.cy AND b.n >= $5),
			(SELECT json_agg(json_build_object('code', b.category_code, 'name_zh', c.name_zh, 'count', b.n) ORDER BY b.n DESC, b.category_code)
				FROM bycat b JOIN categories c ON c.code = b.category_code
				WHERE b.aid IS NOT DISTINCT FROM g.aid AND b.bin IS NOT DISTINCT FROM g.bin
				AND b.cx IS NOT DISTINCT FROM g.cx AND b.cy IS NOT DISTINCT FROM g.cy),
			g.first_at, g.last_at
		FROM g LEFT JOIN assets a ON a.id = g.aid
		WHERE g.reopened > 0 OR g.n >= $5
		ORDER BY g.n DESC, g.reopened DESC, g.aid, g.bin, g.cx, g.cy LIMIT $6`,
		from, to, float64(HotspotBinM), float64(int64(1)<<HotspotLevel), minRepeat, limit, only)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Hotspot{}
	for rows.Next() {
		var h Hotspot
		var fromM, toM *float64
		if err := rows.Scan(&h.AssetID, &h.AssetName, &fromM, &toM, &h.CX, &h.CY, &h.Lon, &h.Lat, &h.Count, &h.Reopened,
			&h.Repeat, &h.Categories, &h.FirstAt, &h.LastAt); err != nil {
			return nil, mapErr(err)
		}
		if h.AssetID != nil {
			h.FromM, h.ToM = fromM, toM
		} else {
			h.CellLevel = HotspotLevel
		}
		out = append(out, h)
	}
	return out, mapErr(rows.Err())
}

// MapLayers is domain.MapLayers (the definition moved to package domain).
type MapLayers = domain.MapLayers

// MapCell is domain.MapCell (the definition moved to package domain).
type MapCell = domain.MapCell

// BriefingMap returns lead-zone outlines (simplified) and the outstanding-report cells at level over the extent
// of the zones (or of the reports when there are no zones).
//
// only limits the report cells to one unit's (nil: every unit); the zones are drawn for everyone.
func (s *Store) BriefingMap(ctx context.Context, level int, only *int64) (MapLayers, error) {
	var m MapLayers
	var x0, y0, x1, y1 *float64
	err := s.db.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
		SELECT COALESCE((SELECT ST_Extent(ST_Transform(geom, 3857)) FROM zones WHERE role = 'lead'),
			(SELECT ST_Extent(ST_Transform(geom, 3857)) FROM coverage_pieces),
			(SELECT ST_Extent(heat_merc(geom)) FROM reports WHERE $1::bigint IS NULL OR unit_id = $1))::box2d AS e) x`, only).Scan(&x0, &y0, &x1, &y1)
	if err != nil {
		return m, mapErr(err)
	}
	if x0 == nil || *x1 <= *x0 || *y1 <= *y0 {
		return m, nil
	}
	m.MinX, m.MinY, m.Width, m.Height = *x0, -*y1, *x1-*x0, *y1-*y0
	tol := max(m.Width, m.Height) / 400
	rows, err := s.db.Query(ctx, `SELECT ST_AsSVG(ST_SimplifyPreserveTopology(ST_Transform(geom, 3857), $1), 0, 0)
		FROM zones WHERE role = 'lead' ORDER BY id`, tol)
	if err != nil {
		return m, mapErr(err)
	}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			rows.Close()
			return m, mapErr(err)
		}
		m.Zones = append(m.Zones, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, mapErr(err)
	}
	// The coverage map: pieces merged per status, simplified to a tenth of a pixel of a 4000-unit-wide page.
	rows, err = s.db.Query(ctx, `SELECT status = 'gap', ST_AsSVG(ST_Simplify(ST_Transform(ST_Collect(geom), 3857), $1), 0, 1)
		FROM coverage_pieces GROUP BY status = 'gap' ORDER BY 1`, tol/4)
	if err != nil {
		return m, mapErr(err)
	}
	for rows.Next() {
		var gap bool
		var d *string
		if err := rows.Scan(&gap, &d); err != nil {
			rows.Close()
			return m, mapErr(err)
		}
		if d == nil {
			continue
		}
		if gap {
			m.Gaps = append(m.Gaps, *d)
		} else {
			m.Covered = append(m.Covered, *d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, mapErr(err)
	}
	size := float64(int64(1) << level)
	rows, err = s.db.Query(ctx, `SELECT cx, cy, sum(n) FROM heat_cells WHERE level = $1
		AND status <> ALL($2) AND ($3::bigint IS NULL OR unit_id = $3)
		GROUP BY cx, cy HAVING sum(n) > 0`, level, terminalStatuses, only)
	if err != nil {
		return m, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var cx, cy int
		var n int64
		if err := rows.Scan(&cx, &cy, &n); err != nil {
			return m, mapErr(err)
		}
		m.Cells = append(m.Cells, MapCell{X: float64(cx) * size, Y: -float64(cy+1) * size, Size: size, Count: n})
	}
	return m, mapErr(rows.Err())
}

// CountQueued counts the reports created in [from, to) that no unit holds (the dispatch queue).
func (s *Store) CountQueued(ctx context.Context, from, to time.Time) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM reports WHERE created_at >= $1 AND created_at < $2 AND unit_id IS NULL`, from, to).Scan(&n)
	return n, mapErr(err)
}
