package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// OwnerIndexData is what an in-memory owner index holds for a region: the linear assets, their stored
// coverage pieces and their lead assignments (every validity window: the index filters by time itself),
// read from one snapshot so that the pieces belong to the assets read.
type OwnerIndexData struct {
	Assets      []CoverageAsset
	Pieces      []CoveragePiece // by asset, then from_m
	Assignments []Assignment    // lead only, by asset, from_m, id
}

// OwnerIndexData reads the assets of kinds whose bounds meet bbox (nil: all), their pieces and their lead
// assignments, on the primary, in one REPEATABLE READ transaction.
func (s *Store) OwnerIndexData(ctx context.Context, kinds []string, bbox *orb.Bound) (OwnerIndexData, error) {
	var d OwnerIndexData
	var env []float64
	if bbox != nil {
		env = []float64{bbox.Min[0], bbox.Min[1], bbox.Max[0], bbox.Max[1]}
	}
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return d, mapErr(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	// A whole province takes longer than the pool's default statement timeout.
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return d, mapErr(err)
	}
	const in = `a.kind = ANY($1) AND ($2::float8[] IS NULL OR a.geom && ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326))`
	rows, err := tx.Query(ctx, `SELECT a.id, a.kind, a.name, ST_AsBinary(a.geom), a.length_m FROM assets a WHERE `+in, kinds, env)
	if err != nil {
		return d, mapErr(err)
	}
	if d.Assets, err = scanCoverageAssets(rows); err != nil {
		return d, err
	}
	rows, err = tx.Query(ctx, `SELECT p.asset_id, p.from_m, p.to_m, p.status, p.unit_ids FROM coverage_pieces p
		JOIN assets a ON a.id = p.asset_id WHERE `+in+` ORDER BY p.asset_id, p.from_m`, kinds, env)
	if err != nil {
		return d, mapErr(err)
	}
	if d.Pieces, err = pgx.CollectRows(rows, scanPieceRow); err != nil {
		return d, mapErr(err)
	}
	rows, err = tx.Query(ctx, `SELECT `+prefixed("g", assignmentCols)+` FROM assignments g JOIN assets a ON a.id = g.asset_id
		WHERE g.role = 'lead' AND `+in+` ORDER BY g.asset_id, g.from_m, g.id`, kinds, env)
	if err != nil {
		return d, mapErr(err)
	}
	if d.Assignments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignment, error) { return scanAssignment(r) }); err != nil {
		return d, mapErr(err)
	}
	return d, mapErr(tx.Commit(ctx))
}

// prefixed qualifies each of a comma-separated column list with alias.
func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// scanPieceRow reads asset_id, from_m, to_m, status, unit_ids.
func scanPieceRow(r pgx.CollectableRow) (CoveragePiece, error) {
	var p CoveragePiece
	err := r.Scan(&p.AssetID, &p.FromM, &p.ToM, &p.Status, &p.UnitIDs)
	return p, err
}
