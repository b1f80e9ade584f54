package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// The coverage engine's incremental path: what a refresh reads and writes, each in one round trip
// (a pgx batch runs its statements in order on the server after a single send). A refresh after a zone
// edit used to make a dozen round trips, and on a loaded machine each costs a scheduling delay.

// batcher is what both a pool and a transaction offer for batches.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	bs, ok := s.db.(batcher)
	if !ok {
		return nil, fmt.Errorf("store: %T cannot send batches", s.db)
	}
	return bs.SendBatch(ctx, b), nil
}

// RefreshSelection names the assets a refresh recomputes: by id, or every asset whose bounds meet one of
// Bounds (through the GIST index).
type RefreshSelection struct {
	IDs    []int64
	Bounds []orb.Bound
	// PieceMD5 reads the md5 of each stored piece's geometry (CoveragePiece.GeomMD5), which only a refresh of
	// assets whose own geometry may have changed compares; detoasting and hashing every piece costs otherwise.
	PieceMD5 bool
}

// sql returns a subquery of the selected asset ids over the arguments it returns ($1 onwards).
func (r RefreshSelection) sql() (string, []any) {
	if r.Bounds == nil {
		return `SELECT id FROM assets WHERE id = ANY($1::bigint[])`, []any{r.IDs}
	}
	n := len(r.Bounds)
	x0, y0, x1, y1 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, b := range r.Bounds {
		x0[i], y0[i], x1[i], y1[i] = b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	}
	return `SELECT a2.id FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[]) AS b(x0, y0, x1, y1)
		JOIN assets a2 ON a2.geom && ST_MakeEnvelope(b.x0, b.y0, b.x1, b.y1, 4326)`, []any{x0, y0, x1, y1}
}

// RefreshData is what a refresh reads: the locked assets, the zones valid now near them, their valid
// assignments, and their stored pieces (without geometry) and support.
type RefreshData struct {
	Assets      []CoverageAsset
	Zones       []CoverageZone
	Assignments []Assignment
	Pieces      []CoveragePiece
	Support     []CoverageSupport
}

// LoadForRefresh, in the caller's transaction and one round trip: takes the shared coverage lock, locks
// the selected assets (in id order, so two refreshes cannot deadlock) and reads what recomputing them needs. Zones
// are those valid now whose bounds meet the locked assets' extent grown by margin degrees (lon, lat).
// Zone versions in known and asset versions in knownAssets come without geometry. Every statement after the lock reads what was committed
// when the lock was granted, or later.
func (s *Store) LoadForRefresh(ctx context.Context, sel RefreshSelection, margin [2]float64, known, knownAssets []RowKey) (RefreshData, error) {
	var d RefreshData
	ids, args := sel.sql()
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock_shared($1)`, int64(coverageLockKey))
	k := len(args)
	b.Queue(assetSelect(fmt.Sprintf("$%d", k+1))+` WHERE a.id IN (`+ids+`) ORDER BY a.id FOR NO KEY UPDATE OF a`,
		append(append([]any{}, args...), zoneKeys(knownAssets))...)
	b.Queue(zoneSelect(fmt.Sprintf("$%d", k+3))+` WHERE `+strings.ReplaceAll(zoneValidAt, "$1", "NULL")+` AND z.geom && (
			SELECT ST_Expand(ST_Extent(a.geom)::geometry, `+fmt.Sprintf("$%d, $%d", k+1, k+2)+`) FROM assets a WHERE a.id IN (`+ids+`))
		ORDER BY z.id`, append(append([]any{}, args...), margin[0], margin[1], zoneKeys(known))...)
	b.Queue(`SELECT `+assignmentCols+` FROM assignments WHERE `+strings.ReplaceAll(validAt, "$1", "NULL")+`
		AND asset_id IN (`+ids+`) ORDER BY asset_id, from_m, id`, args...)
	b.Queue(`SELECT asset_id, from_m, to_m, status, unit_ids, CASE WHEN `+fmt.Sprintf("$%d", k+1)+` THEN md5(ST_AsBinary(geom)) ELSE '' END
		FROM coverage_pieces WHERE asset_id IN (`+ids+`) ORDER BY asset_id, from_m`, append(append([]any{}, args...), sel.PieceMD5)...)
	b.Queue(`SELECT asset_id, unit_id, from_m, to_m FROM coverage_support
		WHERE asset_id IN (`+ids+`) ORDER BY asset_id, from_m, unit_id`, args...)
	res, err := s.sendBatch(ctx, b)
	if err != nil {
		return d, err
	}
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return d, mapErr(err)
	}
	rows, err := res.Query()
	if err != nil {
		return d, mapErr(err)
	}
	if d.Assets, err = scanVersionedAssets(rows); err != nil {
		return d, err
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	if d.Zones, err = scanCoverageZones(rows); err != nil {
		return d, err
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	if d.Assignments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignment, error) { return scanAssignment(r) }); err != nil {
		return d, mapErr(err)
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	if d.Pieces, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (CoveragePiece, error) {
		var p CoveragePiece
		err := r.Scan(&p.AssetID, &p.FromM, &p.ToM, &p.Status, &p.UnitIDs, &p.GeomMD5)
		return p, err
	}); err != nil {
		return d, mapErr(err)
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	if d.Support, err = pgx.CollectRows(rows, pgx.RowToStructByPos[CoverageSupport]); err != nil {
		return d, mapErr(err)
	}
	return d, mapErr(res.Close())
}

// WriteCoverage replaces the stored pieces and support of the given assets (and drops any areal result
// they had, for an asset that stopped being areal), in the caller's transaction and one round trip.
// Small refreshes insert from arrays; a COPY costs more round trips than it saves below thousands of rows.
func (s *Store) WriteCoverage(ctx context.Context, assetIDs []int64, pieces []CoveragePiece, support []CoverageSupport) error {
	return s.PatchCoverage(ctx, assetIDs, nil, pieces, support)
}

// PatchCoverage is WriteCoverage for assets whose stored pieces are partly still right: it deletes only
// the pieces in drop (by asset and from_m; nil means all pieces of assetIDs) and inserts pieces, so a
// moved boundary rewrites the two pieces beside it rather than every piece of the road. Support and
// areal rows of assetIDs are replaced as in WriteCoverage.
func (s *Store) PatchCoverage(ctx context.Context, assetIDs []int64, drop, pieces []CoveragePiece, support []CoverageSupport) error {
	if len(assetIDs) == 0 {
		return nil
	}
	n := len(pieces)
	pa, pf, pt, ps, pu, pg := make([]int64, n), make([]float64, n), make([]float64, n), make([]string, n), make([]string, n), make([][]byte, n)
	for i, p := range pieces {
		pa[i], pf[i], pt[i], ps[i] = p.AssetID, p.FromM, p.ToM, p.Status
		var sb strings.Builder
		sb.WriteByte('{')
		for j, u := range p.UnitIDs {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatInt(u, 10))
		}
		sb.WriteByte('}')
		pu[i] = sb.String()
		g, err := wkb.Marshal(p.Geom)
		if err != nil {
			return fmt.Errorf("store: piece of asset %d: %w", p.AssetID, err)
		}
		pg[i] = g
	}
	m := len(support)
	sa, su, sf, st := make([]int64, m), make([]int64, m), make([]float64, m), make([]float64, m)
	for i, x := range support {
		sa[i], su[i], sf[i], st[i] = x.AssetID, x.UnitID, x.FromM, x.ToM
	}
	b := &pgx.Batch{}
	if drop == nil {
		b.Queue(`DELETE FROM coverage_pieces WHERE asset_id = ANY($1)`, assetIDs)
	} else if len(drop) > 0 {
		da, df := make([]int64, len(drop)), make([]float64, len(drop))
		for i, p := range drop {
			da[i], df[i] = p.AssetID, p.FromM
		}
		b.Queue(`DELETE FROM coverage_pieces WHERE (asset_id, from_m) IN (SELECT * FROM unnest($1::bigint[], $2::float8[]))`, da, df)
	}
	b.Queue(`DELETE FROM coverage_support WHERE asset_id = ANY($1)`, assetIDs)
	b.Queue(`DELETE FROM coverage_areal WHERE asset_id = ANY($1)`, assetIDs)
	if n > 0 {
		b.Queue(`INSERT INTO coverage_pieces (asset_id, from_m, to_m, status, unit_ids, geom)
			SELECT a, f, t, s, u::bigint[], ST_GeomFromWKB(g, 4326)
			FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::text[], $5::text[], $6::bytea[]) AS x(a, f, t, s, u, g)`,
			pa, pf, pt, ps, pu, pg)
	}
	if m > 0 {
		b.Queue(`INSERT INTO coverage_support (asset_id, unit_id, from_m, to_m)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::float8[])`, sa, su, sf, st)
	}
	res, err := s.sendBatch(ctx, b)
	if err != nil {
		return err
	}
	for i := 0; i < b.Len(); i++ {
		if _, err := res.Exec(); err != nil {
			res.Close()
			return mapErr(err)
		}
	}
	return mapErr(res.Close())
}

// OwnerData is what an owner lookup reads in one round trip: the nearest linear assets by the index's
// KNN order, their stored pieces, the lead assignments valid now on them, the units the pieces name, and
// when no asset is near (ZonesRead) the lead zones valid now containing the point, with their units.
type OwnerData struct {
	Assets      []CoverageAsset
	Pieces      []CoveragePiece
	Assignments []Assignment
	ZonesRead   bool
	Zones       []CoverageZone // without geometry
	Units       []Unit
}

// OwnerLookup reads what an owner lookup at p needs from the stored results, in one round trip: the n
// assets of kinds nearest p, and the rest as OwnerData says. Zones are read only when the nearest of
// those assets is farther than farM meters (the point-in-polygon test on a large zone is the costliest
// part of the lookup, and a street near the point decides without it).
func (s *Store) OwnerLookup(ctx context.Context, p orb.Point, kinds []string, n int, farM float64) (OwnerData, error) {
	var d OwnerData
	// The KNN subquery is repeated in each statement rather than passed back from Go: an index probe
	// costs less than a second round trip. ARRAY(…) makes it a one-time InitPlan, so the pieces and
	// assignments are then read through their asset_id indexes whatever plan the prepared statement gets.
	const near = `ARRAY(SELECT id FROM assets WHERE kind = ANY($3) ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT $4)`
	// Planar distance in degrees, scaled by the most meters a degree can span (111.7 km, along a meridian
	// near a pole), is never less than the distance in meters: a street it puts within farM is within
	// farM. (Geography distance would be exact but costs a millisecond to set up per statement.)
	const far = `COALESCE((SELECT min(ST_Distance(a.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))) * 111700
		FROM assets a WHERE a.id = ANY(` + near + `)) > $5, true)`
	// The zones containing the point come with their unit (as JSON), so the costly ST_Covers of a large
	// zone runs once.
	const zonesHere = `SELECT z.id, z.unit_id, z.name, to_json(u)::text FROM zones z JOIN units u ON u.id = z.unit_id
		WHERE z.role = 'lead'
		AND (z.valid_from IS NULL OR z.valid_from <= now()) AND (z.valid_to IS NULL OR z.valid_to > now())
		AND ST_Covers(z.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) AND ` + far
	b := &pgx.Batch{}
	b.Queue(`SELECT id, kind, name, ST_AsBinary(geom), length_m FROM assets
		WHERE kind = ANY($3) ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326) LIMIT $4`, p[0], p[1], kinds, n)
	b.Queue(`SELECT asset_id, from_m, to_m, status, unit_ids FROM coverage_pieces
		WHERE asset_id = ANY(`+near+`) ORDER BY asset_id, from_m`, p[0], p[1], kinds, n)
	b.Queue(`SELECT `+assignmentCols+` FROM assignments WHERE role = 'lead'
		AND (valid_from IS NULL OR valid_from <= now()) AND (valid_to IS NULL OR valid_to > now())
		AND asset_id = ANY(`+near+`) ORDER BY asset_id, from_m, id`, p[0], p[1], kinds, n)
	b.Queue(`SELECT `+unitCols+` FROM units WHERE id = ANY(ARRAY(
			SELECT unnest(unit_ids) FROM coverage_pieces WHERE asset_id = ANY(`+near+`)))
		ORDER BY id`, p[0], p[1], kinds, n)
	// A first row with id 0 says that the zones were read (no street within farM).
	b.Queue(`SELECT 0, 0, '', NULL::text WHERE `+far+` UNION ALL (`+zonesHere+` ORDER BY z.id)`, p[0], p[1], kinds, n, farM)
	res, err := s.sendBatch(ctx, b)
	if err != nil {
		return d, err
	}
	defer res.Close()
	rows, err := res.Query()
	if err != nil {
		return d, mapErr(err)
	}
	if d.Assets, err = scanCoverageAssets(rows); err != nil {
		return d, err
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	if d.Pieces, err = pgx.CollectRows(rows, scanPieceRow); err != nil {
		return d, mapErr(err)
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	if d.Assignments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignment, error) { return scanAssignment(r) }); err != nil {
		return d, mapErr(err)
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	if d.Units, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unit, error) { return scanUnit(r) }); err != nil {
		return d, mapErr(err)
	}
	if rows, err = res.Query(); err != nil {
		return d, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		z := CoverageZone{Role: "lead"}
		var unit *string
		if err := rows.Scan(&z.ID, &z.UnitID, &z.Name, &unit); err != nil {
			return d, mapErr(err)
		}
		if z.ID == 0 {
			d.ZonesRead = true
			continue
		}
		d.Zones = append(d.Zones, z)
		var u Unit
		if err := json.Unmarshal([]byte(*unit), &u); err != nil {
			return d, fmt.Errorf("store: unit of zone %d: %w", z.ID, err)
		}
		if !slices.ContainsFunc(d.Units, func(x Unit) bool { return x.ID == u.ID }) {
			d.Units = append(d.Units, u)
		}
	}
	if err := rows.Err(); err != nil {
		return d, mapErr(err)
	}
	rows.Close()
	return d, mapErr(res.Close())
}

// SegmentAssets loads the linear assets of kinds (one kind when kind is set) whose bounds meet bbox
// (nil: all), for computing pieces at another time than now.
func (s *Store) SegmentAssets(ctx context.Context, bbox *orb.Bound, kinds []string) ([]CoverageAsset, error) {
	var env []float64
	if bbox != nil {
		env = []float64{bbox.Min[0], bbox.Min[1], bbox.Max[0], bbox.Max[1]}
	}
	rows, err := s.db.Query(ctx, `SELECT id, kind, name, ST_AsBinary(geom), length_m FROM assets
		WHERE kind = ANY($1) AND ($2::float8[] IS NULL OR geom && ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326))
		ORDER BY id`, kinds, env)
	if err != nil {
		return nil, mapErr(err)
	}
	return scanCoverageAssets(rows)
}

// StoredCoverage returns every stored piece (without geometry) and support stretch, in one round trip,
// ordered by asset and measure.
func (s *Store) StoredCoverage(ctx context.Context) ([]CoveragePiece, []CoverageSupport, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT asset_id, from_m, to_m, status, unit_ids, md5(ST_AsBinary(geom)) FROM coverage_pieces ORDER BY asset_id, from_m`)
	b.Queue(`SELECT asset_id, unit_id, from_m, to_m FROM coverage_support ORDER BY asset_id, from_m, unit_id`)
	res, err := s.sendBatch(ctx, b)
	if err != nil {
		return nil, nil, err
	}
	defer res.Close()
	rows, err := res.Query()
	if err != nil {
		return nil, nil, mapErr(err)
	}
	pieces, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (CoveragePiece, error) {
		var p CoveragePiece
		err := r.Scan(&p.AssetID, &p.FromM, &p.ToM, &p.Status, &p.UnitIDs, &p.GeomMD5)
		return p, err
	})
	if err != nil {
		return nil, nil, mapErr(err)
	}
	if rows, err = res.Query(); err != nil {
		return nil, nil, mapErr(err)
	}
	support, err := pgx.CollectRows(rows, pgx.RowToStructByPos[CoverageSupport])
	if err != nil {
		return nil, nil, mapErr(err)
	}
	return pieces, support, mapErr(res.Close())
}

// RefreshCandidates returns, without locking, the assets (all kinds, with row versions, without
// geometry) whose bounds meet one of bounds. The engine narrows them down to those a changed zone actually
// reaches before locking any, with geometry it has prepared or reads with AssetGeometries.
func (s *Store) RefreshCandidates(ctx context.Context, bounds []orb.Bound) ([]CoverageAsset, error) {
	ids, args := RefreshSelection{Bounds: bounds}.sql()
	rows, err := s.db.Query(ctx, `SELECT a.id, a.kind, a.name, NULL::bytea, a.length_m, a.xmin::text::bigint
		FROM assets a WHERE a.id IN (`+ids+`) ORDER BY a.id`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return scanVersionedAssets(rows)
}

// AssetGeometries loads the given assets with their row versions and geometry.
func (s *Store) AssetGeometries(ctx context.Context, ids []int64) ([]CoverageAsset, error) {
	rows, err := s.db.Query(ctx, `SELECT a.id, a.kind, a.name, ST_AsBinary(a.geom), a.length_m, a.xmin::text::bigint
		FROM assets a WHERE a.id = ANY($1) ORDER BY a.id`, ids)
	if err != nil {
		return nil, mapErr(err)
	}
	return scanVersionedAssets(rows)
}
