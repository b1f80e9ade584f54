package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"everymeter/domain"
)

// HeatLevels are the grid levels kept in heat_cells: cells of 2^k Web-Mercator meters (migration 00006 must list
// the same).
var HeatLevels = []int{7, 9, 11, 13}

// HeatQuery is domain.HeatQuery (the definition moved to package domain).
type HeatQuery = domain.HeatQuery

// HeatCell is domain.HeatCell (the definition moved to package domain).
type HeatCell = domain.HeatCell

// heatFilters adds the report filters shared by the aggregate and the raw (overdue) queries; col names the
// table alias's columns, which have the same names in reports and in heat_cells except unit_id's NULL.
func heatFilters(w *where, q HeatQuery, unitExpr string) {
	if q.Statuses != nil {
		w.add("status = ANY($%d)", q.Statuses)
	}
	if len(q.Categories) > 0 {
		w.add("category_code = ANY($%d)", q.Categories)
	}
	if q.UnitID != nil {
		w.add(unitExpr+" = $%d", *q.UnitID)
	}
}

// HeatCells sums the pre-aggregated cells of the query's level that meet its bbox. The cost grows with the
// number of cells (and, with since/until, days) in the box, not with the number of reports: see migration 00006.
//
// Weights, per cell: count = Σ n; urgency = Σ n × (2 if urgent else 1); age = Σ days each report has been open
// (now − created_at for outstanding ones, closed_at − created_at for closed ones, 0 for voided without a close);
// overdue = the number of reports in the cell whose clock runs (dispatched, accepted, rework) past the deadline
// at Now — read from reports through the partial index reports_deadline_idx, so its cost grows with the overdue
// backlog, never with closed history.
func (s *Store) HeatCells(ctx context.Context, q HeatQuery, withGeometry bool) ([]HeatCell, error) {
	size := float64(int64(1) << q.Level)
	w := where{}
	w.add("h.level = $%d", q.Level)
	// The cell range of the bbox: the same floor() as the trigger, on the box's corners.
	rng := ""
	if q.BBox != nil {
		b := *q.BBox
		w2 := where{args: w.args}
		w2.add(`heat_merc(ST_SetSRID(ST_MakePoint($%d, $%d), 4326)) AS lo, heat_merc(ST_SetSRID(ST_MakePoint($%d, $%d), 4326)) AS hi`,
			b.Min[0], b.Min[1], b.Max[0], b.Max[1])
		w.args = w2.args
		rng = w2.conds[0]
	}
	sizeArg := len(w.args) + 1
	w.args = append(w.args, size)
	if rng != "" {
		w.add(fmt.Sprintf(`h.cx BETWEEN floor(ST_X(b.lo) / $%d)::int AND floor(ST_X(b.hi) / $%[1]d)::int
			AND h.cy BETWEEN floor(ST_Y(b.lo) / $%[1]d)::int AND floor(ST_Y(b.hi) / $%[1]d)::int`, sizeArg))
	}
	table := "heat_cells"
	if q.Since != nil || q.Until != nil {
		table = "heat_cells_daily"
		if q.Since != nil {
			w.add("h.day >= $%d::date", q.Since.UTC().Format(time.DateOnly))
		}
		if q.Until != nil {
			w.add("h.day < $%d::date", q.Until.UTC().Format(time.DateOnly))
		}
	}
	heatFilters(&w, q, "unit_id")
	nowDays := float64(q.Now.UnixNano()) / float64(24*time.Hour)
	var weight string
	switch q.Weight {
	case "urgency":
		weight = "sum(h.n * CASE WHEN h.urgency = 'urgent' THEN 2 ELSE 1 END)::float8"
	case "age":
		w.args = append(w.args, terminalStatuses, nowDays)
		weight = fmt.Sprintf(`sum(CASE WHEN h.status = ANY($%d) THEN h.closed_age_days
			ELSE h.n * $%d::float8 - h.created_days END)::float8`, len(w.args)-1, len(w.args))
	default:
		weight = "sum(h.n)::float8"
	}
	from := table + " h"
	if rng != "" {
		from = "(SELECT " + rng + ") b, " + from
	}
	cells := `SELECT h.cx, h.cy, sum(h.n) AS n, ` + weight + ` AS weight FROM ` + from + ` WHERE ` + w.sql() +
		` GROUP BY h.cx, h.cy HAVING sum(h.n) > 0`
	if q.Weight == "overdue" {
		// Overdue-now changes with the clock, so it is counted from the running reports, cell by cell with the
		// same formula as the trigger, and joined to the cells.
		o := where{args: w.args}
		o.add("r.status IN "+runningStatusList+" AND r.deadline < $%d", q.Now)
		if q.Since != nil {
			o.add("r.created_at >= $%d", q.Since.UTC().Truncate(24*time.Hour))
		}
		if q.Until != nil {
			o.add("r.created_at < $%d", q.Until.UTC().Truncate(24*time.Hour))
		}
		heatFilters(&o, q, "COALESCE(unit_id, 0)")
		w.args = o.args
		orng := "true"
		if rng != "" {
			orng = fmt.Sprintf(`ov.cx BETWEEN floor(ST_X(b.lo) / $%d)::int AND floor(ST_X(b.hi) / $%[1]d)::int
				AND ov.cy BETWEEN floor(ST_Y(b.lo) / $%[1]d)::int AND floor(ST_Y(b.hi) / $%[1]d)::int`, sizeArg)
		}
		ofrom := "ov"
		if rng != "" {
			ofrom = "(SELECT " + rng + ") b, ov"
		}
		cells = fmt.Sprintf(`WITH c AS (%s),
			ov AS (SELECT floor(ST_X(heat_merc(r.geom)) / $%d)::int AS cx, floor(ST_Y(heat_merc(r.geom)) / $%[2]d)::int AS cy,
				count(*) AS k FROM reports r WHERE %s GROUP BY 1, 2),
			o AS (SELECT ov.cx, ov.cy, ov.k FROM %s WHERE %s)
			SELECT c.cx, c.cy, c.n, COALESCE(o.k, 0)::float8 FROM c LEFT JOIN o USING (cx, cy)`,
			cells, sizeArg, o.sql(), ofrom, orng)
	}
	geom := "NULL::text"
	if withGeometry {
		geom = fmt.Sprintf(`ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(x.cx * $%d, x.cy * $%[1]d, (x.cx + 1) * $%[1]d, (x.cy + 1) * $%[1]d, 3857), 4326), 7)`, sizeArg)
	}
	sql := fmt.Sprintf(`SELECT x.cx, x.cy, x.n, x.weight, ST_X(ctr), ST_Y(ctr), %s
		FROM (%s) x(cx, cy, n, weight),
		LATERAL ST_Transform(ST_SetSRID(ST_MakePoint((x.cx + 0.5) * $%d, (x.cy + 0.5) * $%[3]d), 3857), 4326) AS ctr
		ORDER BY x.cx, x.cy`, geom, cells, sizeArg)
	rows, err := s.db.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []HeatCell{}
	for rows.Next() {
		var c HeatCell
		var g *string
		if err := rows.Scan(&c.CX, &c.CY, &c.Count, &c.Weight, &c.Lon, &c.Lat, &g); err != nil {
			return nil, mapErr(err)
		}
		if g != nil {
			c.Geometry = json.RawMessage(*g)
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// RebuildHeat recounts every heat cell from the reports.
func (s *Store) RebuildHeat(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `SELECT heat_rebuild()`)
	return mapErr(err)
}
