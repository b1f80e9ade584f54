package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Import311Row is one external 311 report ready to be written: the category is already one of ours and the
// status one of ours (closed, voided or dispatched).
type Import311Row struct {
	SourceID    string
	Category    string
	Status      string
	Lon, Lat    float64
	Address     string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    *time.Time
}

// Import311Counts says what one batch did.
type Import311Counts struct {
	Inserted, Updated, Unchanged int
	Routed                       int // of the inserted and updated, how many fell in a lead zone
}

// Import311 upserts a batch of 311 reports by (source 'import311', source_id) in one transaction: the rows are
// COPYed into a temporary table, then one INSERT … SELECT routes each to the unit of the lead zone covering its
// point (ST_Covers through the zones' GiST index; valid at the report's creation), computes the deadline from the
// category's time limit, and writes the imported history (create → dispatch → verify or void) of new reports as
// report_events. A report whose routed state is unchanged is left alone, so re-importing a file writes nothing.
// Rows in the dispatch state that no zone covers stay in the queue (status reported, no unit).
func (s *Store) Import311(ctx context.Context, rows []Import311Row) (Import311Counts, error) {
	var out Import311Counts
	// One SR number twice in a batch would make ON CONFLICT touch a row twice: the later row wins.
	last := make(map[string]int, len(rows))
	for i, r := range rows {
		last[r.SourceID] = i
	}
	err := s.WithTx(ctx, func(tx *Store) error {
		if _, err := tx.db.Exec(ctx, `CREATE TEMP TABLE import311_rows (
				source_id text, category_code text, status text, lon float8, lat float8, address text,
				description text, created_at timestamptz, updated_at timestamptz, closed_at timestamptz) ON COMMIT DROP`); err != nil {
			return mapErr(err)
		}
		data := make([][]any, 0, len(last))
		for i, r := range rows {
			if last[r.SourceID] != i {
				continue
			}
			data = append(data, []any{r.SourceID, r.Category, r.Status, r.Lon, r.Lat, r.Address, r.Description,
				r.CreatedAt, r.UpdatedAt, r.ClosedAt})
		}
		if _, err := tx.db.CopyFrom(ctx, pgx.Identifier{"import311_rows"}, []string{"source_id", "category_code", "status",
			"lon", "lat", "address", "description", "created_at", "updated_at", "closed_at"}, pgx.CopyFromRows(data)); err != nil {
			return mapErr(err)
		}
		var ins, upd, routed int
		err := tx.db.QueryRow(ctx, `WITH src AS (
				SELECT t.*, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS geom, c.time_limit_hours AS lim
				FROM import311_rows t JOIN categories c ON c.code = t.category_code),
			routed AS (
				SELECT DISTINCT ON (s.source_id) s.*, z.unit_id, z.name AS zone_name,
					CASE WHEN s.status = 'dispatched' AND z.unit_id IS NULL THEN 'reported' ELSE s.status END AS st
				FROM src s LEFT JOIN zones z ON z.role = 'lead' AND ST_Covers(z.geom, s.geom)
					AND (z.valid_from IS NULL OR z.valid_from <= s.created_at)
					AND (z.valid_to IS NULL OR z.valid_to > s.created_at)
				ORDER BY s.source_id, z.id),
			up AS (
				INSERT INTO reports AS r (category_code, description, address, urgency, status, geom, unit_id, decided_by,
					routing_reason, time_limit_hours, deadline, dispatched_at, resolved_at, closed_at, source, source_id,
					created_at, updated_at)
				SELECT category_code, description, address, 'normal', st, geom, unit_id,
					CASE WHEN unit_id IS NULL THEN 'none' ELSE 'zone' END,
					CASE WHEN unit_id IS NULL THEN 'LA 311 import: no lead zone covers the point'
						ELSE 'LA 311 import: inside lead zone ' || zone_name END,
					CASE WHEN st = 'reported' THEN NULL ELSE lim END,
					CASE WHEN st = 'reported' THEN NULL ELSE created_at + lim * interval '1 hour' END,
					CASE WHEN st = 'reported' THEN NULL ELSE created_at END,
					CASE WHEN st = 'closed' THEN closed_at END,
					CASE WHEN st = 'closed' THEN closed_at END,
					'import311', source_id, created_at, updated_at
				FROM routed
				ON CONFLICT (source, source_id) WHERE source_id <> '' DO UPDATE SET
					category_code = EXCLUDED.category_code, description = EXCLUDED.description, address = EXCLUDED.address,
					status = EXCLUDED.status, geom = EXCLUDED.geom, unit_id = EXCLUDED.unit_id,
					decided_by = EXCLUDED.decided_by, routing_reason = EXCLUDED.routing_reason,
					time_limit_hours = EXCLUDED.time_limit_hours, deadline = EXCLUDED.deadline,
					dispatched_at = EXCLUDED.dispatched_at, resolved_at = EXCLUDED.resolved_at,
					closed_at = EXCLUDED.closed_at, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
				WHERE (r.category_code, r.description, r.address, r.status, r.geom, r.unit_id, r.deadline, r.closed_at,
						r.created_at, r.updated_at)
					IS DISTINCT FROM (EXCLUDED.category_code, EXCLUDED.description, EXCLUDED.address, EXCLUDED.status,
						EXCLUDED.geom, EXCLUDED.unit_id, EXCLUDED.deadline, EXCLUDED.closed_at, EXCLUDED.created_at,
						EXCLUDED.updated_at)
				RETURNING r.id, (r.xmax = 0) AS inserted, r.status, r.unit_id, r.created_at, r.dispatched_at,
					r.closed_at, r.updated_at),
			ev AS (
				INSERT INTO report_events (report_id, at, actor, action, from_status, to_status, note, unit_id)
				SELECT id, created_at, 'import311', 'create', '', 'reported', 'imported from LA 311', NULL FROM up WHERE inserted
				UNION ALL
				SELECT id, dispatched_at, 'import311', 'dispatch', 'reported', 'dispatched', '', unit_id
					FROM up WHERE inserted AND dispatched_at IS NOT NULL
				UNION ALL
				SELECT id, closed_at, 'import311', 'verify', 'dispatched', 'closed', '', unit_id
					FROM up WHERE inserted AND status = 'closed'
				UNION ALL
				SELECT id, updated_at, 'import311', 'void', CASE WHEN dispatched_at IS NULL THEN 'reported' ELSE 'dispatched' END,
					'voided', '', unit_id FROM up WHERE inserted AND status = 'voided')
			SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
				count(*) FILTER (WHERE unit_id IS NOT NULL) FROM up`).Scan(&ins, &upd, &routed)
		if err != nil {
			return mapErr(err)
		}
		out = Import311Counts{Inserted: ins, Updated: upd, Unchanged: len(data) - ins - upd, Routed: routed}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("import 311 batch: %w", err)
	}
	return out, nil
}

// CountReportsBySource counts the reports of one source (e.g. import311).
func (s *Store) CountReportsBySource(ctx context.Context, source string) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM reports WHERE source = $1`, source).Scan(&n)
	return n, mapErr(err)
}
