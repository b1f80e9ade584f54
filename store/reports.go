package store

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/i18n"
)

// Report is domain.Report (the definition moved to package domain).
type Report = domain.Report

const reportCols = `r.id, r.category_code, r.description, r.address, r.urgency, r.status, ST_X(r.geom), ST_Y(r.geom),
	r.asset_id, r.measure_m, r.unit_id, COALESCE(u.name, ''), r.decided_by, r.routing_reason, r.reporter_id, r.resolver_id,
	r.verifier_id, r.duplicate_of, r.idempotency_key, r.rework_count, r.reopen_count, r.extension_count, r.return_count,
	r.time_limit_hours, r.deadline, r.dispatched_at, r.accepted_at, r.resolved_at, r.closed_at, r.source, r.source_id,
	r.created_at, r.updated_at, r.routing_reason_parts`

func scanReport(row interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var x, y float64
	err := row.Scan(&r.ID, &r.CategoryCode, &r.Description, &r.Address, &r.Urgency, &r.Status, &x, &y,
		&r.AssetID, &r.MeasureM, &r.UnitID, &r.UnitName, &r.DecidedBy, &r.RoutingReason, &r.ReporterID, &r.ResolverID,
		&r.VerifierID, &r.DuplicateOf, &r.IdempotencyKey, &r.ReworkCount, &r.ReopenCount, &r.ExtensionCount, &r.ReturnCount,
		&r.TimeLimitHours, &r.Deadline, &r.DispatchedAt, &r.AcceptedAt, &r.ResolvedAt, &r.ClosedAt, &r.Source, &r.SourceID,
		&r.CreatedAt, &r.UpdatedAt, &r.RoutingReasonParts)
	r.Geom = orb.Point{x, y}
	return r, mapErr(err)
}

// reportInsertCols are the columns a new report is written with, in the order of reportInsertArgs.
const reportInsertCols = `category_code, description, address, urgency, status, geom, asset_id, measure_m, unit_id,
	decided_by, routing_reason, reporter_id, resolver_id, verifier_id, duplicate_of, idempotency_key,
	rework_count, reopen_count, extension_count, return_count, time_limit_hours, deadline, dispatched_at,
	accepted_at, resolved_at, closed_at, source, source_id, created_at, updated_at, routing_reason_parts`

const reportInsertVals = `$1, $2, $3, $4, $5, ST_SetSRID(ST_MakePoint($6, $7), 4326), $8, $9, $10, $11, $12, $13, $14, $15, $16,
	$17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, COALESCE($30, now()), COALESCE($31, now()), $32`

func reportInsertArgs(r Report) []any {
	var created, updated *time.Time
	if !r.CreatedAt.IsZero() {
		created = &r.CreatedAt
	}
	if !r.UpdatedAt.IsZero() {
		updated = &r.UpdatedAt
	}
	if r.Source == "" {
		r.Source = "app"
	}
	if r.Urgency == "" {
		r.Urgency = "normal"
	}
	return []any{r.CategoryCode, r.Description, r.Address, r.Urgency, r.Status, r.Geom[0], r.Geom[1], r.AssetID, r.MeasureM,
		r.UnitID, r.DecidedBy, r.RoutingReason, r.ReporterID, r.ResolverID, r.VerifierID, r.DuplicateOf, r.IdempotencyKey,
		r.ReworkCount, r.ReopenCount, r.ExtensionCount, r.ReturnCount, r.TimeLimitHours, r.Deadline, r.DispatchedAt,
		r.AcceptedAt, r.ResolvedAt, r.ClosedAt, r.Source, r.SourceID, created, updated, reasonParts(r.RoutingReasonParts)}
}

// reportEventJSON is one first step of a new report as the insert statement reads it (jsonb_to_recordset).
type reportEventJSON struct {
	At         *time.Time     `json:"at"`
	ActorID    *int64         `json:"actor_id"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	FromStatus string         `json:"from_status"`
	ToStatus   string         `json:"to_status"`
	Note       string         `json:"note"`
	UnitID     *int64         `json:"unit_id"`
	PhotoID    *int64         `json:"photo_id"`
	Details    map[string]any `json:"details"`
	Seq        int            `json:"seq"`
}

func reportEventsJSON(events []ReportEvent) []reportEventJSON {
	evs := make([]reportEventJSON, len(events))
	for i, e := range events {
		if e.Details == nil {
			e.Details = map[string]any{}
		}
		var at *time.Time
		if !e.At.IsZero() {
			at = &e.At
		}
		evs[i] = reportEventJSON{At: at, ActorID: e.ActorID, Actor: e.Actor, Action: e.Action, FromStatus: e.FromStatus,
			ToStatus: e.ToStatus, Note: e.Note, UnitID: e.UnitID, PhotoID: e.PhotoID, Details: e.Details, Seq: i}
	}
	return evs
}

// reportInsertCTE inserts the report ($1–$32, see reportInsertVals) unless its reporter already used its idempotency
// key, and its first steps ($33) — as CTEs ins and ev; rowsFrom is what ins inserts from (a VALUES list or a
// guarded SELECT).
func reportInsertCTE(rowsFrom string) string {
	return `ins AS (
			INSERT INTO reports (` + reportInsertCols + `) ` + rowsFrom + `
			ON CONFLICT (reporter_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
			RETURNING *),
		ev AS (
			INSERT INTO report_events (report_id, at, actor_id, actor, action, from_status, to_status, note, unit_id, photo_id, details)
			SELECT ins.id, COALESCE(e.at, now()), e.actor_id, e.actor, e.action, e.from_status, e.to_status, e.note, e.unit_id,
				e.photo_id, COALESCE(e.details, '{}')
			FROM ins CROSS JOIN jsonb_to_recordset($33::jsonb) AS e(at timestamptz, actor_id bigint, actor text, action text,
				from_status text, to_status text, note text, unit_id bigint, photo_id bigint, details jsonb, seq int)
			ORDER BY e.seq)`
}

// CreateReport inserts a report together with the first steps of its history (their ReportID is filled in), in one
// statement. When the report carries an idempotency key that its reporter already used, nothing is inserted and
// the earlier report is returned with created false: the unique index on (reporter_id, idempotency_key) makes
// concurrent retries wait for the first insert and then find it, so no retry can duplicate.
func (s *Store) CreateReport(ctx context.Context, r Report, events ...ReportEvent) (Report, bool, error) {
	args := append(reportInsertArgs(r), reportEventsJSON(events))
	row := s.db.QueryRow(ctx, `WITH `+reportInsertCTE(`VALUES (`+reportInsertVals+`)`)+`
		SELECT `+reportCols+` FROM ins r LEFT JOIN units u ON u.id = r.unit_id`, args...)
	out, err := scanReport(row)
	if err == ErrNotFound && r.IdempotencyKey != nil && r.ReporterID != nil {
		out, err = s.ReportByIdempotencyKey(ctx, *r.ReporterID, *r.IdempotencyKey)
		return out, false, err
	}
	return out, err == nil, err
}

// UpsertReportBySource inserts an imported report or overwrites the one with the same (source, source_id); it
// reports whether the row was new.
func (s *Store) UpsertReportBySource(ctx context.Context, r Report) (Report, bool, error) {
	if r.SourceID == "" {
		return r, false, fmt.Errorf("%w: an imported report needs a source_id", ErrInvalid)
	}
	var inserted bool
	var id int64
	err := s.db.QueryRow(ctx, `INSERT INTO reports (`+reportInsertCols+`) VALUES (`+reportInsertVals+`)
		ON CONFLICT (source, source_id) WHERE source_id <> '' DO UPDATE SET category_code = EXCLUDED.category_code,
			description = EXCLUDED.description, address = EXCLUDED.address, urgency = EXCLUDED.urgency,
			status = EXCLUDED.status, geom = EXCLUDED.geom, asset_id = EXCLUDED.asset_id, measure_m = EXCLUDED.measure_m,
			unit_id = EXCLUDED.unit_id, decided_by = EXCLUDED.decided_by, routing_reason = EXCLUDED.routing_reason,
			routing_reason_parts = EXCLUDED.routing_reason_parts, time_limit_hours = EXCLUDED.time_limit_hours, deadline = EXCLUDED.deadline,
			dispatched_at = EXCLUDED.dispatched_at, accepted_at = EXCLUDED.accepted_at,
			resolved_at = EXCLUDED.resolved_at, closed_at = EXCLUDED.closed_at, created_at = EXCLUDED.created_at,
			updated_at = EXCLUDED.updated_at
		RETURNING (xmax = 0), id`, reportInsertArgs(r)...).Scan(&inserted, &id)
	if err != nil {
		return r, false, mapErr(err)
	}
	out, err := s.Report(ctx, id)
	return out, inserted, err
}

// Report returns one report.
func (s *Store) Report(ctx context.Context, id int64) (Report, error) {
	return scanReport(s.db.QueryRow(ctx, `SELECT `+reportCols+` FROM reports r LEFT JOIN units u ON u.id = r.unit_id
		WHERE r.id = $1`, id))
}

// ReportForUpdate returns one report, locking its row for the rest of the transaction (transitions serialise on it).
func (s *Store) ReportForUpdate(ctx context.Context, id int64) (Report, error) {
	return scanReport(s.db.QueryRow(ctx, `SELECT `+reportCols+` FROM reports r LEFT JOIN units u ON u.id = r.unit_id
		WHERE r.id = $1 FOR UPDATE OF r`, id))
}

// ReportByIdempotencyKey returns the report a user filed with an idempotency key.
func (s *Store) ReportByIdempotencyKey(ctx context.Context, reporterID int64, key string) (Report, error) {
	return scanReport(s.db.QueryRow(ctx, `SELECT `+reportCols+` FROM reports r LEFT JOIN units u ON u.id = r.unit_id
		WHERE r.reporter_id = $1 AND r.idempotency_key = $2`, reporterID, key))
}

// UpdateReportState writes the loop fields of a report (status, unit, routing, people, counters, clock).
func (s *Store) UpdateReportState(ctx context.Context, r Report) (Report, error) {
	tag, err := s.db.Exec(ctx, `UPDATE reports SET status = $2, unit_id = $3, decided_by = $4, routing_reason = $5,
			resolver_id = $6, verifier_id = $7, duplicate_of = $8, rework_count = $9, reopen_count = $10,
			extension_count = $11, return_count = $12, time_limit_hours = $13, deadline = $14, dispatched_at = $15,
			accepted_at = $16, resolved_at = $17, closed_at = $18, routing_reason_parts = $19, updated_at = now()
		WHERE id = $1`,
		r.ID, r.Status, r.UnitID, r.DecidedBy, r.RoutingReason, r.ResolverID, r.VerifierID, r.DuplicateOf, r.ReworkCount,
		r.ReopenCount, r.ExtensionCount, r.ReturnCount, r.TimeLimitHours, r.Deadline, r.DispatchedAt, r.AcceptedAt,
		r.ResolvedAt, r.ClosedAt, reasonParts(r.RoutingReasonParts))
	if err != nil {
		return r, mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return r, ErrNotFound
	}
	return s.Report(ctx, r.ID)
}

// ReportFilter is domain.ReportFilter (the definition moved to package domain).
type ReportFilter = domain.ReportFilter

// overdueSQL is true for a report whose clock runs and whose deadline has passed.
var overdueSQL = `(r.status IN ` + runningStatusList + ` AND r.deadline < now())`

// Reports lists reports newest first (by id), before the cursor; it returns at most Limit rows.
func (s *Store) Reports(ctx context.Context, f ReportFilter) ([]Report, error) {
	w := where{}
	if f.Before > 0 {
		w.add("r.id < $%d", f.Before)
	}
	if len(f.Statuses) > 0 {
		w.add("r.status = ANY($%d)", f.Statuses)
	}
	if f.Category != "" {
		w.add("r.category_code = $%d", f.Category)
	}
	if f.UnitID != nil {
		w.add("r.unit_id = $%d", *f.UnitID)
	}
	if f.ReporterID != nil {
		w.add("r.reporter_id = $%d", *f.ReporterID)
	}
	if f.BBox != nil {
		w.add("r.geom && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1])
	}
	if f.Overdue != nil {
		if *f.Overdue {
			w.add(overdueSQL)
		} else {
			w.add("NOT " + overdueSQL)
		}
	}
	if f.Since != nil {
		w.add("r.created_at >= $%d", *f.Since)
	}
	if f.Until != nil {
		w.add("r.created_at < $%d", *f.Until)
	}
	if f.Q != "" {
		w.add("(r.description ILIKE '%%' || $%d || '%%' OR r.address ILIKE '%%' || $%[1]d || '%%')", escapeLike(f.Q))
	}
	if f.Source != "" {
		w.add("r.source = $%d", f.Source)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args := append(w.args, f.Limit)
	rows, err := s.db.Query(ctx, `SELECT `+reportCols+` FROM reports r LEFT JOIN units u ON u.id = r.unit_id
		WHERE `+w.sql()+` ORDER BY r.id DESC LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// NearbyOpenReports returns open reports of a category within radius meters of p created since the given time,
// nearest first (possible duplicates of a new report); excludeID leaves one report out (0: none).
func (s *Store) NearbyOpenReports(ctx context.Context, category string, p orb.Point, radiusM float64, since time.Time, excludeID int64, limit int) ([]Report, error) {
	// One scan with every filter: the bounding-box test in degrees (widened by the cosine of the latitude; a degree
	// of latitude is ≥ 110.5 km) and the category meet the partial GiST index reports_open_dup_idx (migration 00007),
	// whose predicate is the open-status list written out below — a status = ANY($n) would not let the planner use
	// it. The geography test is exact. Its cost follows the open reports of the category near the pin, not the
	// reports stored.
	rows, err := s.db.Query(ctx, `SELECT `+reportCols+` FROM reports r LEFT JOIN units u ON u.id = r.unit_id
		WHERE r.geom && ST_Expand(ST_SetSRID(ST_MakePoint($4, $5), 4326), $6 / 110000.0 / GREATEST(cos(radians($5)), 0.01))
			AND r.category_code = $1 AND r.status IN `+openStatusList+`
			AND r.created_at >= $2 AND r.id <> $3
			AND ST_DWithin(r.geom::geography, ST_SetSRID(ST_MakePoint($4, $5), 4326)::geography, $6)
		ORDER BY r.geom::geography <-> ST_SetSRID(ST_MakePoint($4, $5), 4326)::geography, r.id
		LIMIT $7`, category, since, excludeID, p[0], p[1], radiusM, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// CountReports returns how many reports are stored.
func (s *Store) CountReports(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM reports`).Scan(&n)
	return n, mapErr(err)
}

// ReportEvent is domain.ReportEvent (the definition moved to package domain).
type ReportEvent = domain.ReportEvent

// AddReportEvent records one step; At defaults to now.
func (s *Store) AddReportEvent(ctx context.Context, e ReportEvent) (ReportEvent, error) {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	var at *time.Time
	if !e.At.IsZero() {
		at = &e.At
	}
	err := s.db.QueryRow(ctx, `INSERT INTO report_events (report_id, at, actor_id, actor, action, from_status, to_status,
			note, unit_id, photo_id, details)
		VALUES ($1, COALESCE($2, now()), $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, at`,
		e.ReportID, at, e.ActorID, e.Actor, e.Action, e.FromStatus, e.ToStatus, e.Note, e.UnitID, e.PhotoID, e.Details).Scan(&e.ID, &e.At)
	return e, mapErr(err)
}

// ReportEvents returns a report's history, oldest first.
func (s *Store) ReportEvents(ctx context.Context, reportID int64) ([]ReportEvent, error) {
	rows, err := s.db.Query(ctx, `SELECT e.id, e.report_id, e.at, e.actor_id, e.actor, e.action, e.from_status, e.to_status,
			e.note, e.unit_id, COALESCE(u.name, ''), e.photo_id, e.details
		FROM report_events e LEFT JOIN units u ON u.id = e.unit_id WHERE e.report_id = $1 ORDER BY e.id`, reportID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []ReportEvent{}
	for rows.Next() {
		var e ReportEvent
		if err := rows.Scan(&e.ID, &e.ReportID, &e.At, &e.ActorID, &e.Actor, &e.Action, &e.FromStatus, &e.ToStatus,
			&e.Note, &e.UnitID, &e.UnitName, &e.PhotoID, &e.Details); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, e)
	}
	return out, mapErr(rows.Err())
}

// AssetLeadUnitsAt returns the lead owners of an asset at a measure (linear assets, from the coverage engine's
// pieces) or of the whole asset (areal assets); none when the spot is a gap or coverage was never computed.
func (s *Store) AssetLeadUnitsAt(ctx context.Context, assetID int64, measureM float64) ([]Unit, error) {
	rows, err := s.db.Query(ctx, `WITH ids AS (
			SELECT unnest(unit_ids) AS id FROM (
				(SELECT unit_ids FROM coverage_pieces WHERE asset_id = $1 AND from_m <= $2 AND to_m >= $2
					ORDER BY from_m DESC LIMIT 1)
				UNION ALL
				(SELECT unit_ids FROM coverage_areal WHERE asset_id = $1)) x)
		SELECT DISTINCT `+unitCols+` FROM units WHERE id IN (SELECT id FROM ids) ORDER BY code`, assetID, measureM)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Unit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, mapErr(rows.Err())
}

// reasonParts is the routing_reason_parts value: SQL NULL when the reason has no parts (a text written as it is).
func reasonParts(ms i18n.Msgs) any {
	if len(ms) == 0 {
		return nil
	}
	return ms
}
