package store

import (
	"context"
	"fmt"

	"everymeter/domain"
)

// Open311Filter is domain.Open311Filter (the definition moved to package domain).
type Open311Filter = domain.Open311Filter

// Open311Row is domain.Open311Row (the definition moved to package domain).
type Open311Row = domain.Open311Row

// open311From joins what Open311Row adds to a report; the two lateral lookups use the (report_id, …) indexes of
// report_events and photos, so a page of 1000 costs 2000 index probes, not two scans.
const open311From = ` FROM reports r
	LEFT JOIN units u ON u.id = r.unit_id
	LEFT JOIN categories c ON c.code = r.category_code
	LEFT JOIN assets a ON a.id = r.asset_id
	LEFT JOIN LATERAL (SELECT e.note FROM report_events e WHERE e.report_id = r.id AND e.note <> ''
		ORDER BY e.id DESC LIMIT 1) ev ON true
	LEFT JOIN LATERAL (SELECT p.id FROM photos p WHERE p.report_id = r.id ORDER BY p.id LIMIT 1) ph ON true`

const open311Cols = `, COALESCE(c.name_zh, ''), COALESCE(c.name_en, ''), COALESCE(a.name, ''), COALESCE(ev.note, ''), ph.id`

func scanOpen311(row interface{ Scan(...any) error }) (Open311Row, error) {
	var o Open311Row
	var x, y float64
	r := &o.Report
	err := row.Scan(&r.ID, &r.CategoryCode, &r.Description, &r.Address, &r.Urgency, &r.Status, &x, &y,
		&r.AssetID, &r.MeasureM, &r.UnitID, &r.UnitName, &r.DecidedBy, &r.RoutingReason, &r.ReporterID, &r.ResolverID,
		&r.VerifierID, &r.DuplicateOf, &r.IdempotencyKey, &r.ReworkCount, &r.ReopenCount, &r.ExtensionCount, &r.ReturnCount,
		&r.TimeLimitHours, &r.Deadline, &r.DispatchedAt, &r.AcceptedAt, &r.ResolvedAt, &r.ClosedAt, &r.Source, &r.SourceID,
		&r.CreatedAt, &r.UpdatedAt, &r.RoutingReasonParts,
		&o.CategoryNameZh, &o.CategoryNameEn, &o.AssetName, &o.LastNote, &o.FirstPhotoID)
	r.Geom[0], r.Geom[1] = x, y
	return o, mapErr(err)
}

// Open311Requests lists reports for Open311, newest first, at most Limit (default 1000).
func (s *Store) Open311Requests(ctx context.Context, f Open311Filter) ([]Open311Row, error) {
	w := where{}
	if len(f.IDs) > 0 {
		w.add("r.id = ANY($%d)", f.IDs)
	} else {
		if len(f.Categories) > 0 {
			w.add("r.category_code = ANY($%d)", f.Categories)
		}
		if len(f.Statuses) > 0 {
			w.add("r.status = ANY($%d)", f.Statuses)
		}
		if f.Since != nil {
			w.add("r.created_at >= $%d", *f.Since)
		}
		if f.Until != nil {
			w.add("r.created_at <= $%d", *f.Until)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	args := append(w.args, f.Limit)
	rows, err := s.db.Query(ctx, `SELECT `+reportCols+open311Cols+open311From+` WHERE `+w.sql()+
		` ORDER BY r.created_at DESC, r.id DESC LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Open311Row{}
	for rows.Next() {
		o, err := scanOpen311(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, mapErr(rows.Err())
}

// Open311Request returns one report for Open311.
func (s *Store) Open311Request(ctx context.Context, id int64) (Open311Row, error) {
	return scanOpen311(s.db.QueryRow(ctx, `SELECT `+reportCols+open311Cols+open311From+` WHERE r.id = $1`, id))
}
