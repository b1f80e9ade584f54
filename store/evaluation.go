package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/vocab"
)

// EvalItem, EvalSite, EvalRound and EvalResult are the evaluation's records (package domain).
type (
	EvalItem   = domain.EvalItem
	EvalSite   = domain.EvalSite
	EvalRound  = domain.EvalRound
	EvalResult = domain.EvalResult
)

const evalItemCols = `i.id, i.site_type, i.code, i.version, i.name_zh, i.weight, i.check_kind, i.threshold, i.comparator,
	i.unit_label, i.category_code, i.sort, i.retired_at IS NOT NULL`

func scanEvalItem(row interface{ Scan(...any) error }) (EvalItem, error) {
	var it EvalItem
	err := row.Scan(&it.ID, &it.SiteType, &it.Code, &it.Version, &it.NameZh, &it.Weight, &it.CheckKind, &it.Threshold,
		&it.Comparator, &it.UnitLabel, &it.CategoryCode, &it.Sort, &it.Retired)
	return it, mapErr(err)
}

func collect[T any](rows pgx.Rows, err error, scan func(pgx.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, mapErr(rows.Err())
}

// EvalItems lists the current checklist items (of one site type when siteType is not empty), or every version
// when withRetired.
func (s *Store) EvalItems(ctx context.Context, siteType string, withRetired bool) ([]EvalItem, error) {
	rows, err := s.db.Query(ctx, `SELECT `+evalItemCols+` FROM eval_items i
		WHERE ($1 = '' OR i.site_type = $1) AND ($2 OR i.retired_at IS NULL)
		ORDER BY i.site_type, i.sort, i.code, i.version`, siteType, withRetired)
	return collect(rows, err, func(r pgx.Row) (EvalItem, error) { return scanEvalItem(r) })
}

// EvalItem returns one item version.
func (s *Store) EvalItem(ctx context.Context, id int64) (EvalItem, error) {
	return scanEvalItem(s.db.QueryRow(ctx, `SELECT `+evalItemCols+` FROM eval_items i WHERE i.id = $1`, id))
}

// CreateEvalItem adds version 1 of a new item code (a code already current for the site type: ErrConflict).
func (s *Store) CreateEvalItem(ctx context.Context, it EvalItem) (EvalItem, error) {
	return s.insertEvalItem(ctx, it, 1)
}

func (s *Store) insertEvalItem(ctx context.Context, it EvalItem, version int) (EvalItem, error) {
	return scanEvalItem(s.db.QueryRow(ctx, `INSERT INTO eval_items AS i (site_type, code, version, name_zh, weight, check_kind,
			threshold, comparator, unit_label, category_code, sort)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+evalItemCols,
		it.SiteType, it.Code, version, it.NameZh, it.Weight, it.CheckKind, it.Threshold, it.Comparator, it.UnitLabel,
		it.CategoryCode, it.Sort))
}

// ReviseEvalItem retires the current item version id and adds the next version of its code with it's fields
// (its site type and code stay), in one transaction: rounds created before keep the version they were scored
// with. A retired version cannot be revised (ErrConflict).
func (s *Store) ReviseEvalItem(ctx context.Context, id int64, it EvalItem) (EvalItem, error) {
	var out EvalItem
	err := s.WithTx(ctx, func(tx *Store) error {
		old, err := tx.EvalItem(ctx, id)
		if err != nil {
			return err
		}
		if old.Retired {
			return fmt.Errorf("%w: item %d is an old version; revise the current one", ErrConflict, id)
		}
		if _, err := tx.db.Exec(ctx, `UPDATE eval_items SET retired_at = now() WHERE id = $1`, id); err != nil {
			return mapErr(err)
		}
		it.SiteType, it.Code = old.SiteType, old.Code
		out, err = tx.insertEvalItem(ctx, it, old.Version+1)
		return err
	})
	return out, err
}

const evalSiteCols = `s.id, s.site_type, s.name, s.asset_id, s.unit_id, COALESCE(u.name, ''), ST_X(s.point), ST_Y(s.point)`

func scanEvalSite(row pgx.Row) (EvalSite, error) {
	var x EvalSite
	err := row.Scan(&x.ID, &x.SiteType, &x.Name, &x.AssetID, &x.UnitID, &x.UnitName, &x.Point[0], &x.Point[1])
	return x, mapErr(err)
}

// SitesForAssets returns the sites of the given assets, creating those missing: the site type is the one whose
// asset kind the asset has (kinds maps kind → site type; an asset of another kind is ErrInvalid), the point is
// the middle of a line or a point on the surface of an area. New sites have no unit yet (see SetSiteUnit).
func (s *Store) SitesForAssets(ctx context.Context, assetIDs []int64, kinds map[string]string) ([]EvalSite, error) {
	if len(assetIDs) == 0 {
		return []EvalSite{}, nil
	}
	ks, ts := make([]string, 0, len(kinds)), make([]string, 0, len(kinds))
	for k, t := range kinds {
		ks, ts = append(ks, k), append(ts, t)
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM assets WHERE id = ANY($1)`, assetIDs).Scan(&n); err != nil {
		return nil, mapErr(err)
	}
	if n != len(uniq(assetIDs)) {
		return nil, fmt.Errorf("%w: some asset ids do not exist", ErrNotFound)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO eval_sites (site_type, name, asset_id, point)
		SELECT k.t, CASE WHEN a.name = '' THEN a.kind || ' #' || a.id ELSE a.name END, a.id,
			CASE WHEN GeometryType(a.geom) LIKE '%LINESTRING' THEN ST_LineInterpolatePoint(ST_LineMerge(ST_GeometryN(a.geom, 1)), 0.5)
				ELSE ST_PointOnSurface(a.geom) END
		FROM assets a JOIN unnest($2::text[], $3::text[]) AS k(kind, t) ON k.kind = a.kind
		WHERE a.id = ANY($1)
		ON CONFLICT (asset_id, site_type) WHERE asset_id IS NOT NULL DO NOTHING`, assetIDs, ks, ts); err != nil {
		return nil, mapErr(err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+evalSiteCols+` FROM eval_sites s LEFT JOIN units u ON u.id = s.unit_id
		JOIN assets a ON a.id = s.asset_id JOIN unnest($2::text[], $3::text[]) AS k(kind, t) ON k.kind = a.kind AND k.t = s.site_type
		WHERE s.asset_id = ANY($1) ORDER BY s.id`, assetIDs, ks, ts)
	out, err := collect(rows, err, scanEvalSite)
	if err == nil && len(out) != len(uniq(assetIDs)) {
		return nil, fmt.Errorf("%w: some assets are of a kind no site type samples", ErrInvalid)
	}
	return out, err
}

func uniq(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// CreateEvalSite adds a site pinned by hand (a residential compound, say).
func (s *Store) CreateEvalSite(ctx context.Context, x EvalSite) (EvalSite, error) {
	return scanEvalSite(s.db.QueryRow(ctx, `WITH ins AS (INSERT INTO eval_sites (site_type, name, unit_id, point)
		VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326)) RETURNING *)
		SELECT `+evalSiteCols+` FROM ins s LEFT JOIN units u ON u.id = s.unit_id`, x.SiteType, x.Name, x.UnitID, x.Point[0], x.Point[1]))
}

// EvalSites lists sites (of one type when siteType is not empty), or those with the given ids.
func (s *Store) EvalSites(ctx context.Context, siteType string, ids []int64) ([]EvalSite, error) {
	rows, err := s.db.Query(ctx, `SELECT `+evalSiteCols+` FROM eval_sites s LEFT JOIN units u ON u.id = s.unit_id
		WHERE ($1 = '' OR s.site_type = $1) AND ($2::bigint[] IS NULL OR s.id = ANY($2)) ORDER BY s.id`, siteType, ids)
	return collect(rows, err, scanEvalSite)
}

// SetSiteUnit records the responsible unit found at a site's point.
func (s *Store) SetSiteUnit(ctx context.Context, siteID int64, unitID int64) error {
	_, err := s.db.Exec(ctx, `UPDATE eval_sites SET unit_id = $2 WHERE id = $1`, siteID, unitID)
	return mapErr(err)
}

// SampleAssets draws n assets of a kind at random, the way evaluators sample sites; seed (-1…1) makes the draw
// repeatable. Runs in the caller's transaction so that setseed and random share one connection.
func (s *Store) SampleAssets(ctx context.Context, kind string, n int, seed *float64) ([]int64, error) {
	var out []int64
	err := s.WithTx(ctx, func(tx *Store) error {
		if seed != nil {
			if _, err := tx.db.Exec(ctx, `SELECT setseed($1)`, *seed); err != nil {
				return mapErr(err)
			}
		}
		// The inner ORDER BY fixes the order random() is drawn in, so one seed gives one sample.
		rows, err := tx.db.Query(ctx, `SELECT id FROM (SELECT id FROM assets WHERE kind = $1 ORDER BY id) a
			ORDER BY random() LIMIT $2`, kind, n)
		out, err = collect(rows, err, func(r pgx.Row) (int64, error) { var id int64; return id, r.Scan(&id) })
		return err
	})
	return out, err
}

// SampleSites draws n existing sites of a type at random (for types pinned by hand).
func (s *Store) SampleSites(ctx context.Context, siteType string, n int, seed *float64) ([]int64, error) {
	var out []int64
	err := s.WithTx(ctx, func(tx *Store) error {
		if seed != nil {
			if _, err := tx.db.Exec(ctx, `SELECT setseed($1)`, *seed); err != nil {
				return mapErr(err)
			}
		}
		rows, err := tx.db.Query(ctx, `SELECT id FROM (SELECT id FROM eval_sites WHERE site_type = $1 ORDER BY id) a
			ORDER BY random() LIMIT $2`, siteType, n)
		out, err = collect(rows, err, func(r pgx.Row) (int64, error) { var id int64; return id, r.Scan(&id) })
		return err
	})
	return out, err
}

// CreateRound stores a round over the given sites with every current checklist item of their types and the
// evaluators (ids that are no user: ErrReference).
func (s *Store) CreateRound(ctx context.Context, r EvalRound, siteIDs, evaluators []int64, by *int64) (EvalRound, error) {
	var id int64
	err := s.WithTx(ctx, func(tx *Store) error {
		if err := tx.db.QueryRow(ctx, `INSERT INTO eval_rounds (name, starts_on, ends_on, rectify_by, created_by)
			VALUES ($1, $2::date, $3::date, $4, $5) RETURNING id`, r.Name, r.StartsOn, r.EndsOn, r.RectifyBy, by).Scan(&id); err != nil {
			return mapErr(err)
		}
		if _, err := tx.db.Exec(ctx, `INSERT INTO eval_round_sites (round_id, site_id) SELECT $1, unnest($2::bigint[])
			ON CONFLICT DO NOTHING`, id, siteIDs); err != nil {
			return mapErr(err)
		}
		if _, err := tx.db.Exec(ctx, `INSERT INTO eval_round_items (round_id, item_id)
			SELECT $1, i.id FROM eval_items i WHERE i.retired_at IS NULL
				AND i.site_type IN (SELECT s.site_type FROM eval_sites s WHERE s.id = ANY($2))`, id, siteIDs); err != nil {
			return mapErr(err)
		}
		if _, err := tx.db.Exec(ctx, `INSERT INTO eval_round_evaluators (round_id, user_id) SELECT $1, unnest($2::bigint[])
			ON CONFLICT DO NOTHING`, id, evaluators); err != nil {
			return mapErr(err)
		}
		return nil
	})
	if err != nil {
		return EvalRound{}, err
	}
	return s.Round(ctx, id)
}

const roundCols = `r.id, r.name, r.starts_on::text, r.ends_on::text, r.rectify_by, r.created_at`

func scanRound(row pgx.Row) (EvalRound, error) {
	var r EvalRound
	err := row.Scan(&r.ID, &r.Name, &r.StartsOn, &r.EndsOn, &r.RectifyBy, &r.CreatedAt)
	return r, mapErr(err)
}

// Rounds lists the rounds, oldest first (without their sites and items).
func (s *Store) Rounds(ctx context.Context) ([]EvalRound, error) {
	rows, err := s.db.Query(ctx, `SELECT `+roundCols+` FROM eval_rounds r ORDER BY r.starts_on, r.id`)
	return collect(rows, err, scanRound)
}

// Round returns a round with its sites, items and evaluators.
func (s *Store) Round(ctx context.Context, id int64) (EvalRound, error) {
	r, err := scanRound(s.db.QueryRow(ctx, `SELECT `+roundCols+` FROM eval_rounds r WHERE r.id = $1`, id))
	if err != nil {
		return r, err
	}
	rows, err := s.db.Query(ctx, `SELECT `+evalSiteCols+` FROM eval_round_sites rs JOIN eval_sites s ON s.id = rs.site_id
		LEFT JOIN units u ON u.id = s.unit_id WHERE rs.round_id = $1 ORDER BY s.site_type, s.id`, id)
	if r.Sites, err = collect(rows, err, scanEvalSite); err != nil {
		return r, err
	}
	rows, err = s.db.Query(ctx, `SELECT `+evalItemCols+` FROM eval_round_items ri JOIN eval_items i ON i.id = ri.item_id
		WHERE ri.round_id = $1 ORDER BY i.site_type, i.sort, i.code`, id)
	if r.Items, err = collect(rows, err, func(r pgx.Row) (EvalItem, error) { return scanEvalItem(r) }); err != nil {
		return r, err
	}
	rows, err = s.db.Query(ctx, `SELECT user_id FROM eval_round_evaluators WHERE round_id = $1 ORDER BY user_id`, id)
	r.Evaluators, err = collect(rows, err, func(r pgx.Row) (int64, error) { var id int64; return id, r.Scan(&id) })
	return r, err
}

const evalResultCols = `e.id, e.round_id, e.site_id, e.item_id, e.outcome, e.value, e.note, ST_X(e.point), ST_Y(e.point),
	e.evaluator_id, e.scored_at, e.report_id, e.rebound_of, e.rechecked_by`

func scanEvalResult(row pgx.Row) (EvalResult, error) {
	var r EvalResult
	var x, y *float64
	err := row.Scan(&r.ID, &r.RoundID, &r.SiteID, &r.ItemID, &r.Outcome, &r.Value, &r.Note, &x, &y, &r.EvaluatorID,
		&r.ScoredAt, &r.ReportID, &r.ReboundOf, &r.RecheckedBy)
	if x != nil && y != nil {
		r.Point = &orb.Point{*x, *y}
	}
	return r, mapErr(err)
}

// Results lists a round's results.
func (s *Store) Results(ctx context.Context, roundID int64) ([]EvalResult, error) {
	rows, err := s.db.Query(ctx, `SELECT `+evalResultCols+` FROM eval_results e WHERE e.round_id = $1 ORDER BY e.id`, roundID)
	return collect(rows, err, scanEvalResult)
}

// ErrResultFiled is returned when a verdict would change a result whose failure already filed a case.
var ErrResultFiled = errors.New("store: this item already filed a case; its verdict stands")

// SaveResult records a verdict, replacing an earlier one for the same round, site and item unless that one
// already filed a case: then the stored result is returned with ErrResultFiled when the new verdict differs
// (the same verdict again — a phone syncing twice — answers the stored result without error).
func (s *Store) SaveResult(ctx context.Context, r EvalResult) (EvalResult, error) {
	var x, y *float64
	if r.Point != nil {
		x, y = &r.Point[0], &r.Point[1]
	}
	out, err := scanEvalResult(s.db.QueryRow(ctx, `INSERT INTO eval_results AS e (round_id, site_id, item_id, outcome, value, note,
			point, evaluator_id, scored_at)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::float8 IS NOT NULL THEN ST_SetSRID(ST_MakePoint($7, $8), 4326) END, $9, now())
		ON CONFLICT (round_id, site_id, item_id) DO UPDATE SET outcome = EXCLUDED.outcome, value = EXCLUDED.value,
			note = EXCLUDED.note, point = EXCLUDED.point, evaluator_id = EXCLUDED.evaluator_id, scored_at = now()
		WHERE e.report_id IS NULL
		RETURNING `+evalResultCols, r.RoundID, r.SiteID, r.ItemID, r.Outcome, r.Value, r.Note, x, y, r.EvaluatorID))
	if !errors.Is(err, ErrNotFound) {
		return out, err
	}
	out, err = scanEvalResult(s.db.QueryRow(ctx, `SELECT `+evalResultCols+` FROM eval_results e
		WHERE e.round_id = $1 AND e.site_id = $2 AND e.item_id = $3`, r.RoundID, r.SiteID, r.ItemID))
	if err == nil && out.Outcome != r.Outcome {
		return out, ErrResultFiled
	}
	return out, err
}

// LinkResult records the case a failure filed and the earlier failure it rebounds from.
func (s *Store) LinkResult(ctx context.Context, id, reportID int64, reboundOf *int64) error {
	_, err := s.db.Exec(ctx, `UPDATE eval_results SET report_id = $2, rebound_of = $3 WHERE id = $1`, id, reportID, reboundOf)
	return mapErr(err)
}

// MarkRechecked records that a later passing result closed an earlier failure's loop.
func (s *Store) MarkRechecked(ctx context.Context, earlierID, laterID int64) error {
	_, err := s.db.Exec(ctx, `UPDATE eval_results SET rechecked_by = $2 WHERE id = $1 AND rechecked_by IS NULL`, earlierID, laterID)
	return mapErr(err)
}

// PriorFailure is an earlier failure of an item (any version of its code) at a site, with where its case stands.
type PriorFailure struct {
	ResultID     int64
	ReportID     *int64
	ReportStatus string
	Rechecked    bool
}

// PriorFailure returns the latest failure of the item code at the site in a round other than roundID, from before
// now; ErrNotFound when there is none.
func (s *Store) PriorFailure(ctx context.Context, siteID int64, itemCode string, roundID int64) (PriorFailure, error) {
	var p PriorFailure
	err := s.db.QueryRow(ctx, `SELECT e.id, e.report_id, COALESCE(r.status, ''), e.rechecked_by IS NOT NULL
		FROM eval_results e JOIN eval_items i ON i.id = e.item_id LEFT JOIN reports r ON r.id = e.report_id
		WHERE e.site_id = $1 AND i.code = $2 AND e.round_id <> $3 AND e.outcome = 'fail'
		ORDER BY e.scored_at DESC, e.id DESC LIMIT 1`, siteID, itemCode, roundID).
		Scan(&p.ResultID, &p.ReportID, &p.ReportStatus, &p.Rechecked)
	return p, mapErr(err)
}

// ReportBySource returns the report an import or a round filed under (source, source_id).
func (s *Store) ReportBySource(ctx context.Context, source, sourceID string) (Report, error) {
	return scanReport(s.db.QueryRow(ctx, `SELECT `+reportCols+` FROM reports r LEFT JOIN units u ON u.id = r.unit_id
		WHERE r.source = $1 AND r.source_id = $2`, source, sourceID))
}

// LedgerRow is one line of the rectification ledger (整改台账), as the store reads it.
type LedgerRow = domain.LedgerRow

// RoundLedger lists the cases a round's failures filed, each with its site, item, unit and photos; unitID
// narrows it to one unit's cases (the visibility policy's own-unit scope).
func (s *Store) RoundLedger(ctx context.Context, roundID int64, unitID *int64) ([]LedgerRow, error) {
	rows, err := s.db.Query(ctx, `SELECT e.id, s.name, s.site_type, i.code || ' ' || i.name_zh, e.note, `+ledgerCaseCols+`,
			e.rebound_of IS NOT NULL, e.rechecked_by IS NOT NULL
		FROM eval_results e JOIN eval_sites s ON s.id = e.site_id JOIN eval_items i ON i.id = e.item_id
		JOIN reports r ON r.id = e.report_id LEFT JOIN units u ON u.id = r.unit_id
		WHERE e.round_id = $1 AND ($2::bigint IS NULL OR r.unit_id = $2) ORDER BY s.site_type, s.id, i.sort, e.id`, roundID, unitID)
	return collect(rows, err, scanLedger)
}

// ledgerCaseCols are the case's columns of a ledger row: the report, its unit, and its photos — the first one
// attached before the fix, and the after photo of the last resolve.
const ledgerCaseCols = `r.id, r.status, r.deadline, r.resolved_at, r.rework_count, r.unit_id, COALESCE(u.name, ''),
	(SELECT p.id FROM photos p WHERE p.report_id = r.id AND (r.resolved_at IS NULL OR p.created_at <= r.resolved_at)
		AND p.id IS DISTINCT FROM (SELECT e2.photo_id FROM report_events e2 WHERE e2.report_id = r.id AND e2.action = 'resolve'
			AND e2.photo_id IS NOT NULL ORDER BY e2.id DESC LIMIT 1) ORDER BY p.id LIMIT 1),
	(SELECT e2.photo_id FROM report_events e2 WHERE e2.report_id = r.id AND e2.action = 'resolve' AND e2.photo_id IS NOT NULL
		ORDER BY e2.id DESC LIMIT 1)`

func scanLedger(row pgx.Row) (LedgerRow, error) {
	var l LedgerRow
	err := row.Scan(&l.Ref, &l.Site, &l.SiteType, &l.Item, &l.Note, &l.ReportID, &l.Status, &l.Deadline, &l.ResolvedAt,
		&l.Rework, &l.UnitID, &l.UnitName, &l.BeforePhotoID, &l.AfterPhotoID, &l.Rebound, &l.Rechecked)
	return l, mapErr(err)
}

// FeedbackLedger lists the rows of every imported feedback list that filed a case (unitID as in RoundLedger).
func (s *Store) FeedbackLedger(ctx context.Context, unitID *int64) ([]LedgerRow, error) {
	rows, err := s.db.Query(ctx, `SELECT f.id, f.place, '', f.problem, f.seq, `+ledgerCaseCols+`, false, false
		FROM feedback_rows f JOIN reports r ON r.id = f.report_id LEFT JOIN units u ON u.id = r.unit_id
		WHERE ($1::bigint IS NULL OR r.unit_id = $1) ORDER BY f.import_id, f.row_no`, unitID)
	return collect(rows, err, scanLedger)
}

// FeedbackRow is one row of an imported feedback list as stored.
type FeedbackRow = domain.FeedbackRow

// FeedbackRowByHash returns the stored row with that content hash; ErrNotFound when the row is new.
func (s *Store) FeedbackRowByHash(ctx context.Context, hash string) (FeedbackRow, error) {
	var f FeedbackRow
	err := s.db.QueryRow(ctx, `SELECT id, import_id, row_no, seq, place, problem, category, photos, row_hash, located, reason, report_id
		FROM feedback_rows WHERE row_hash = $1`, hash).Scan(&f.ID, &f.ImportID, &f.RowNo, &f.Seq, &f.Place, &f.Problem,
		&f.Category, &f.Photos, &f.Hash, &f.Located, &f.Reason, &f.ReportID)
	return f, mapErr(err)
}

// CreateFeedbackImport records an imported file.
func (s *Store) CreateFeedbackImport(ctx context.Context, fileName, sha string, rectifyBy *time.Time, by *int64) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `INSERT INTO feedback_imports (file_name, sha256, rectify_by, user_id) VALUES ($1, $2, $3, $4)
		RETURNING id`, fileName, sha, rectifyBy, by).Scan(&id)
	return id, mapErr(err)
}

// SaveFeedbackRow stores a row of an import, or — when a row with its hash is stored unlocated — updates it (a
// later import may locate it); a row already filed is left alone.
func (s *Store) SaveFeedbackRow(ctx context.Context, f FeedbackRow) (FeedbackRow, error) {
	err := s.db.QueryRow(ctx, `INSERT INTO feedback_rows AS f (import_id, row_no, seq, place, problem, category, photos, row_hash,
			located, reason, report_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (row_hash) DO UPDATE SET import_id = EXCLUDED.import_id, row_no = EXCLUDED.row_no, located = EXCLUDED.located,
			reason = EXCLUDED.reason, report_id = EXCLUDED.report_id
		WHERE f.report_id IS NULL
		RETURNING id`, f.ImportID, f.RowNo, f.Seq, f.Place, f.Problem, f.Category, f.Photos, f.Hash, f.Located, f.Reason,
		f.ReportID).Scan(&f.ID)
	return f, mapErr(err)
}

// FeedbackRows lists stored feedback rows; located narrows to located or unlocated ones.
func (s *Store) FeedbackRows(ctx context.Context, located *bool) ([]FeedbackRow, error) {
	rows, err := s.db.Query(ctx, `SELECT id, import_id, row_no, seq, place, problem, category, photos, row_hash, located, reason, report_id
		FROM feedback_rows WHERE ($1::bool IS NULL OR located = $1) ORDER BY import_id, row_no`, located)
	return collect(rows, err, func(r pgx.Row) (FeedbackRow, error) {
		var f FeedbackRow
		err := r.Scan(&f.ID, &f.ImportID, &f.RowNo, &f.Seq, &f.Place, &f.Problem, &f.Category, &f.Photos, &f.Hash, &f.Located,
			&f.Reason, &f.ReportID)
		return f, mapErr(err)
	})
}

// NamedLine is a road or alley found by name.
type NamedLine struct {
	ID   int64
	Name string
}

// LineNamedAtEnd finds the road or alley whose name ends the text — the longest such name, then the longest
// line — so that "城关镇人民路" finds 人民路; ErrNotFound when no name fits.
func (s *Store) LineNamedAtEnd(ctx context.Context, text string) (NamedLine, error) {
	var l NamedLine
	err := s.db.QueryRow(ctx, `SELECT id, name FROM assets
		WHERE kind = ANY($2) AND name <> '' AND length(name) <= length($1) AND right($1, length(name)) = name
		ORDER BY length(name) DESC, length_m DESC NULLS LAST, id LIMIT 1`, text, vocab.Strings(vocab.LinearKinds)).Scan(&l.ID, &l.Name)
	return l, mapErr(err)
}

// Crossing is where two named lines meet, optionally moved along the first one: from the crossing, offsetM
// meters towards the compass bearing (degrees), snapped back onto the first line. ErrNotFound when they do not
// meet (within 15 m, for networks drawn with small gaps at junctions).
func (s *Store) Crossing(ctx context.Context, a, b int64, bearingDeg, offsetM float64) (orb.Point, error) {
	var p orb.Point
	err := s.db.QueryRow(ctx, `WITH x AS (
			SELECT CASE WHEN ST_Intersects(a.geom, b.geom) THEN ST_PointOnSurface(ST_GeometryN(ST_Intersection(a.geom, b.geom), 1))
				ELSE ST_ClosestPoint(a.geom, b.geom) END AS g, a.geom AS ag
			FROM assets a, assets b
			WHERE a.id = $1 AND b.id = $2 AND ST_DWithin(a.geom::geography, b.geom::geography, 15)),
		moved AS (SELECT CASE WHEN $4 > 0 THEN ST_ClosestPoint(ag, ST_Project(g::geography, $4, radians($3))::geometry) ELSE g END AS g FROM x)
		SELECT ST_X(g), ST_Y(g) FROM moved`, a, b, bearingDeg, offsetM).Scan(&p[0], &p[1])
	return p, mapErr(err)
}

// UserByID returns a user (to check a round's evaluators).
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.db.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// UsersWithRoles lists the enabled users of the given roles (a round's possible evaluators), by name.
func (s *Store) UsersWithRoles(ctx context.Context, roles []string) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userCols+` FROM users WHERE role = ANY($1) AND NOT disabled ORDER BY username`, roles)
	return collect(rows, err, func(r pgx.Row) (User, error) { return scanUser(r) })
}
