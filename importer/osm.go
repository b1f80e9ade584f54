package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
	"github.com/schollz/progressbar/v3"

	"everymeter/geo"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// SourceOSM is the source of every asset imported from OpenStreetMap.
const SourceOSM = "osm"

// marketRadiusM is the radius of the area a marketplace node becomes.
const marketRadiusM = 20

// maxNameRunes is the longest name an asset may carry (the service's limit).
const maxNameRunes = 200

// roadClasses are the highway values imported as roads.
var roadClasses = map[string]bool{
	"motorway": true, "trunk": true, "primary": true, "secondary": true, "tertiary": true,
	"motorway_link": true, "trunk_link": true, "primary_link": true, "secondary_link": true, "tertiary_link": true,
	"residential": true, "unclassified": true, "living_street": true, "pedestrian": true, "road": true,
}

// skippedClasses are highway values left out on purpose, with why.
var skippedClasses = map[string]string{
	"construction": "not a street yet",
	"proposed":     "not a street yet",
	"raceway":      "not a public street",
	"bridleway":    "not a street the county cleans",
	"cycleway":     "a bike path, not a street the county cleans",
	"track":        "a field or forest track",
}

// Classify returns the asset kind ("road" or "alley") an OSM way with these tags becomes, or "" and the
// reason it is left out. Ways that are not highways at all return "" and "".
func Classify(tags osm.Tags) (kind, reason string) {
	hw := tags.Find("highway")
	if hw == "" {
		return "", ""
	}
	if tags.Find("area") == "yes" {
		return "", "highway area (area=yes): a square is an area, not a line"
	}
	if roadClasses[hw] {
		return string(vocab.Road), ""
	}
	switch hw {
	case "service":
		switch s := tags.Find("service"); s {
		case "parking_aisle", "drive-through":
			return "", "highway=service service=" + s + ": inside a car park or drive-through"
		}
		return string(vocab.Alley), ""
	case "alley":
		return string(vocab.Alley), ""
	case "footway", "path", "steps":
		switch f := tags.Find("footway"); f {
		case "sidewalk", "crossing":
			return "", "footway=" + f + ": part of the road beside it"
		}
		if tags.Find("name") != "" || tags.Find("name:zh") != "" || tags.Find("lit") == "yes" {
			return string(vocab.Alley), ""
		}
		return "", "highway=" + hw + " neither named nor lit: not a built-up lane"
	}
	if why, ok := skippedClasses[hw]; ok {
		return "", "highway=" + hw + ": " + why
	}
	return "", "highway=" + hw + ": not a street class"
}

// extract is what the importer keeps of an OSM file.
type extract struct {
	nodes     map[osm.NodeID]orb.Point
	ways      map[osm.WayID]*osm.Way // every way (multipolygon members are often untagged)
	wayOrder  []osm.WayID
	markets   []*osm.Node // amenity=marketplace nodes
	places    []*osm.Node // named place=* nodes, for the base map's labels (osmbase.go)
	relations []*osm.Relation
}

func newExtract() *extract {
	return &extract{nodes: map[osm.NodeID]orb.Point{}, ways: map[osm.WayID]*osm.Way{}}
}

// objectScanner is what osmpbf and osmxml scanners both offer.
type objectScanner interface {
	Scan() bool
	Object() osm.Object
	Err() error
	Close() error
}

// read collects nodes, ways and multipolygon relations from a scanner.
func read(ctx context.Context, sc objectScanner) (*extract, error) {
	defer sc.Close()
	x := newExtract()
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		switch o := sc.Object().(type) {
		case *osm.Node:
			x.nodes[o.ID] = orb.Point{o.Lon, o.Lat}
			if o.Tags.Find("amenity") == "marketplace" {
				x.markets = append(x.markets, o)
			}
			if placeClasses[o.Tags.Find("place")] && o.Tags.Find("name") != "" {
				x.places = append(x.places, o)
			}
		case *osm.Way:
			if _, dup := x.ways[o.ID]; !dup {
				x.wayOrder = append(x.wayOrder, o.ID)
			}
			x.ways[o.ID] = o
		case *osm.Relation:
			if o.Tags.Find("type") == "multipolygon" && (areaKind(o.Tags) != "" || isBaseRelation(o.Tags)) {
				x.relations = append(x.relations, o)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return x, nil
}

// areaKind returns "market" or "park" for tags that make an area asset, else "".
func areaKind(tags osm.Tags) string {
	switch {
	case tags.Find("amenity") == "marketplace":
		return "market"
	case tags.Find("leisure") == "park":
		return "park"
	}
	return ""
}

// readOSMXML parses OSM XML; the fuzz target enters here.
func readOSMXML(ctx context.Context, r io.Reader) (*extract, error) {
	return read(ctx, osmxml.New(ctx, r))
}

// openOSM reads an .osm.pbf, .osm (XML) or gzipped .osm file.
func openOSM(ctx context.Context, path string, progress io.Writer) (*extract, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if progress != nil {
		if st, err := f.Stat(); err == nil {
			bar := progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(progress),
				progressbar.OptionSetDescription("reading "+filepath.Base(path)), progressbar.OptionShowBytes(true),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			defer bar.Finish() //nolint:errcheck // progress output only
			r = io.TeeReader(f, bar)
		}
	}
	br := bufio.NewReader(r)
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	head, _ := br.Peek(64)
	var x *extract
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("<")) {
		x, err = readOSMXML(ctx, br)
	} else {
		x, err = read(ctx, osmpbf.New(ctx, br, runtime.GOMAXPROCS(0)))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return x, nil
}

// OSM imports roads, alleys, markets and parks from an OpenStreetMap .osm.pbf or .osm XML file (see the
// package doc for the rule).
func OSM(ctx context.Context, svc *service.Service, path string, opt Options) (Result, error) {
	start := time.Now()
	res := Result{Source: SourceOSM, File: filepath.Base(path)}
	x, err := openOSM(ctx, path, opt.Progress)
	if err != nil {
		return res, err
	}
	sk := skips{}
	assets := x.assets(sk)
	res.Skipped = sk.sorted()
	err = write(ctx, svc, assets, opt, &res)
	if err == nil {
		err = writeBase(ctx, svc, x.baseFeatures(sk), opt, &res)
		res.Skipped = sk.sorted()
	}
	res.Duration = time.Since(start)
	return res, err
}

// assets turns the extract into validated assets, recording what it leaves out.
func (x *extract) assets(sk skips) []store.Asset {
	var out []store.Asset
	add := func(a store.Asset) {
		if err := checkGeometry(a); err != nil {
			sk.add(a.Kind+": invalid geometry", a.SourceID+" ("+err.Error()+")")
			return
		}
		out = append(out, a)
	}
	for _, n := range x.markets {
		a := osmAsset("market", "node/"+fmt.Sprint(n.ID), n.Tags)
		a.Geom = circle(orb.Point{n.Lon, n.Lat}, marketRadiusM, 32)
		a.Attributes["mapped_as"] = "node"
		add(a)
	}
	for _, id := range x.wayOrder {
		w := x.ways[id]
		sid := "way/" + fmt.Sprint(w.ID)
		if k := areaKind(w.Tags); k != "" {
			ids := wayNodeIDs(w)
			if len(ids) < 4 || ids[0] != ids[len(ids)-1] {
				sk.add(k+": way is not closed", sid)
				continue
			}
			ring, missing := x.points(ids)
			if missing {
				sk.add(k+": nodes missing from the extract", sid)
				continue
			}
			a := osmAsset(k, sid, w.Tags)
			a.Geom = polygon(orb.Ring(ring), nil)
			add(a)
			continue
		}
		kind, reason := Classify(w.Tags)
		if kind == "" {
			if reason != "" {
				sk.add(reason, sid)
			}
			continue
		}
		line, missing := x.points(wayNodeIDs(w))
		if missing {
			sk.add(kind+": nodes missing from the extract", sid)
			continue
		}
		line = dedupe(line)
		if len(line) < 2 {
			sk.add(kind+": fewer than 2 distinct nodes", sid)
			continue
		}
		a := osmAsset(kind, sid, w.Tags)
		a.Geom = orb.LineString(line)
		add(a)
	}
	for _, r := range x.relations {
		k := areaKind(r.Tags)
		if k == "" {
			continue // a base-map relation (osmbase.go)
		}
		sid := "relation/" + fmt.Sprint(r.ID)
		g, reason := x.multipolygon(r)
		if reason != "" {
			sk.add(k+": "+reason, sid)
			continue
		}
		a := osmAsset(k, sid, r.Tags)
		a.Geom = g
		add(a)
	}
	return out
}

// osmAsset starts an asset with the OSM identity, name and attributes.
func osmAsset(kind, sourceID string, tags osm.Tags) store.Asset {
	attrs := map[string]any{"osm_id": sourceID, "attribution": Attribution}
	for _, k := range []string{"highway", "service", "amenity", "leisure", "name:zh", "name:en", "ref"} {
		if v := tags.Find(k); v != "" {
			attrs[k] = v
		}
	}
	name := tags.Find("name")
	if name == "" {
		name = tags.Find("name:zh")
	}
	if utf8.RuneCountInString(name) > maxNameRunes {
		name = string([]rune(name)[:maxNameRunes])
	}
	return store.Asset{Kind: kind, Name: name, Attributes: attrs, Source: SourceOSM, SourceID: sourceID}
}

// checkGeometry applies the checks the service applies to any asset.
func checkGeometry(a store.Asset) error {
	if err := geo.ValidateGeometry(a.Geom); err != nil {
		return err
	}
	if want := service.AssetKinds[a.Kind]; geo.ClassOf(a.Geom) != want {
		return fmt.Errorf("a %s must be a %s geometry, not %s", a.Kind, want, a.Geom.GeoJSONType())
	}
	return nil
}

func wayNodeIDs(w *osm.Way) []osm.NodeID {
	ids := make([]osm.NodeID, len(w.Nodes))
	for i, n := range w.Nodes {
		ids[i] = n.ID
	}
	return ids
}

// points looks the nodes up; missing reports whether any is absent from the extract.
func (x *extract) points(ids []osm.NodeID) (ps []orb.Point, missing bool) {
	ps = make([]orb.Point, len(ids))
	for i, id := range ids {
		p, ok := x.nodes[id]
		if !ok {
			return nil, true
		}
		ps[i] = p
	}
	return ps, false
}

// dedupe drops consecutive repeated points (a way that visits the same node twice in a row).
func dedupe(ps []orb.Point) []orb.Point {
	out := ps[:0:0]
	for i, p := range ps {
		if i == 0 || p != ps[i-1] {
			out = append(out, p)
		}
	}
	return out
}

// polygon orients a shell counter-clockwise and its holes clockwise (RFC 7946's right-hand rule).
func polygon(shell orb.Ring, holes []orb.Ring) orb.Polygon {
	if shell.Orientation() == orb.CW {
		shell.Reverse()
	}
	p := orb.Polygon{shell}
	for _, h := range holes {
		if h.Orientation() == orb.CCW {
			h.Reverse()
		}
		p = append(p, h)
	}
	return p
}

// circle is an n-gon of radius r meters around c, on a local spherical approximation (good to well under
// a percent at 20 m).
func circle(c orb.Point, r float64, n int) orb.Polygon {
	const earth = 6371008.8
	dLat := r / earth * 180 / math.Pi
	dLon := dLat / math.Max(math.Cos(c[1]*math.Pi/180), 1e-6)
	ring := make(orb.Ring, n+1)
	for i := range n {
		t := 2 * math.Pi * float64(i) / float64(n)
		ring[i] = orb.Point{c[0] + dLon*math.Cos(t), c[1] + dLat*math.Sin(t)}
	}
	ring[n] = ring[0]
	return orb.Polygon{ring}
}
