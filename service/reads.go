package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"everymeter/domain"
	"everymeter/store"
)

// The reads the HTTP layer makes, each through the visibility policy: handlers call these and nothing else.

// allow refuses a principal the policy gives nothing of r.
func (s *Service) allow(p domain.Principal, r Resource) error {
	v, err := view(p, r)
	if err != nil {
		return err
	}
	if v.Denied || v.Unit != nil {
		// A unit-limited scope of a resource read as a whole has no rows to limit: refuse rather than leak.
		if v.Denied {
			return ErrForbidden
		}
		return fmt.Errorf("service: %s is read whole; a unit-limited scope of it is not decided", r)
	}
	return nil
}

// Ping checks that the database answers.
func (s *Service) Ping(ctx context.Context) error { return s.Store.Ping(ctx) }

// Units lists every unit.
func (s *Service) Units(ctx context.Context, p domain.Principal) ([]domain.Unit, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	return s.Store.Units(ctx)
}

// Unit returns one unit.
func (s *Service) Unit(ctx context.Context, p domain.Principal, id int64) (domain.Unit, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Unit{}, err
	}
	return s.Store.Unit(ctx, id)
}

// Assets lists assets matching f.
func (s *Service) Assets(ctx context.Context, p domain.Principal, f domain.AssetFilter) ([]domain.Asset, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	if _, ok := AssetKinds[f.Kind]; f.Kind != "" && !ok {
		return nil, invalid("kind", "unknown kind %q", f.Kind)
	}
	return s.Store.Assets(ctx, f)
}

// Asset returns one asset.
func (s *Service) Asset(ctx context.Context, p domain.Principal, id int64) (domain.Asset, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Asset{}, err
	}
	return s.Store.Asset(ctx, id)
}

// Zones lists the zones meeting bbox (nil: all).
func (s *Service) Zones(ctx context.Context, p domain.Principal, bbox *orb.Bound) ([]domain.Zone, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	return s.Store.Zones(ctx, bbox)
}

// Zone returns one zone.
func (s *Service) Zone(ctx context.Context, p domain.Principal, id int64) (domain.Zone, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Zone{}, err
	}
	return s.Store.Zone(ctx, id)
}

// Assignment returns one assignment.
func (s *Service) Assignment(ctx context.Context, p domain.Principal, id int64) (domain.Assignment, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Assignment{}, err
	}
	return s.Store.Assignment(ctx, id)
}

// AssignmentsOf lists an asset's assignments; an unknown asset is ErrNotFound.
func (s *Service) AssignmentsOf(ctx context.Context, p domain.Principal, assetID int64) ([]domain.Assignment, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	if _, err := s.Store.Asset(ctx, assetID); err != nil {
		return nil, err
	}
	return s.Store.AssignmentsOf(ctx, assetID)
}

// Categories lists the categories (activeOnly: only those reports may be filed under).
func (s *Service) Categories(ctx context.Context, p domain.Principal, activeOnly bool) ([]domain.Category, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	return s.Store.Categories(ctx, activeOnly)
}

// Category returns one category.
func (s *Service) Category(ctx context.Context, p domain.Principal, code string) (domain.Category, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Category{}, err
	}
	return s.Store.Category(ctx, code)
}

// APIKeys lists the principal's own API keys (without the keys themselves).
func (s *Service) APIKeys(ctx context.Context, p domain.Principal) ([]domain.APIKey, error) {
	if p.ID == 0 {
		return nil, ErrAuth
	}
	return s.Store.APIKeys(ctx, p.ID)
}

// ---- coverage

// checkPieceFilter validates the kind and status of a piece filter.
func checkPieceFilter(f domain.PieceFilter) error {
	if f.Kind != "" && !slices.Contains(LinearKinds, f.Kind) {
		return invalid("kind", "kind %q is not a linear kind; use one of %s", truncate(f.Kind), strings.Join(LinearKinds, ", "))
	}
	if f.Status != "" && !slices.Contains(domain.PieceStatuses, f.Status) {
		return invalid("status", "status must be one of %s", strings.Join(domain.PieceStatuses, ", "))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// CoverageSummary is the coverage of the whole network at a time (nil: now).
func (s *Service) CoverageSummary(ctx context.Context, p domain.Principal, at *time.Time) (domain.Summary, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.Summary{}, err
	}
	sum, err := s.Coverage.Summary(ctx, s.Store, at)
	if err != nil {
		return sum, err
	}
	sum.FrontageBySide, err = s.frontageSides(ctx, at)
	return sum, err
}

// CoverageSegments writes the pieces matching f (at a time, or as stored) as GeoJSON.
func (s *Service) CoverageSegments(ctx context.Context, p domain.Principal, f domain.PieceFilter, at *time.Time) ([]byte, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	if err := checkPieceFilter(f); err != nil {
		return nil, err
	}
	if at != nil {
		return s.Coverage.SegmentsAt(ctx, s.Store, f, *at)
	}
	return s.Coverage.Segments(ctx, s.Store, f)
}

// CoverageGaps lists the gaps (at a time, or as stored) for the CSV export.
func (s *Service) CoverageGaps(ctx context.Context, p domain.Principal, f domain.PieceFilter, at *time.Time) ([]domain.GapRow, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	if err := checkPieceFilter(f); err != nil {
		return nil, err
	}
	if at != nil {
		return s.Coverage.GapsAt(ctx, s.Store, f.Kind, f.MinLengthM, *at)
	}
	return s.Coverage.Gaps(ctx, readsFor(ctx, s.Store), f.Kind, f.MinLengthM)
}

// AssetCoverage is one asset's coverage with its owners.
func (s *Service) AssetCoverage(ctx context.Context, p domain.Principal, id int64, at *time.Time) (domain.AssetCoverage, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.AssetCoverage{}, err
	}
	return s.Coverage.AssetCoverage(ctx, s.Store, id, at)
}

// Owner answers who owns the meter nearest a point (domain.ErrNoOwner, with candidates, when nothing is near).
func (s *Service) Owner(ctx context.Context, p domain.Principal, pt orb.Point, at *time.Time) (domain.OwnerResult, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.OwnerResult{}, err
	}
	return s.Coverage.Owner(ctx, s.Store, pt, at)
}

// ---- OGC API – Features and vector tiles

// resourceOf is the policy resource a collection or layer serves: reports, patrol aggregates (where nobody
// walked, never who walked where), or the map's data.
func resourceOf(cases, patrols bool) Resource {
	switch {
	case cases:
		return Cases
	case patrols:
		return PatrolAggregates
	}
	return MapData
}

// tileResource is the policy resource a tile layer's features come under.
func tileResource(l *store.TileLayer) Resource {
	if l.Base {
		return BaseMap
	}
	return resourceOf(l.Cases, l.Patrols)
}

// collection resolves a collection id whose table exists; anything else is ErrNotFound.
func (s *Service) collection(ctx context.Context, id string) (*store.OGCCollection, error) {
	c := store.OGCCollectionByID(id)
	if c == nil {
		return nil, store.ErrNotFound
	}
	if _, ok := s.live.Load(c.ID); ok {
		return c, nil
	}
	ok, err := s.Store.OGCTableExists(ctx, c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, store.ErrNotFound
	}
	s.live.Store(c.ID, true)
	return c, nil
}

// OGCCollectionIDs lists the ids of every collection, live or not (for error messages and the API document).
func (s *Service) OGCCollectionIDs() []string {
	ids := make([]string, len(store.OGCCollections))
	for i, c := range store.OGCCollections {
		ids[i] = c.ID
	}
	return ids
}

// OGCCollections lists the collections whose tables exist, in the landing page's order.
func (s *Service) OGCCollections(ctx context.Context, p domain.Principal) ([]domain.OGCCollection, error) {
	if err := s.allow(p, MapData); err != nil {
		return nil, err
	}
	out := make([]domain.OGCCollection, 0, len(store.OGCCollections))
	for _, c := range store.OGCCollections {
		if _, err := s.collection(ctx, c.ID); err == nil {
			out = append(out, c.OGCCollection)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	return out, nil
}

// OGCCollection returns one live collection, or ErrNotFound.
func (s *Service) OGCCollection(ctx context.Context, p domain.Principal, id string) (domain.OGCCollection, error) {
	if err := s.allow(p, MapData); err != nil {
		return domain.OGCCollection{}, err
	}
	c, err := s.collection(ctx, id)
	if err != nil {
		return domain.OGCCollection{}, err
	}
	return c.OGCCollection, nil
}

// OGCExtent is a collection's extent as the principal may see it.
func (s *Service) OGCExtent(ctx context.Context, p domain.Principal, id string) (domain.OGCExtent, error) {
	c, err := s.collection(ctx, id)
	if err != nil {
		return domain.OGCExtent{}, err
	}
	v, err := view(p, resourceOf(c.Cases, c.Patrols))
	if err != nil {
		return domain.OGCExtent{}, err
	}
	return s.Store.Reads().OGCExtent(ctx, c, v.only())
}

// OGCItems appends one page of a collection's features that the principal may see to features (see
// store.OGCItems).
func (s *Service) OGCItems(ctx context.Context, p domain.Principal, id string, q domain.OGCQuery, features *bytes.Buffer) (domain.OGCPage, error) {
	c, err := s.collection(ctx, id)
	if err != nil {
		return domain.OGCPage{}, err
	}
	v, err := view(p, resourceOf(c.Cases, c.Patrols))
	if err != nil {
		return domain.OGCPage{}, err
	}
	q.OnlyUnit = v.only()
	return s.Store.Reads().OGCItems(ctx, c, q, features)
}

// OGCItem returns one feature the principal may see, as GeoJSON; others are ErrNotFound.
func (s *Service) OGCItem(ctx context.Context, p domain.Principal, id string, k domain.OGCKey, srid int, flip bool) ([]byte, error) {
	c, err := s.collection(ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := view(p, resourceOf(c.Cases, c.Patrols))
	if err != nil {
		return nil, err
	}
	return s.Store.Reads().OGCItem(ctx, c, k, srid, flip, v.only())
}

// TileLayers lists the vector tile layers.
func (s *Service) TileLayers() []domain.TileLayer {
	out := make([]domain.TileLayer, len(store.TileLayers))
	for i, l := range store.TileLayers {
		out[i] = l.TileLayer
	}
	return out
}

// TileLayer returns one layer, or ErrNotFound.
func (s *Service) TileLayer(name string) (domain.TileLayer, error) {
	l := store.TileLayerByName(name)
	if l == nil {
		return domain.TileLayer{}, store.ErrNotFound
	}
	return l.TileLayer, nil
}

// TileScope names the part of a layer the principal sees, for caches of built tiles: "" for everything,
// otherwise a name that differs between principals who see different features.
func (s *Service) TileScope(p domain.Principal, layer string) (string, error) {
	l := store.TileLayerByName(layer)
	if l == nil {
		return "", store.ErrNotFound
	}
	v, err := view(p, tileResource(l))
	if err != nil {
		return "", err
	}
	if only := v.only(); only != nil {
		return fmt.Sprintf("unit:%d", *only), nil
	}
	return store.TileEpoch(layer, time.Now()), nil
}

// Tile builds one layer's MVT for a tile, with the features the principal may see.
func (s *Service) Tile(ctx context.Context, p domain.Principal, layer string, t maptile.Tile) ([]byte, error) {
	l := store.TileLayerByName(layer)
	if l == nil {
		return nil, store.ErrNotFound
	}
	v, err := view(p, tileResource(l))
	if err != nil {
		return nil, err
	}
	if v.Denied {
		return []byte{}, nil // an empty tile: the layer shows this principal nothing (not even its streets)
	}
	return s.Store.Reads().Tile(ctx, l, t, v.only())
}
