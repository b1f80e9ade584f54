package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/domain"
)

// Asset is domain.Asset (the definition moved to package domain).
type Asset = domain.Asset

const assetCols = `id, kind, name, ST_AsBinary(geom), attributes, length_m, area_m, source, source_id, created_at, updated_at`

func scanAsset(r interface{ Scan(...any) error }) (Asset, error) {
	var a Asset
	var g []byte
	err := r.Scan(&a.ID, &a.Kind, &a.Name, &g, &a.Attributes, &a.LengthM, &a.AreaM, &a.Source, &a.SourceID, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return a, mapErr(err)
	}
	a.Geom, err = wkb.Unmarshal(g)
	if a.Attributes == nil {
		a.Attributes = map[string]any{}
	}
	return a, err
}

// WKB encodes a geometry for a `ST_GeomFromWKB($n, 4326)` argument.
func WKB(g orb.Geometry) []byte {
	b, err := wkb.Marshal(g)
	if err != nil {
		panic(fmt.Sprintf("store: wkb marshal of validated geometry: %v", err)) // geometries are validated before they get here
	}
	return b
}

// Length and area of the geometry in argument $3, on the WGS84 spheroid.
const (
	lengthOf3    = `ST_Length(ST_GeomFromWKB($3, 4326)::geography)`
	areaOf3      = `ST_Area(ST_GeomFromWKB($3, 4326)::geography)`
	geomMeasures = lengthOf3 + `, ` + areaOf3
)

// CreateAsset inserts an asset, computing its length and area on the ellipsoid.
func (s *Store) CreateAsset(ctx context.Context, a Asset) (Asset, error) {
	if a.Attributes == nil {
		a.Attributes = map[string]any{}
	}
	return scanAsset(s.db.QueryRow(ctx, `INSERT INTO assets (kind, name, geom, attributes, length_m, area_m, source, source_id)
		VALUES ($1, $2, ST_GeomFromWKB($3, 4326), $4, `+geomMeasures+`, $5, $6) RETURNING `+assetCols,
		a.Kind, a.Name, WKB(a.Geom), a.Attributes, a.Source, a.SourceID))
}

// Asset returns one asset.
func (s *Store) Asset(ctx context.Context, id int64) (Asset, error) {
	return scanAsset(s.db.QueryRow(ctx, `SELECT `+assetCols+` FROM assets WHERE id = $1`, id))
}

// AssetForUpdate returns one asset, locking its row for the rest of the transaction.
func (s *Store) AssetForUpdate(ctx context.Context, id int64) (Asset, error) {
	return scanAsset(s.db.QueryRow(ctx, `SELECT `+assetCols+` FROM assets WHERE id = $1 FOR UPDATE`, id))
}

// UpdateAsset overwrites an asset's kind, name, geometry and attributes.
func (s *Store) UpdateAsset(ctx context.Context, a Asset) (Asset, error) {
	return scanAsset(s.db.QueryRow(ctx, `UPDATE assets SET kind = $1, name = $2, geom = ST_GeomFromWKB($3, 4326),
		attributes = $4, length_m = `+lengthOf3+`, area_m = `+areaOf3+`,
		updated_at = now() WHERE id = $5 RETURNING `+assetCols, a.Kind, a.Name, WKB(a.Geom), a.Attributes, a.ID))
}

// DeleteAsset deletes an asset (its assignments and coverage go with it).
func (s *Store) DeleteAsset(ctx context.Context, id int64) (Asset, error) {
	return scanAsset(s.db.QueryRow(ctx, `DELETE FROM assets WHERE id = $1 RETURNING `+assetCols, id))
}

// AssetFilter is domain.AssetFilter (the definition moved to package domain).
type AssetFilter = domain.AssetFilter

// Assets lists assets ordered by id, after the cursor; it returns at most Limit rows.
func (s *Store) Assets(ctx context.Context, f AssetFilter) ([]Asset, error) {
	w := where{}
	w.add("id > $%d", f.After)
	if f.Kind != "" {
		w.add("kind = $%d", f.Kind)
	}
	if f.BBox != nil {
		w.add("geom && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1])
	}
	if f.Q != "" {
		w.add("(name ILIKE '%%' || $%d || '%%' OR attributes->>'name:zh' ILIKE '%%' || $%[1]d || '%%')", escapeLike(f.Q))
	}
	args := append(w.args, f.Limit)
	rows, err := s.db.Query(ctx, `SELECT `+assetCols+` FROM assets WHERE `+w.sql()+` ORDER BY id LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Asset{}
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}

// where is a tiny builder for AND-ed conditions with $n placeholders; conditions are constants written
// in this package, and every value goes in args.
type where struct {
	conds []string
	args  []any
}

// add appends a condition whose %d verbs are replaced by the next placeholder numbers, one per value.
func (w *where) add(cond string, vals ...any) {
	nums := make([]any, len(vals))
	for i := range vals {
		nums[i] = len(w.args) + i + 1
	}
	w.conds = append(w.conds, fmt.Sprintf(cond, nums...))
	w.args = append(w.args, vals...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
