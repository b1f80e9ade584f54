package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrCategoryChanged is returned by FileReport when the report's category (or the unit its default code names)
// is no longer the version the report was routed with: the caller reads it again and routes again.
var ErrCategoryChanged = errors.New("store: the category changed since it was read")

// DuplicateQuery says which open reports count as possible duplicates of a new one: of its category, within
// RadiusM meters of its point, filed at most Window before it; at most Limit, nearest first.
type DuplicateQuery struct {
	RadiusM float64
	Window  time.Duration
	Limit   int
}

// Filing is what FileReport did.
type Filing struct {
	Report     Report
	Created    bool     // false: the reporter had used the idempotency key; Report is the earlier report
	Duplicates []Report // possible duplicates (never the report itself), nearest first
}

// FileReport files a new report in one statement, the way the report service routes it: it inserts the report and
// its first steps (like CreateReport) only if its category is still at catVersion (see CategoryVersioned), and
// returns in the same round trip the possible duplicates of dup. The duplicates are read in the statement's
// snapshot, from before the insert, so the new report is never among them. When the reporter already used the
// idempotency key, the earlier report comes back with Created false and its own duplicates. When the category
// changed, nothing is written and the error is ErrCategoryChanged.
func (s *Store) FileReport(ctx context.Context, r Report, catVersion string, dup DuplicateQuery, events ...ReportEvent) (Filing, error) {
	args := append(reportInsertArgs(r), reportEventsJSON(events), catVersion, dup.RadiusM, dup.Window.Seconds(), dup.Limit)
	// $1 category, $6/$7 lon/lat, $30 created_at (NULL: now()), $34 the category's version, $35 radius, $36 window
	// in seconds, $37 limit. The guard reads the category and its default unit exactly as CategoryVersioned does.
	rows, err := s.db.Query(ctx, `WITH cat AS (
			SELECT 1 FROM categories c `+categoryUnitJoin+` WHERE c.code = $1 AND `+categoryVersionSQL+` = $34),
		`+reportInsertCTE(`SELECT `+reportInsertVals+` WHERE EXISTS (SELECT 1 FROM cat)`)+`,
		pin AS (SELECT ST_SetSRID(ST_MakePoint($6, $7), 4326) AS g, COALESCE($30::timestamptz, now()) AS t)
		SELECT 0, 0::float8, `+reportCols+` FROM ins r LEFT JOIN units u ON u.id = r.unit_id
		UNION ALL
		SELECT 1, x.* FROM (
			SELECT r.geom::geography <-> pin.g::geography AS d, `+reportCols+`
			FROM pin, reports r LEFT JOIN units u ON u.id = r.unit_id
			WHERE r.geom && ST_Expand(pin.g, $35 / 110000.0 / GREATEST(cos(radians($7)), 0.01))
				AND r.category_code = $1 AND r.status IN `+openStatusList+`
				AND r.created_at >= pin.t - make_interval(secs => $36)
				AND ST_DWithin(r.geom::geography, pin.g::geography, $35)
				AND EXISTS (SELECT 1 FROM cat)
			ORDER BY 1, r.id
			LIMIT $37) x
		ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return Filing{}, mapErr(err)
	}
	f := Filing{Duplicates: []Report{}}
	for rows.Next() {
		var kind int
		var d float64
		rep, err := scanReport(prefixScanner{rows, []any{&kind, &d}})
		if err != nil {
			rows.Close()
			return Filing{}, err
		}
		if kind == 0 {
			f.Report, f.Created = rep, true
		} else {
			f.Duplicates = append(f.Duplicates, rep)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Filing{}, mapErr(err)
	}
	if f.Created {
		return f, nil
	}
	// Nothing inserted: an idempotent retry, or a category that changed.
	if r.IdempotencyKey != nil && r.ReporterID != nil {
		earlier, err := s.ReportByIdempotencyKey(ctx, *r.ReporterID, *r.IdempotencyKey)
		if err == nil {
			dups, err := s.NearbyOpenReports(ctx, earlier.CategoryCode, earlier.Geom, dup.RadiusM, earlier.CreatedAt.Add(-dup.Window), earlier.ID, dup.Limit)
			return Filing{Report: earlier, Duplicates: dups}, err
		} else if !errors.Is(err, ErrNotFound) {
			return Filing{}, err
		}
	}
	return Filing{}, ErrCategoryChanged
}

// suffixScanner scans a row whose last columns go to post and the first ones to the caller's destinations.
type suffixScanner struct {
	row  pgx.Row
	post []any
}

// Scan scans dest and then the suffix columns.
func (p suffixScanner) Scan(dest ...any) error {
	return p.row.Scan(append(dest[:len(dest):len(dest)], p.post...)...)
}

// prefixScanner scans a row whose first columns go to pre and the rest to the caller's destinations.
type prefixScanner struct {
	rows pgx.Rows
	pre  []any
}

// Scan scans the prefix columns and then dest.
func (p prefixScanner) Scan(dest ...any) error {
	return p.rows.Scan(append(p.pre[:len(p.pre):len(p.pre)], dest...)...)
}
