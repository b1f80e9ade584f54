package service

import (
	"context"
	"fmt"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/geo"
	"everymeter/store"
	"everymeter/vocab"
)

// LoadBaseFeatures writes base-map features (land use, water, buildings, place labels), keyed by source and
// source_id so that loading the same features again changes nothing, and returns how many rows it wrote. The
// tiles of the area written are rebuilt on the next request.
func (s *Service) LoadBaseFeatures(ctx context.Context, actor store.Actor, fs []store.BaseFeature) (int64, error) {
	var c checker
	for i, f := range fs {
		p := fmt.Sprintf("features[%d].", i)
		c.check(vocab.BaseLayer(f.Layer).Valid(), p+"layer", "the layer must be one of landuse, water, building, place")
		c.check(f.Source != "" && f.SourceID != "", p+"source", "base features need a source and a source_id")
		if f.Geom == nil {
			c.add(p+"geometry", "a base feature needs a geometry")
		} else if err := geo.ValidateGeometry(f.Geom); err != nil {
			c.add(p+"geometry", "%s", err.Error())
		}
		if len(c.errs) > 50 {
			break
		}
	}
	if err := c.err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if n, err = tx.UpsertBaseFeatures(ctx, fs); err != nil || n == 0 {
			return err
		}
		var b orb.Bound
		for i, f := range fs {
			if i == 0 {
				b = f.Geom.Bound()
			} else {
				b = b.Union(f.Geom.Bound())
			}
		}
		tx.Changed(change.Base, 0, b.ToPolygon())
		return tx.Audit(ctx, actor, "load", "base_features", 0, nil, map[string]any{"features": len(fs), "written": n, "source": fs[0].Source})
	})
	return n, err
}
