package bench

// The benchmarks' own SQL: a synthetic backlog of reports and the scratch databases it goes into. It lives here,
// not in the store, because nothing but a benchmark may bulk-generate reports or drop the reports' indexes.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"everymeter/store"
)

// GenerateReports inserts n synthetic reports in one INSERT … SELECT over generate_series, for benchmarks: spread
// uniformly over bound and over the past year, categories and units in turn, statuses in a plausible mix (most
// closed, about a fifth still open). It needs no units (then nothing is held by a unit) and returns the rows
// inserted. The table is analysed afterwards so the planner sees the new size at once.
//
// When n is at least the rows already stored, the secondary indexes of reports are dropped for the insert and
// built again afterwards from their own definitions (pg_get_indexdef): building an index over a million rows at
// once is several times faster than growing it a row at a time, GiST above all. The triggers stay, so the heat
// cells are counted as for any other write (one set operation for the whole statement).
func GenerateReports(ctx context.Context, st *store.Store, n int, bound orb.Bound) (int64, error) {
	var rows int64
	err := pgx.BeginFunc(ctx, st.Pool, func(tx pgx.Tx) error {
		// Dropping and rebuilding indexes is the tables' owner's work, not the server's: for this transaction the
		// generator leaves the app role (store.OpenApp) for the login role that ran the migrations.
		if _, err := tx.Exec(ctx, `SET LOCAL ROLE NONE`); err != nil {
			return err
		}
		// A million rows with their indexes and heat cells take longer than the pool's statement timeout.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SET LOCAL maintenance_work_mem = '512MB'`); err != nil {
			return err
		}
		var stored int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM reports`).Scan(&stored); err != nil {
			return err
		}
		var defs []string
		if int64(n) >= stored {
			var err error
			if defs, err = dropReportIndexes(ctx, tx); err != nil {
				return err
			}
		}
		var err error
		if rows, err = generateReports(ctx, tx, n, bound); err != nil {
			return err
		}
		for _, def := range defs {
			if _, err := tx.Exec(ctx, def); err != nil {
				return fmt.Errorf("bench: rebuild index: %w", err)
			}
		}
		// Statistics for the new rows (only the owner may ANALYZE; the app role would be skipped with a warning).
		_, err = tx.Exec(ctx, `ANALYZE reports`)
		return err
	})
	return rows, err
}

// dropReportIndexes drops the indexes of reports that back no constraint and returns the statements that build
// them again, as the catalog defines them.
func dropReportIndexes(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = 'reports'::regclass
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		// name is the catalog's own regclass text (already quoted where needed), never input.
		if _, err := tx.Exec(ctx, `DROP INDEX `+name); err != nil {
			return nil, err
		}
	}
	return defs, nil
}

func generateReports(ctx context.Context, tx pgx.Tx, n int, bound orb.Bound) (int64, error) {
	tag, err := tx.Exec(ctx, `WITH cats AS (SELECT array_agg(code ORDER BY code) AS codes FROM categories WHERE active),
			us AS (SELECT array_agg(id ORDER BY id) AS ids FROM units),
			src AS (SELECT g, random() AS r, now() - random() * interval '365 days' AS t, random() AS x, random() AS y
				FROM generate_series(1, $5::int) g),
			st AS (SELECT src.*, cats.codes, us.ids,
				CASE WHEN us.ids IS NULL THEN (CASE WHEN r < 0.8 THEN 'closed' ELSE 'reported' END)
					WHEN r < 0.70 THEN 'closed' WHEN r < 0.75 THEN 'voided' WHEN r < 0.78 THEN 'duplicate'
					WHEN r < 0.88 THEN 'dispatched' WHEN r < 0.93 THEN 'accepted' WHEN r < 0.97 THEN 'resolved'
					WHEN r < 0.98 THEN 'rework' WHEN r < 0.99 THEN 'returned' ELSE 'reported' END AS status
				FROM src, cats, us)
		INSERT INTO reports (category_code, description, urgency, status, geom, unit_id, decided_by, routing_reason,
			time_limit_hours, deadline, dispatched_at, resolved_at, closed_at, source, created_at, updated_at)
		SELECT codes[1 + g % cardinality(codes)], 'generated report ' || g, CASE WHEN g % 10 = 0 THEN 'urgent' ELSE 'normal' END,
			status, ST_SetSRID(ST_MakePoint($1::float8 + x * ($3::float8 - $1::float8), $2::float8 + y * ($4::float8 - $2::float8)), 4326),
			CASE WHEN status IN ('reported', 'returned') OR ids IS NULL THEN NULL ELSE ids[1 + g % cardinality(ids)] END,
			'generated', 'generated for a benchmark',
			CASE WHEN status IN ('reported', 'returned') THEN NULL ELSE 24 END,
			CASE WHEN status IN ('reported', 'returned') THEN NULL ELSE t + interval '24 hours' END,
			CASE WHEN status IN ('reported', 'returned') THEN NULL ELSE t END,
			CASE WHEN status IN ('resolved', 'closed') THEN t + interval '20 hours' END,
			CASE WHEN status = 'closed' THEN t + interval '22 hours' END,
			'app', t, t
		FROM st`, bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1], n)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// ScratchDatabase creates an empty database named name beside the one base (a postgres:// URL) points to, and
// returns its URL and a function that drops it. Benchmarks fill it with a million reports, so they never touch
// the real data. The name is an identifier, so it is checked here rather than passed as an argument.
func ScratchDatabase(ctx context.Context, base, name string) (string, func(context.Context) error, error) {
	if !scratchName.MatchString(name) {
		return "", nil, fmt.Errorf("bench: scratch database name %q is not a plain lower-case identifier", name)
	}
	dbURL, err := DatabaseURL(base, name)
	if err != nil {
		return "", nil, err
	}
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("bench: create scratch database %s: %w", name, err)
	}
	drop := func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer c.Close(ctx)
		_, err = c.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`)
		return err
	}
	return dbURL, drop, nil
}

// DatabaseURL returns base (a postgres:// URL) with its database name replaced by name.
func DatabaseURL(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("bench: the database address must be a postgres:// URL to name a database beside it")
	}
	u.Path = "/" + name
	return u.String(), nil
}

var scratchName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
