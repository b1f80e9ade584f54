package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"

	"everymeter/geo"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// The base map from OpenStreetMap: buildings, water, land use and green areas, and place names are kept as base
// layers (base_features, drawn under the network by the basemap tiles), not as assets — nobody is responsible
// for a building or a lake in the grid's sense.

// baseBatch is how many base features one statement writes.
const baseBatch = 5000

// placeClasses are the place=* values kept as labels.
var placeClasses = map[string]bool{"city": true, "town": true, "village": true, "suburb": true, "quarter": true,
	"neighbourhood": true, "hamlet": true, "locality": false, "island": true}

// baseOf classifies tags for the base map: the layer and class of an area or line, or "" for none.
func baseOf(tags osm.Tags) (vocab.BaseLayer, string) {
	if b := tags.Find("building"); b != "" && b != "no" {
		if b == "yes" {
			b = "building"
		}
		return vocab.Building, b
	}
	switch n := tags.Find("natural"); {
	case n == "water" || tags.Find("waterway") == "riverbank" || tags.Find("landuse") == "reservoir" || tags.Find("landuse") == "basin":
		if w := tags.Find("water"); w != "" {
			return vocab.Water, w
		}
		return vocab.Water, "water"
	case n == "wood" || n == "grassland" || n == "scrub" || n == "heath" || n == "wetland":
		return vocab.LandUse, n
	}
	switch w := tags.Find("waterway"); w {
	case "river", "canal", "stream":
		return vocab.Water, w
	}
	if l := tags.Find("leisure"); l == "park" || l == "garden" || l == "pitch" || l == "playground" {
		return vocab.LandUse, "park"
	}
	if l := tags.Find("landuse"); l != "" {
		if l == "grass" || l == "forest" || l == "meadow" || l == "village_green" || l == "recreation_ground" {
			return vocab.LandUse, "park"
		}
		return vocab.LandUse, l
	}
	return "", ""
}

// isBaseRelation reports whether a multipolygon relation carries base-map tags.
func isBaseRelation(tags osm.Tags) bool {
	l, _ := baseOf(tags)
	return l != ""
}

// baseFeatures turns the extract's buildings, water, land use and places into base features, recording what it
// leaves out.
func (x *extract) baseFeatures(sk skips) []store.BaseFeature {
	var out []store.BaseFeature
	add := func(layer vocab.BaseLayer, class string, tags osm.Tags, sid string, g orb.Geometry) {
		if err := geo.ValidateGeometry(g); err != nil {
			sk.add("base "+string(layer)+": invalid geometry", sid+" ("+err.Error()+")")
			return
		}
		name := tags.Find("name:zh")
		if name == "" {
			name = tags.Find("name")
		}
		out = append(out, store.BaseFeature{Layer: string(layer), Class: class, Name: name, Geom: g, Source: SourceOSM, SourceID: sid})
	}
	for _, n := range x.places {
		add(vocab.Place, n.Tags.Find("place"), n.Tags, "node/"+fmt.Sprint(n.ID), orb.Point{n.Lon, n.Lat})
	}
	for _, id := range x.wayOrder {
		w := x.ways[id]
		layer, class := baseOf(w.Tags)
		if layer == "" {
			continue
		}
		sid := "way/" + fmt.Sprint(w.ID)
		ids := wayNodeIDs(w)
		pts, missing := x.points(ids)
		if missing {
			sk.add("base "+string(layer)+": nodes missing from the extract", sid)
			continue
		}
		closed := len(ids) >= 4 && ids[0] == ids[len(ids)-1]
		switch {
		case closed:
			add(layer, class, w.Tags, sid, polygon(orb.Ring(pts), nil))
		case layer == vocab.Water: // a river or canal mapped as its centreline
			if line := dedupe(pts); len(line) >= 2 {
				add(layer, class, w.Tags, sid, orb.LineString(line))
			}
		default:
			sk.add("base "+string(layer)+": way is not closed", sid)
		}
	}
	for _, r := range x.relations {
		layer, class := baseOf(r.Tags)
		if layer == "" || areaKind(r.Tags) != "" && layer != vocab.LandUse {
			continue
		}
		sid := "relation/" + fmt.Sprint(r.ID)
		g, reason := x.multipolygon(r)
		if reason != "" {
			sk.add("base "+string(layer)+": "+reason, sid)
			continue
		}
		add(layer, class, r.Tags, sid, g)
	}
	return out
}

// writeBase writes the base features in batches and counts them by layer.
func writeBase(ctx context.Context, svc *service.Service, fs []store.BaseFeature, opt Options, res *Result) error {
	res.BaseFeatures = map[string]int{}
	for _, f := range fs {
		res.BaseFeatures[f.Layer]++
	}
	actor := opt.Actor
	if actor.Name == "" {
		actor.Name = "import"
	}
	for i := 0; i < len(fs); i += baseBatch {
		n, err := svc.LoadBaseFeatures(ctx, actor, fs[i:min(len(fs), i+baseBatch)])
		if err != nil {
			return fmt.Errorf("base map: %w", err)
		}
		res.BaseWritten += n
	}
	return nil
}

// BaseSummary is one line for the command's report: what the base map holds from this file.
func (r Result) BaseSummary() string {
	if len(r.BaseFeatures) == 0 {
		return ""
	}
	var parts []string
	for _, l := range vocab.BaseLayers {
		if n := r.BaseFeatures[string(l)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	return fmt.Sprintf("base map: %s (%d written now)", strings.Join(parts, ", "), r.BaseWritten)
}
