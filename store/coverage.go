package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/domain"
)

// The coverage engine's SQL: loading what a computation needs, writing its results (coverage_pieces,
// coverage_support, coverage_areal), and reading them back for the API.

// validAt is the validity condition of zones and assignments at the time in $1 (NULL: now).
const validAt = `(valid_from IS NULL OR valid_from <= COALESCE($1::timestamptz, now()))
	AND (valid_to IS NULL OR valid_to > COALESCE($1::timestamptz, now()))`

// CoverageAsset is an asset as the coverage engine loads it.
type CoverageAsset struct {
	ID      int64
	Kind    string
	Name    string
	Geom    orb.Geometry // nil when the caller said it knows this Version
	LengthM float64
	Version int64 // the row's xmin, set by the queries that take known versions
}

// assetSelect reads assets with their row version, sending the geometry only for versions not in the
// text[] argument known; alias a.
func assetSelect(known string) string {
	return `SELECT a.id, a.kind, a.name, CASE WHEN k.key IS NULL THEN ST_AsBinary(a.geom) END, a.length_m, a.xmin::text::bigint
		FROM assets a LEFT JOIN unnest(` + known + `::text[]) AS k(key) ON k.key = a.id::text || ':' || a.xmin::text`
}

func scanVersionedAssets(rows pgx.Rows) ([]CoverageAsset, error) {
	defer rows.Close()
	var out []CoverageAsset
	for rows.Next() {
		var a CoverageAsset
		var g []byte
		if err := rows.Scan(&a.ID, &a.Kind, &a.Name, &g, &a.LengthM, &a.Version); err != nil {
			return nil, mapErr(err)
		}
		if g != nil {
			var err error
			if a.Geom, err = wkb.Unmarshal(g); err != nil {
				return nil, fmt.Errorf("store: asset %d geometry: %w", a.ID, err)
			}
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}

// CoverageAssetsKnown loads every asset of the given kinds with its row version; versions in known come
// without geometry.
func (s *Store) CoverageAssetsKnown(ctx context.Context, kinds []string, known []RowKey) ([]CoverageAsset, error) {
	rows, err := s.db.Query(ctx, assetSelect("$2")+` WHERE a.kind = ANY($1) ORDER BY a.id`, kinds, zoneKeys(known))
	if err != nil {
		return nil, mapErr(err)
	}
	return scanVersionedAssets(rows)
}

// CoverageZone is a zone valid at the computed time.
type CoverageZone struct {
	ID     int64
	UnitID int64
	Role   string
	Name   string
	// Version identifies the row version (its xmin): any update of the zone changes it, so a prepared
	// geometry cached under (ID, Version) is the zone's current one.
	Version int64
	Geom    orb.Geometry // nil when the caller said it knows this version
}

// RowKey names a row version (id and xmin) of a zone or asset the caller has prepared already, so its
// geometry need not be sent again.
type RowKey struct {
	ID, Version int64
}

// zoneKeys renders keys for the `known` join of the zone and asset queries.
func zoneKeys(known []RowKey) []string {
	out := make([]string, len(known))
	for i, k := range known {
		out[i] = fmt.Sprintf("%d:%d", k.ID, k.Version)
	}
	return out
}

// zoneSelect reads zones with their row version, sending the geometry only for versions not in the
// text[] argument $known (joined by hash, so thousands of known zones cost nothing per row).
func zoneSelect(known string) string {
	return `SELECT z.id, z.unit_id, z.role, z.name, z.xmin::text::bigint,
		CASE WHEN k.key IS NULL THEN ST_AsBinary(z.geom) END
		FROM zones z LEFT JOIN unnest(` + known + `::text[]) AS k(key) ON k.key = z.id::text || ':' || z.xmin::text`
}

func scanCoverageZones(rows pgx.Rows) ([]CoverageZone, error) {
	defer rows.Close()
	var out []CoverageZone
	for rows.Next() {
		var z CoverageZone
		var g []byte
		if err := rows.Scan(&z.ID, &z.UnitID, &z.Role, &z.Name, &z.Version, &g); err != nil {
			return nil, mapErr(err)
		}
		if g != nil {
			var err error
			if z.Geom, err = wkb.Unmarshal(g); err != nil {
				return nil, fmt.Errorf("store: zone %d geometry: %w", z.ID, err)
			}
		}
		out = append(out, z)
	}
	return out, mapErr(rows.Err())
}

// CoveragePiece is a stored stretch of a linear asset with a constant set of lead owners.
type CoveragePiece struct {
	AssetID int64
	FromM   float64
	ToM     float64
	Status  string // gap, covered or overlap
	UnitIDs []int64
	Geom    orb.Geometry // nil when read back without geometry
	// GeomMD5 is the md5 (hex) of the stored geometry's WKB, when read for comparison with new results.
	GeomMD5 string
}

// CoverageSupport is a stretch of a linear asset that a unit supports (never an owner).
type CoverageSupport struct {
	AssetID int64
	UnitID  int64
	FromM   float64
	ToM     float64
}

func scanCoverageAssets(rows pgx.Rows) ([]CoverageAsset, error) {
	defer rows.Close()
	var out []CoverageAsset
	for rows.Next() {
		var a CoverageAsset
		var g []byte
		if err := rows.Scan(&a.ID, &a.Kind, &a.Name, &g, &a.LengthM); err != nil {
			return nil, mapErr(err)
		}
		var err error
		if a.Geom, err = wkb.Unmarshal(g); err != nil {
			return nil, fmt.Errorf("store: asset %d geometry: %w", a.ID, err)
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}

// CoverageAssets loads the assets of the given kinds, restricted to ids unless ids is nil.
func (s *Store) CoverageAssets(ctx context.Context, ids []int64, kinds []string) ([]CoverageAsset, error) {
	rows, err := s.db.Query(ctx, `SELECT id, kind, name, ST_AsBinary(geom), length_m FROM assets
		WHERE kind = ANY($1) AND ($2::bigint[] IS NULL OR id = ANY($2)) ORDER BY id`, kinds, ids)
	if err != nil {
		return nil, mapErr(err)
	}
	return scanCoverageAssets(rows)
}

// coverageLockKey is the advisory lock between full recomputes (exclusive) and refreshes (shared).
const coverageLockKey = 0x636f76 // "cov"

// LockCoverage takes the coverage advisory lock for the rest of the transaction: shared for a refresh of
// some assets, exclusive for a full recompute, which must not miss a refresh committed while it computes.
func (s *Store) LockCoverage(ctx context.Context, exclusive bool) error {
	q := `SELECT pg_advisory_xact_lock_shared($1)`
	if exclusive {
		q = `SELECT pg_advisory_xact_lock($1)`
	}
	_, err := s.db.Exec(ctx, q, int64(coverageLockKey))
	return mapErr(err)
}

// SetLocalTimeout raises the statement timeout for the rest of the transaction (long recomputes).
func (s *Store) SetLocalTimeout(ctx context.Context, d time.Duration) error {
	_, err := s.db.Exec(ctx, `SELECT set_config('statement_timeout', $1, true)`, fmt.Sprint(d.Milliseconds()))
	return mapErr(err)
}

// BulkRecompute prepares the transaction for a full recompute of derived data: a long statement timeout,
// and no wait for the WAL flush at commit. Losing such a commit in a crash only leaves the previous,
// consistent results, which the next recompute replaces; never use it for a transaction that writes
// anything a user entered.
func (s *Store) BulkRecompute(ctx context.Context, timeout time.Duration) error {
	if err := s.SetLocalTimeout(ctx, timeout); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, `SELECT set_config('synchronous_commit', 'off', true)`)
	return mapErr(err)
}

// CoverageZones loads the zones valid at at (nil: now) whose bounds meet bound (nil: all); zones whose
// version is in known come without geometry.
func (s *Store) CoverageZones(ctx context.Context, bound *orb.Bound, at *time.Time, known []RowKey) ([]CoverageZone, error) {
	var env []float64
	if bound != nil {
		env = []float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}
	}
	rows, err := s.db.Query(ctx, zoneSelect("$3")+` WHERE `+zoneValidAt+`
		AND ($2::float8[] IS NULL OR z.geom && ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326))
		ORDER BY z.id`, at, env, zoneKeys(known))
	if err != nil {
		return nil, mapErr(err)
	}
	return scanCoverageZones(rows)
}

// zoneValidAt is validAt for the zones aliased z.
const zoneValidAt = `(z.valid_from IS NULL OR z.valid_from <= COALESCE($1::timestamptz, now()))
	AND (z.valid_to IS NULL OR z.valid_to > COALESCE($1::timestamptz, now()))`

// CoverageAssignments loads the assignments valid at at (nil: now) of the given assets (nil: all).
func (s *Store) CoverageAssignments(ctx context.Context, assetIDs []int64, at *time.Time) ([]Assignment, error) {
	rows, err := s.db.Query(ctx, `SELECT `+assignmentCols+` FROM assignments
		WHERE `+validAt+` AND ($2::bigint[] IS NULL OR asset_id = ANY($2)) ORDER BY asset_id, from_m, id`, at, assetIDs)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []Assignment
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}

// ReplaceAllCoverage empties the linear coverage tables and writes pieces and support with COPY. Run it in
// a transaction: an interrupted recompute then leaves the previous, consistent results in place.
func (s *Store) ReplaceAllCoverage(ctx context.Context, pieces []CoveragePiece, support []CoverageSupport) error {
	if _, err := s.db.Exec(ctx, `TRUNCATE coverage_pieces, coverage_support`); err != nil {
		return mapErr(err)
	}
	return s.copyCoverage(ctx, pieces, support)
}

// AnalyzeCoverage refreshes the planner's statistics of the coverage tables (migration 00024's coverage_analyze,
// which runs as the owner): after ReplaceAllCoverage commits, until autovacuum gets there, they describe the
// tables as they were before the rewrite.
func (s *Store) AnalyzeCoverage(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `SELECT coverage_analyze()`)
	return mapErr(err)
}

// copyCoverage writes rows with COPY; geometry goes as EWKB (SRID 4326), which PostGIS's binary input reads.
func (s *Store) copyCoverage(ctx context.Context, pieces []CoveragePiece, support []CoverageSupport) error {
	if len(pieces) > 0 {
		_, err := s.db.CopyFrom(ctx, pgx.Identifier{"coverage_pieces"},
			[]string{"asset_id", "from_m", "to_m", "status", "unit_ids", "geom"},
			pgx.CopyFromSlice(len(pieces), func(i int) ([]any, error) {
				p := pieces[i]
				g, err := ewkb.Marshal(p.Geom, 4326)
				if err != nil {
					return nil, fmt.Errorf("store: piece of asset %d: %w", p.AssetID, err)
				}
				ids := p.UnitIDs
				if ids == nil {
					ids = []int64{}
				}
				return []any{p.AssetID, p.FromM, p.ToM, p.Status, ids, g}, nil
			}))
		if err != nil {
			return mapErr(err)
		}
	}
	if len(support) > 0 {
		_, err := s.db.CopyFrom(ctx, pgx.Identifier{"coverage_support"},
			[]string{"asset_id", "unit_id", "from_m", "to_m"},
			pgx.CopyFromSlice(len(support), func(i int) ([]any, error) {
				x := support[i]
				return []any{x.AssetID, x.UnitID, x.FromM, x.ToM}, nil
			}))
		if err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// arealSQL computes coverage_areal rows for the areal assets selected by $2 (ids; NULL: all of kinds $3)
// at the time $1: the area inside the union of valid lead zones, or all of it when a valid lead assignment
// names the asset. Areas are on the spheroid.
const arealSQL = `
	SELECT a.id, ST_Area(a.geom::geography) AS area_m2,
		CASE WHEN EXISTS (SELECT 1 FROM assignments s WHERE s.asset_id = a.id AND s.role = 'lead' AND ` + `
			(s.valid_from IS NULL OR s.valid_from <= COALESCE($1::timestamptz, now())) AND (s.valid_to IS NULL OR s.valid_to > COALESCE($1::timestamptz, now())))
		THEN ST_Area(a.geom::geography)
		ELSE COALESCE((SELECT ST_Area(ST_Intersection(a.geom, ST_Union(z.geom))::geography) FROM zones z
			WHERE z.role = 'lead' AND z.geom && a.geom AND ST_Intersects(z.geom, a.geom) AND
			(z.valid_from IS NULL OR z.valid_from <= COALESCE($1::timestamptz, now())) AND (z.valid_to IS NULL OR z.valid_to > COALESCE($1::timestamptz, now()))), 0)
		END AS covered_m2,
		ARRAY(SELECT DISTINCT u FROM (
			SELECT z.unit_id AS u FROM zones z WHERE z.role = 'lead' AND z.geom && a.geom AND ST_Intersects(z.geom, a.geom) AND
				(z.valid_from IS NULL OR z.valid_from <= COALESCE($1::timestamptz, now())) AND (z.valid_to IS NULL OR z.valid_to > COALESCE($1::timestamptz, now()))
			UNION SELECT s.unit_id FROM assignments s WHERE s.asset_id = a.id AND s.role = 'lead' AND
				(s.valid_from IS NULL OR s.valid_from <= COALESCE($1::timestamptz, now())) AND (s.valid_to IS NULL OR s.valid_to > COALESCE($1::timestamptz, now()))
		) x ORDER BY u) AS unit_ids
	FROM assets a WHERE a.kind = ANY($3) AND ($2::bigint[] IS NULL OR a.id = ANY($2))`

// RefreshAreal recomputes coverage_areal for the areal assets among ids (nil: all assets of kinds).
func (s *Store) RefreshAreal(ctx context.Context, ids []int64, kinds []string) error {
	if ids == nil {
		if _, err := s.db.Exec(ctx, `DELETE FROM coverage_areal`); err != nil {
			return mapErr(err)
		}
	} else if _, err := s.db.Exec(ctx, `DELETE FROM coverage_areal WHERE asset_id = ANY($1)`, ids); err != nil {
		return mapErr(err)
	}
	_, err := s.db.Exec(ctx, `INSERT INTO coverage_areal (asset_id, area_m2, covered_m2, unit_ids) `+arealSQL,
		nil, ids, kinds)
	return mapErr(err)
}

// ArealCoverage is the coverage of one areal asset.
type ArealCoverage struct {
	AssetID   int64
	Kind      string
	AreaM2    float64
	CoveredM2 float64
	UnitIDs   []int64
}

// ArealCoverageAt computes (without storing) the coverage of areal assets among ids (nil: all of kinds)
// at the time at; with at nil it reads the stored results.
func (s *Store) ArealCoverageAt(ctx context.Context, ids []int64, kinds []string, at *time.Time) ([]ArealCoverage, error) {
	var rows pgx.Rows
	var err error
	if at == nil {
		rows, err = s.db.Query(ctx, `SELECT c.asset_id, a.kind, c.area_m2, c.covered_m2, c.unit_ids
			FROM coverage_areal c JOIN assets a ON a.id = c.asset_id
			WHERE a.kind = ANY($2) AND ($1::bigint[] IS NULL OR a.id = ANY($1)) ORDER BY c.asset_id`, ids, kinds)
	} else {
		rows, err = s.db.Query(ctx, `SELECT x.id, a.kind, x.area_m2, x.covered_m2, x.unit_ids FROM (`+arealSQL+`) x
			JOIN assets a ON a.id = x.id ORDER BY x.id`, at, ids, kinds)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []ArealCoverage
	for rows.Next() {
		var c ArealCoverage
		if err := rows.Scan(&c.AssetID, &c.Kind, &c.AreaM2, &c.CoveredM2, &c.UnitIDs); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// CoveragePiecesOf returns the stored pieces (without geometry) of the given assets, ordered by asset and measure.
func (s *Store) CoveragePiecesOf(ctx context.Context, assetIDs []int64) ([]CoveragePiece, error) {
	rows, err := s.db.Query(ctx, `SELECT asset_id, from_m, to_m, status, unit_ids FROM coverage_pieces
		WHERE asset_id = ANY($1) ORDER BY asset_id, from_m`, assetIDs)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []CoveragePiece
	for rows.Next() {
		var p CoveragePiece
		if err := rows.Scan(&p.AssetID, &p.FromM, &p.ToM, &p.Status, &p.UnitIDs); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}

// CoverageSupportOf returns the stored support stretches of an asset.
func (s *Store) CoverageSupportOf(ctx context.Context, assetID int64) ([]CoverageSupport, error) {
	rows, err := s.db.Query(ctx, `SELECT asset_id, unit_id, from_m, to_m FROM coverage_support
		WHERE asset_id = $1 ORDER BY from_m, unit_id`, assetID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []CoverageSupport
	for rows.Next() {
		var x CoverageSupport
		if err := rows.Scan(&x.AssetID, &x.UnitID, &x.FromM, &x.ToM); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, x)
	}
	return out, mapErr(rows.Err())
}

// KindTotals are the meters of one asset kind by coverage status.
type KindTotals struct {
	Kind     string
	TotalM   float64
	CoveredM float64 // one or more lead owners
	GapM     float64
	OverlapM float64 // two or more lead owners
}

// UnitTotals are the meters one unit leads, leads in overlap with others, and supports.
type UnitTotals struct {
	UnitID   int64
	Code     string
	Name     string
	LeadM    float64
	OverlapM float64
	SupportM float64
}

// CoverageByKind sums the stored pieces by asset kind. The total is the assets' length, so an asset
// whose coverage was never computed counts as a gap rather than vanishing from the figures.
func (s *Store) CoverageByKind(ctx context.Context, kinds []string) ([]KindTotals, error) {
	// From the roll-up the triggers of migration 00020 keep (the same sums as over assets and pieces), rounded to
	// the micrometre: deltas that cancel (a piece written and removed again) leave float residues of 1e-12 m.
	rows, err := s.db.Query(ctx, `SELECT k.kind, COALESCE(r.total, 0), COALESCE(r.covered, 0), COALESCE(r.overlap, 0)
		FROM unnest($1::text[]) WITH ORDINALITY AS k(kind, ord)
		LEFT JOIN (SELECT kind, round(sum(total_m)::numeric, 6)::float8 AS total, round(sum(covered_m)::numeric, 6)::float8 AS covered, round(sum(overlap_m)::numeric, 6)::float8 AS overlap
			FROM coverage_rollup WHERE kind = ANY($1) GROUP BY kind) r ON r.kind = k.kind
		ORDER BY k.ord`, kinds)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []KindTotals
	for rows.Next() {
		var t KindTotals
		if err := rows.Scan(&t.Kind, &t.TotalM, &t.CoveredM, &t.OverlapM); err != nil {
			return nil, mapErr(err)
		}
		t.GapM = max(0, t.TotalM-t.CoveredM)
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

// CoverageByUnit sums the stored pieces and support by unit, for every unit, ordered by code (from the roll-up).
func (s *Store) CoverageByUnit(ctx context.Context) ([]UnitTotals, error) {
	rows, err := s.db.Query(ctx, `SELECT u.id, u.code, u.name, COALESCE(r.lead, 0), COALESCE(r.overlap, 0), COALESCE(r.support, 0)
		FROM units u LEFT JOIN (SELECT unit_id, round(sum(lead_m)::numeric, 6)::float8 AS lead, round(sum(overlap_m)::numeric, 6)::float8 AS overlap, round(sum(support_m)::numeric, 6)::float8 AS support
			FROM coverage_rollup WHERE unit_id IS NOT NULL GROUP BY unit_id) r ON r.unit_id = u.id
		ORDER BY u.code`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []UnitTotals
	for rows.Next() {
		var t UnitTotals
		if err := rows.Scan(&t.UnitID, &t.Code, &t.Name, &t.LeadM, &t.OverlapM, &t.SupportM); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

// PieceFilter is domain.PieceFilter (the definition moved to package domain).
type PieceFilter = domain.PieceFilter

// CoverageFeatures returns the stored pieces matching f as a GeoJSON FeatureCollection written by PostGIS
// (Go never decodes geometry it only passes through), ordered by asset and measure.
func (s *Store) CoverageFeatures(ctx context.Context, f PieceFilter) ([]byte, error) {
	w := where{}
	if f.BBox != nil {
		w.add("p.geom && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1])
	}
	if f.Kind != "" {
		w.add("a.kind = $%d", f.Kind)
	}
	if f.Status != "" {
		w.add("p.status = $%d", f.Status)
	}
	if f.MinLengthM > 0 {
		w.add("p.to_m - p.from_m >= $%d", f.MinLengthM)
	}
	args := append(w.args, f.Limit)
	var b []byte
	err := s.db.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
			json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(x.geom, 7)::json, 'properties', json_build_object(
				'asset_id', x.asset_id, 'asset_name', x.name, 'kind', x.kind, 'from_m', x.from_m, 'to_m', x.to_m,
				'length_m', x.to_m - x.from_m, 'status', x.status, 'unit_ids', x.unit_ids))
			ORDER BY x.asset_id, x.from_m), '[]'::json))::text
		FROM (SELECT p.asset_id, a.name, a.kind, p.from_m, p.to_m, p.status, p.unit_ids, p.geom
			FROM coverage_pieces p JOIN assets a ON a.id = p.asset_id
			WHERE `+w.sql()+` ORDER BY p.asset_id, p.from_m LIMIT $`+fmt.Sprint(len(args))+`) x`, args...).Scan(&b)
	return b, mapErr(err)
}

// GapRow is domain.GapRow (the definition moved to package domain).
type GapRow = domain.GapRow

// CoverageGaps lists the stored gaps of at least minLengthM meters, ordered by asset and measure.
func (s *Store) CoverageGaps(ctx context.Context, kind string, minLengthM float64) ([]GapRow, error) {
	rows, err := s.db.Query(ctx, `SELECT p.asset_id, a.name, a.kind, p.from_m, p.to_m,
			ST_X(ST_StartPoint(ST_GeometryN(p.geom, 1))), ST_Y(ST_StartPoint(ST_GeometryN(p.geom, 1))),
			ST_X(ST_EndPoint(ST_GeometryN(p.geom, ST_NumGeometries(p.geom)))), ST_Y(ST_EndPoint(ST_GeometryN(p.geom, ST_NumGeometries(p.geom))))
		FROM coverage_pieces p JOIN assets a ON a.id = p.asset_id
		WHERE p.status = 'gap' AND ($1 = '' OR a.kind = $1) AND p.to_m - p.from_m >= $2
		ORDER BY p.asset_id, p.from_m`, kind, minLengthM)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []GapRow
	for rows.Next() {
		var g GapRow
		if err := rows.Scan(&g.AssetID, &g.AssetName, &g.Kind, &g.FromM, &g.ToM, &g.Start[0], &g.Start[1], &g.End[0], &g.End[1]); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, g)
	}
	return out, mapErr(rows.Err())
}

// NearestAssets returns up to n assets of the given kinds nearest to p by the GIST index's KNN order.
func (s *Store) NearestAssets(ctx context.Context, p orb.Point, kinds []string, n int) ([]CoverageAsset, error) {
	rows, err := s.db.Query(ctx, `SELECT id, kind, name, ST_AsBinary(geom), length_m FROM assets
		WHERE kind = ANY($3) ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT $4`, p[0], p[1], kinds, n)
	if err != nil {
		return nil, mapErr(err)
	}
	return scanCoverageAssets(rows)
}

// LeadZonesContaining returns the lead zones valid at at (nil: now) that contain p, ordered by id.
func (s *Store) LeadZonesContaining(ctx context.Context, p orb.Point, at *time.Time) ([]CoverageZone, error) {
	rows, err := s.db.Query(ctx, `SELECT id, unit_id, role, name FROM zones
		WHERE role = 'lead' AND `+validAt+` AND ST_Covers(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326)) ORDER BY id`, at, p[0], p[1])
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []CoverageZone
	for rows.Next() {
		var z CoverageZone
		if err := rows.Scan(&z.ID, &z.UnitID, &z.Role, &z.Name); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, z)
	}
	return out, mapErr(rows.Err())
}

// ValidityChanges returns the geometries of zones, and the asset ids of assignments, that started or
// stopped being valid in (since, now].
func (s *Store) ValidityChanges(ctx context.Context, since time.Time) ([]orb.Geometry, []int64, error) {
	rows, err := s.db.Query(ctx, `SELECT ST_AsBinary(geom) FROM zones
		WHERE (valid_from > $1 AND valid_from <= now()) OR (valid_to > $1 AND valid_to <= now())`, since)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	bs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, nil, mapErr(err)
	}
	var geoms []orb.Geometry
	for _, b := range bs {
		g, err := wkb.Unmarshal(b)
		if err != nil {
			return nil, nil, fmt.Errorf("store: zone geometry: %w", err)
		}
		geoms = append(geoms, g)
	}
	rows, err = s.db.Query(ctx, `SELECT DISTINCT asset_id FROM assignments
		WHERE (valid_from > $1 AND valid_from <= now()) OR (valid_to > $1 AND valid_to <= now()) ORDER BY 1`, since)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return geoms, ids, mapErr(err)
}

// Now returns the database's clock.
func (s *Store) Now(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := s.db.QueryRow(ctx, `SELECT now()`).Scan(&t)
	return t, mapErr(err)
}

// UnitsByID returns the units with the given ids, ordered by id.
func (s *Store) UnitsByID(ctx context.Context, ids []int64) ([]Unit, error) {
	rows, err := s.db.Query(ctx, `SELECT `+unitCols+` FROM units WHERE id = ANY($1) ORDER BY id`, ids)
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

// CompactCoverageRollup replaces the roll-up's deltas by their sums when there are more than limit rows, and
// says how many rows it wrote (0: none, the table was small enough).
func (s *Store) CompactCoverageRollup(ctx context.Context, limit int) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT CASE WHEN (SELECT count(*) FROM coverage_rollup) > $1 THEN coverage_rollup_compact() ELSE 0 END`, limit).Scan(&n)
	return n, mapErr(err)
}
