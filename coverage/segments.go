package coverage

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"everymeter/domain"
	"everymeter/store"
)

// History for the piece lists: with at= the pieces are computed for that time (nothing stored is read
// or written), by the same algorithm that stores the current ones, and rendered in the same shape.

// atPiece is a piece computed for another time than now, with its stretch of the line.
type atPiece struct {
	asset  store.CoverageAsset
	from   float64
	to     float64
	owners []int64
	geom   orb.Geometry
}

// piecesAt computes the pieces of the linear assets matching f (bbox, kind, status, min length; up to
// f.Limit when it is > 0) at the time at, ordered by asset and measure.
func (e *Engine) piecesAt(ctx context.Context, st *store.Store, f SegmentFilter, at time.Time) ([]atPiece, error) {
	if f.Status != "" && !slices.Contains(domain.PieceStatuses, f.Status) {
		return nil, fmt.Errorf("%w: status %q", ErrBadFilter, f.Status)
	}
	kinds := linearKinds()
	if f.Kind != "" {
		kinds = []string{f.Kind}
	}
	assets, err := st.SegmentAssets(ctx, f.BBox, kinds)
	if err != nil {
		return nil, err
	}
	results, err := e.computeAll(ctx, st, assets, f.BBox == nil, &at, nil)
	if err != nil {
		return nil, err
	}
	var out []atPiece
	for _, r := range results {
		for _, p := range r.Pieces {
			if (f.Status != "" && Status(p.Owners) != f.Status) || p.To-p.From < f.MinLengthM {
				continue
			}
			g := r.Line.Sub(p.From, p.To)
			if f.BBox != nil && !f.BBox.Intersects(g.Bound()) {
				continue
			}
			out = append(out, atPiece{asset: r.Asset, from: p.From, to: p.To, owners: p.Owners, geom: g})
			if f.Limit > 0 && len(out) == f.Limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// SegmentsAt computes the pieces matching f at the time at and returns them as a GeoJSON
// FeatureCollection shaped like Segments' (coordinates to 7 decimals, as PostGIS writes them).
func (e *Engine) SegmentsAt(ctx context.Context, st *store.Store, f SegmentFilter, at time.Time) ([]byte, error) {
	ps, err := e.piecesAt(ctx, st, f, at)
	if err != nil {
		return nil, err
	}
	fc := geojson.NewFeatureCollection()
	fc.Features = make([]*geojson.Feature, 0, len(ps))
	for _, p := range ps {
		ft := geojson.NewFeature(round7(p.geom))
		owners := p.owners
		if owners == nil {
			owners = []int64{}
		}
		ft.Properties = geojson.Properties{"asset_id": p.asset.ID, "asset_name": p.asset.Name, "kind": p.asset.Kind,
			"from_m": p.from, "to_m": p.to, "length_m": p.to - p.from, "status": Status(p.owners), "unit_ids": owners}
		fc.Features = append(fc.Features, ft)
	}
	return json.Marshal(fc)
}

// GapsAt lists the gaps of at least minLengthM meters at the time at, for the CSV export.
func (e *Engine) GapsAt(ctx context.Context, st *store.Store, kind string, minLengthM float64, at time.Time) ([]store.GapRow, error) {
	ps, err := e.piecesAt(ctx, st, SegmentFilter{Kind: kind, Status: "gap", MinLengthM: minLengthM}, at)
	if err != nil {
		return nil, err
	}
	out := make([]store.GapRow, 0, len(ps))
	for _, p := range ps {
		start, end := ends(p.geom)
		out = append(out, store.GapRow{AssetID: p.asset.ID, AssetName: p.asset.Name, Kind: p.asset.Kind,
			FromM: p.from, ToM: p.to, Start: start, End: end})
	}
	return out, nil
}

// ends returns the first and last point of a LineString or MultiLineString.
func ends(g orb.Geometry) (orb.Point, orb.Point) {
	switch g := g.(type) {
	case orb.LineString:
		if len(g) > 0 {
			return g[0], g[len(g)-1]
		}
	case orb.MultiLineString:
		if len(g) > 0 && len(g[0]) > 0 && len(g[len(g)-1]) > 0 {
			return g[0][0], g[len(g)-1][len(g[len(g)-1])-1]
		}
	}
	return orb.Point{}, orb.Point{}
}

// round7 rounds a line's coordinates to 7 decimals (about a centimetre).
func round7(g orb.Geometry) orb.Geometry {
	r := func(ls orb.LineString) orb.LineString {
		out := make(orb.LineString, len(ls))
		for i, p := range ls {
			out[i] = orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
		}
		return out
	}
	switch g := g.(type) {
	case orb.LineString:
		return r(g)
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, ls := range g {
			out[i] = r(ls)
		}
		return out
	}
	return g
}
