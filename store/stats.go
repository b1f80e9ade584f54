package store

import (
	"context"
	"encoding/json"
	"time"

	"everymeter/vocab"
)

// UnitCounts are the raw counts of one unit's reports created in a period; service/stats.go defines each
// indicator and derives the rates.
type UnitCounts struct {
	UnitID        int64
	Code, Name    string
	Received      int64 // created in the period and routed to the unit
	Due           int64 // received, not voided or duplicate (应处置)
	Handled       int64 // due, resolved or closed (处置)
	OnTime        int64 // handled, resolved (or closed) no later than the deadline (按期处置)
	OverdueNow    int64 // due, clock running (dispatched, accepted, rework) past the deadline at now (超期)
	Rework        int64 // due with rework_count > 0 (返工)
	ToClose       int64 // due that were reported fixed at least once: handled or rework_count > 0 (应结案)
	Closed        int64 // due and closed (结案)
	Extended      int64 // due with extension_count > 0 (延期)
	AvgHoursClose *float64
	LeadM         float64 // meters of road the unit leads (coverage pieces covered or overlap)
}

// UnitCounts counts, for every unit, its reports created in [from, to); now judges overdue.
func (s *Store) UnitCounts(ctx context.Context, from, to, now time.Time) ([]UnitCounts, error) {
	rows, err := s.db.Query(ctx, `WITH r AS (
			SELECT unit_id,
				count(*) AS received,
				count(*) FILTER (WHERE status <> ALL($4)) AS due,
				count(*) FILTER (WHERE status = ANY($5)) AS handled,
				count(*) FILTER (WHERE status = ANY($5) AND deadline IS NOT NULL
					AND COALESCE(resolved_at, closed_at) <= deadline) AS on_time,
				count(*) FILTER (WHERE status = ANY($6) AND deadline < $3) AS overdue_now,
				count(*) FILTER (WHERE status <> ALL($4) AND rework_count > 0) AS rework,
				count(*) FILTER (WHERE status = ANY($5)
					OR (status <> ALL($4) AND rework_count > 0)) AS to_close,
				count(*) FILTER (WHERE status = $7) AS closed,
				count(*) FILTER (WHERE status <> ALL($4) AND extension_count > 0) AS extended,
				avg(extract(epoch FROM closed_at - COALESCE(dispatched_at, created_at)) / 3600)
					FILTER (WHERE status = $7 AND closed_at IS NOT NULL) AS avg_h
			FROM reports WHERE created_at >= $1 AND created_at < $2 AND unit_id IS NOT NULL GROUP BY unit_id),
		k AS (SELECT u AS unit_id, sum(p.to_m - p.from_m) AS lead_m
			FROM coverage_pieces p, unnest(p.unit_ids) AS u WHERE p.status = ANY($8) GROUP BY u)
		SELECT u.id, u.code, u.name, COALESCE(r.received, 0), COALESCE(r.due, 0), COALESCE(r.handled, 0),
			COALESCE(r.on_time, 0), COALESCE(r.overdue_now, 0), COALESCE(r.rework, 0), COALESCE(r.to_close, 0),
			COALESCE(r.closed, 0), COALESCE(r.extended, 0), r.avg_h, COALESCE(k.lead_m, 0)
		FROM units u LEFT JOIN r ON r.unit_id = u.id LEFT JOIN k ON k.unit_id = u.id ORDER BY u.code`, from, to, now,
		discardedStatuses, handledStatuses, vocab.Strings(vocab.RunningStatuses), string(vocab.Closed), ownedCoverages)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []UnitCounts{}
	for rows.Next() {
		var c UnitCounts
		if err := rows.Scan(&c.UnitID, &c.Code, &c.Name, &c.Received, &c.Due, &c.Handled, &c.OnTime, &c.OverdueNow,
			&c.Rework, &c.ToClose, &c.Closed, &c.Extended, &c.AvgHoursClose, &c.LeadM); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// InspectorCounts are one inspector's counts for a period.
type InspectorCounts struct {
	UserID         int64
	Username       string
	Reported       int64 // reports they filed in the period (上报数)
	Valid          int64 // of those, not voided or duplicate
	Verifications  int64 // reports they verified (closed or sent back) that were resolved in the period
	VerifiedOnTime int64 // of those, verified within 24 h of the resolution
	AvgHoursVerify *float64
}

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

// TrendPoint is one time bucket of a trend.
type TrendPoint struct {
	T       time.Time
	Created int64
	Closed  int64
}

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

// OverdueItem is a report running past its deadline, with its owner.
type OverdueItem struct {
	ID           int64
	CategoryCode string
	CategoryName string
	Address      string
	UnitID       int64
	UnitName     string
	Deadline     time.Time
	Status       string
	CreatedAt    time.Time
}

// WorstOverdue returns the limit reports whose clock runs furthest past the deadline at now.
func (s *Store) WorstOverdue(ctx context.Context, now time.Time, limit int) ([]OverdueItem, error) {
	rows, err := s.db.Query(ctx, `SELECT r.id, r.category_code, c.name_zh, r.address, r.unit_id, u.name, r.deadline, r.status, r.created_at
		FROM reports r JOIN units u ON u.id = r.unit_id JOIN categories c ON c.code = r.category_code
		WHERE r.status IN `+runningStatusList+` AND r.deadline < $1
		ORDER BY r.deadline, r.id LIMIT $2`, now, limit)
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

// Hotspot is a place where problems recur: a 50 m stretch of a named asset, or a small grid cell.
type Hotspot struct {
	AssetID    *int64
	AssetName  string
	FromM      *float64
	ToM        *float64
	CellLevel  int
	CX, CY     int
	Lon, Lat   float64 // the centroid of its reports
	Count      int64
	Reopened   int64 // reports with reopen_count > 0 (反弹)
	Repeat     bool  // some category has at least the repeat threshold of reports (重复投诉)
	Categories json.RawMessage
	FirstAt    time.Time
	LastAt     time.Time
}

// HotspotBinM is the length of the measure bins along an asset; HotspotLevel the grid level (2^6 = 64 Mercator
// meters, about 50 m on the ground at 40° latitude) of reports not tied to an asset.
const (
	HotspotBinM  = 50
	HotspotLevel = 6
)

// Hotspots groups the reports created in [from, to) by asset and 50 m measure bin (reports routed by nearest
// meter carry asset_id and measure_m), or else by 64 m Mercator cell, and keeps the groups with a reopened
// report or with at least minRepeat reports of one category; most reports first.
func (s *Store) Hotspots(ctx context.Context, from, to time.Time, minRepeat, limit int) ([]Hotspot, error) {
	rows, err := s.db.Query(ctx, `WITH r AS (
			SELECT r.id, r.category_code, r.reopen_count, r.created_at, r.geom,
				CASE WHEN r.asset_id IS NOT NULL AND r.measure_m IS NOT NULL THEN r.asset_id END AS aid,
				CASE WHEN r.asset_id IS NOT NULL AND r.measure_m IS NOT NULL THEN floor(r.measure_m / $3)::int END AS bin,
				CASE WHEN r.asset_id IS NULL OR r.measure_m IS NULL THEN floor(ST_X(heat_merc(r.geom)) / $4)::int END AS cx,
				CASE WHEN r.asset_id IS NULL OR r.measure_m IS NULL THEN floor(ST_Y(heat_merc(r.geom)) / $4)::int END AS cy
			FROM reports r WHERE r.created_at >= $1 AND r.created_at < $2),
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
		from, to, float64(HotspotBinM), float64(int64(1)<<HotspotLevel), minRepeat, limit)
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

// MapLayers is what the briefing's small map draws: SVG path data in Web-Mercator meters with y flipped
// (PostGIS ST_AsSVG), and the extent.
type MapLayers struct {
	MinX, MinY, Width, Height float64 // viewBox
	Zones                     []string
	Cells                     []MapCell
}

// MapCell is one heat cell of the briefing map.
type MapCell struct {
	X, Y, Size float64 // top-left corner in SVG coordinates (y = −northing)
	Count      int64
}

// BriefingMap returns lead-zone outlines (simplified) and the outstanding-report cells at level over the extent
// of the zones (or of the reports when there are no zones).
func (s *Store) BriefingMap(ctx context.Context, level int) (MapLayers, error) {
	var m MapLayers
	var x0, y0, x1, y1 *float64
	err := s.db.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
		SELECT COALESCE((SELECT ST_Extent(ST_Transform(geom, 3857)) FROM zones WHERE role = 'lead'),
			(SELECT ST_Extent(heat_merc(geom)) FROM reports))::box2d AS e) x`).Scan(&x0, &y0, &x1, &y1)
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
	size := float64(int64(1) << level)
	rows, err = s.db.Query(ctx, `SELECT cx, cy, sum(n) FROM heat_cells WHERE level = $1
		AND status <> ALL($2) GROUP BY cx, cy HAVING sum(n) > 0`, level, terminalStatuses)
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
