package store_test

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"everymeter/internal/testdb"
	"everymeter/store"
)

// TestBaseMapTile writes base features and a named road, builds the basemap tile at street and town zoom, and
// reads the MVT back: each part is its own layer with the right names; buildings only from zoom 14; a feature
// outside the tile is not in it; writing the same features again writes nothing.
func TestBaseMapTile(t *testing.T) {
	st, _ := testdb.New(t)
	ctx := t.Context()
	sq := func(lon, lat, d float64) orb.Polygon {
		return orb.Polygon{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
	}
	fs := []store.BaseFeature{
		{Layer: "landuse", Class: "residential", Geom: sq(114.300, 35.750, 0.002), Source: "t", SourceID: "l1"},
		{Layer: "water", Class: "pond", Geom: sq(114.3009, 35.7509, 0.0002), Source: "t", SourceID: "w1"},
		{Layer: "building", Class: "house", Geom: sq(114.3011, 35.7511, 0.00005), Source: "t", SourceID: "b1"},
		{Layer: "place", Class: "neighbourhood", Name: "东关社区", Geom: orb.Point{114.301, 35.751}, Source: "t", SourceID: "p1"},
		{Layer: "building", Class: "house", Geom: sq(116.0, 39.0, 0.0001), Source: "t", SourceID: "far"},
	}
	n, err := st.UpsertBaseFeatures(ctx, fs)
	if err != nil || n != int64(len(fs)) {
		t.Fatalf("upsert: %d, %v", n, err)
	}
	if n, err := st.UpsertBaseFeatures(ctx, fs); err != nil || n != 0 {
		t.Fatalf("the same features again wrote %d rows (%v), want 0", n, err)
	}
	if _, err := st.CreateAsset(ctx, store.Asset{Kind: "road", Name: "建设路（胜利街—团结路段）", Attributes: map[string]any{"road": "建设路"},
		Geom: orb.LineString{{114.2995, 35.751}, {114.3025, 35.751}}, Source: "t", SourceID: "r1"}); err != nil {
		t.Fatal(err)
	}
	l := store.TileLayerByName("basemap")
	if l == nil {
		t.Fatal("no basemap tile layer")
	}
	read := func(z maptile.Zoom) map[string][]map[string]any {
		tile := maptile.At(orb.Point{114.301, 35.751}, z)
		b, err := st.Tile(ctx, l, tile, nil)
		if err != nil {
			t.Fatalf("z%d: %v", z, err)
		}
		layers, err := mvt.Unmarshal(b)
		if err != nil {
			t.Fatalf("z%d: decoding the tile: %v", z, err)
		}
		out := map[string][]map[string]any{}
		for _, ly := range layers {
			for _, f := range ly.Features {
				out[ly.Name] = append(out[ly.Name], f.Properties)
			}
		}
		return out
	}
	got := read(16)
	for _, name := range []string{"landuse", "water", "building", "roads", "place"} {
		if len(got[name]) != 1 {
			t.Errorf("z16: layer %s has %d features, want 1: %v", name, len(got[name]), got[name])
		}
	}
	if r := got["roads"]; len(r) == 1 && r[0]["name"] != "建设路" {
		t.Errorf("z16: the road is labelled %v, want its road's name 建设路", r[0]["name"])
	}
	if p := got["place"]; len(p) == 1 && p[0]["name"] != "东关社区" {
		t.Errorf("z16: place %v", p[0])
	}
	low := read(12)
	if len(low["building"]) != 0 || len(low["roads"]) != 0 {
		t.Errorf("z12: buildings %d and road labels %d, want none below their zooms", len(low["building"]), len(low["roads"]))
	}
	if len(low["landuse"]) != 1 || len(low["water"]) != 1 {
		t.Errorf("z12: landuse %d, water %d; want 1 each", len(low["landuse"]), len(low["water"]))
	}
}
