package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"

	"everymeter/domain"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// # 部件 and shops
//
// PartsOSM, PartsCSV and PartsGeoJSON load 部件 (street furniture); ShopsOSM loads the shops under 门前三包. OSM
// tags become 部件 kinds by partKindOf; every 部件 keeps its OSM identity (source "osm", source_id "node/1") so a
// second import updates rather than duplicates. A shop is a node or a closed way tagged shop=*; a shop node inside
// a building footprint (a closed way tagged building=*) takes that footprint, so its frontage is the building's
// face on the street rather than a default stretch around a door.

// PartOptions say whose the imported 部件 are and where: the owner (and maintainer) unit codes for rows that
// name none, and the 6-digit county code their object codes start with.
type PartOptions struct {
	County         string
	OwnerCode      string
	MaintainerCode string
	Actor          store.Actor
}

// PartResult says what a 部件 import did.
type PartResult struct {
	Read    int            `json:"read"`
	Created int            `json:"created"`
	Updated int            `json:"updated"`
	Kinds   map[string]int `json:"kinds"`
}

// partKindOf maps OSM tags to a 部件 kind, or "".
func partKindOf(t osm.Tags) vocab.PartKind {
	switch {
	case t.Find("amenity") == "waste_basket":
		return vocab.WasteBin
	case t.Find("highway") == "street_lamp":
		return vocab.StreetLamp
	case t.Find("amenity") == "toilets":
		return vocab.Toilet
	case t.Find("man_made") == "manhole":
		return vocab.Manhole
	case t.Find("advertising") == "board", t.Find("amenity") == "notice_board",
		t.Find("tourism") == "information" && t.Find("information") == "board":
		return vocab.NoticeBoard
	case t.Find("amenity") == "shelter" && t.Find("shelter_type") == "public_transport",
		t.Find("highway") == "bus_stop" && t.Find("shelter") == "yes":
		return vocab.BusShelter
	case t.Find("traffic_sign") == "street_name", t.Find("information") == "street_name":
		return vocab.StreetSign
	case t.Find("barrier") == "guard_rail":
		return vocab.Railing
	}
	return ""
}

// objects is what an OSM file holds of 部件 and shops.
type objects struct {
	nodes     map[osm.NodeID]orb.Point
	parts     []*osm.Node
	railings  []*osm.Way
	shopNodes []*osm.Node
	shopWays  []*osm.Way
	buildings []*osm.Way
}

// readObjects reads an .osm.pbf or .osm XML file for 部件 and shops.
func readObjects(ctx context.Context, path string) (*objects, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(64)
	var sc objectScanner
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n\ufeff"), []byte("<")) {
		sc = osmxml.New(ctx, br)
	} else {
		sc = osmpbf.New(ctx, br, runtime.GOMAXPROCS(0))
	}
	defer sc.Close()
	x := &objects{nodes: map[osm.NodeID]orb.Point{}}
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			x.nodes[o.ID] = orb.Point{o.Lon, o.Lat}
			if partKindOf(o.Tags) != "" {
				x.parts = append(x.parts, o)
			}
			if isShop(o.Tags) {
				x.shopNodes = append(x.shopNodes, o)
			}
		case *osm.Way:
			switch {
			case partKindOf(o.Tags) == vocab.Railing:
				x.railings = append(x.railings, o)
			case isShop(o.Tags):
				x.shopWays = append(x.shopWays, o)
			case o.Tags.Find("building") != "" && o.Tags.Find("building") != "no":
				x.buildings = append(x.buildings, o)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return x, nil
}

func isShop(t osm.Tags) bool {
	s := t.Find("shop")
	return s != "" && s != "no" && s != "vacant"
}

// ring returns a closed way's ring, or nil when it is open or has nodes missing.
func (x *objects) ring(w *osm.Way) orb.Ring {
	if len(w.Nodes) < 4 || w.Nodes[0].ID != w.Nodes[len(w.Nodes)-1].ID {
		return nil
	}
	ps, missing := x.line(w)
	if missing {
		return nil
	}
	return orb.Ring(ps)
}

func (x *objects) line(w *osm.Way) ([]orb.Point, bool) {
	var ps []orb.Point
	for _, n := range w.Nodes {
		p, ok := x.nodes[n.ID]
		if !ok {
			return nil, true
		}
		ps = append(ps, p)
	}
	return ps, false
}

func osmName(t osm.Tags) string {
	n := t.Find("name")
	if n == "" {
		n = t.Find("name:zh")
	}
	if r := []rune(n); len(r) > maxNameRunes {
		n = string(r[:maxNameRunes])
	}
	return n
}

// resolve fills the options' unit ids.
func (o PartOptions) units(ctx context.Context, st *store.Store) (owner int64, maint *int64, err error) {
	if o.OwnerCode != "" {
		u, err := st.UnitByCode(ctx, o.OwnerCode)
		if err != nil {
			return 0, nil, fmt.Errorf("owner unit %q: %w", o.OwnerCode, err)
		}
		owner = u.ID
	}
	if o.MaintainerCode != "" {
		u, err := st.UnitByCode(ctx, o.MaintainerCode)
		if err != nil {
			return 0, nil, fmt.Errorf("maintainer unit %q: %w", o.MaintainerCode, err)
		}
		maint = &u.ID
	}
	return owner, maint, nil
}

func saveParts(ctx context.Context, svc *service.Service, opt PartOptions, ps []domain.Part) (PartResult, error) {
	res := PartResult{Read: len(ps), Kinds: map[string]int{}}
	actor := opt.Actor
	if actor.Name == "" {
		actor.Name = "import"
	}
	for start := 0; start < len(ps); start += DefaultBatchSize {
		batch := ps[start:min(len(ps), start+DefaultBatchSize)]
		saved, created, err := svc.SaveParts(ctx, actor, batch)
		if err != nil {
			return res, err
		}
		res.Created += created
		res.Updated += len(saved) - created
		for _, p := range saved {
			res.Kinds[p.Kind]++
		}
	}
	return res, nil
}

// PartsOSM imports the 部件 an OSM file tags (see partKindOf), all owned by opt's owner unit.
func PartsOSM(ctx context.Context, svc *service.Service, path string, opt PartOptions) (PartResult, error) {
	x, err := readObjects(ctx, path)
	if err != nil {
		return PartResult{}, err
	}
	owner, maint, err := opt.units(ctx, svc.Store)
	if err != nil {
		return PartResult{}, err
	}
	var ps []domain.Part
	for _, n := range x.parts {
		ps = append(ps, domain.Part{Kind: string(partKindOf(n.Tags)), Name: osmName(n.Tags), Geom: orb.Point{n.Lon, n.Lat},
			OwnerUnitID: owner, MaintainerUnitID: maint, County: opt.County, Source: SourceOSM, SourceID: fmt.Sprintf("node/%d", n.ID)})
	}
	for _, w := range x.railings {
		if line, missing := x.line(w); !missing && len(dedupe(line)) >= 2 {
			ps = append(ps, domain.Part{Kind: string(vocab.Railing), Name: osmName(w.Tags), Geom: orb.LineString(dedupe(line)),
				OwnerUnitID: owner, MaintainerUnitID: maint, County: opt.County, Source: SourceOSM, SourceID: fmt.Sprintf("way/%d", w.ID)})
		}
	}
	return saveParts(ctx, svc, opt, ps)
}

// PartsCSV imports 部件 from CSV rows lon, lat, type, owner code (a header row is recognised and skipped); type
// is a kind (notice_board …) or its Chinese name (宣传栏/公示栏 …); an empty owner code takes opt's.
func PartsCSV(ctx context.Context, svc *service.Service, r io.Reader, opt PartOptions) (PartResult, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	owners := map[string]int64{}
	defOwner, maint, err := opt.units(ctx, svc.Store)
	if err != nil {
		return PartResult{}, err
	}
	var ps []domain.Part
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return PartResult{}, fmt.Errorf("line %d: %w", line, err)
		}
		if len(rec) < 3 {
			return PartResult{}, fmt.Errorf("line %d: want lon, lat, type, owner code", line)
		}
		lon, e1 := strconv.ParseFloat(strings.TrimSpace(rec[0]), 64)
		lat, e2 := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if e1 != nil || e2 != nil {
			if line == 1 {
				continue // a header
			}
			return PartResult{}, fmt.Errorf("line %d: lon and lat must be numbers", line)
		}
		kind := kindNamed(strings.TrimSpace(rec[2]))
		if kind == "" {
			return PartResult{}, fmt.Errorf("line %d: unknown 部件 type %q", line, rec[2])
		}
		owner := defOwner
		if len(rec) > 3 && strings.TrimSpace(rec[3]) != "" {
			code := strings.TrimSpace(rec[3])
			if _, ok := owners[code]; !ok {
				u, err := svc.Store.UnitByCode(ctx, code)
				if err != nil {
					return PartResult{}, fmt.Errorf("line %d: owner unit %q: %w", line, code, err)
				}
				owners[code] = u.ID
			}
			owner = owners[code]
		}
		ps = append(ps, domain.Part{Kind: string(kind), Geom: orb.Point{lon, lat}, OwnerUnitID: owner, MaintainerUnitID: maint, County: opt.County})
	}
	return saveParts(ctx, svc, opt, ps)
}

// kindNamed returns the 部件 kind a CSV names by value or by Chinese label.
func kindNamed(s string) vocab.PartKind {
	for _, k := range vocab.PartKinds {
		if string(k) == s || k.Label().Zh == s || strings.Contains(k.Label().Zh, s) && s != "" && len([]rune(s)) >= 2 {
			return k
		}
	}
	return ""
}

// PartsGeoJSON imports 部件 from a FeatureCollection whose properties name kind (and optionally code, name,
// owner_code, maintainer_code, state, checked_on); the feature id keeps a re-import idempotent.
func PartsGeoJSON(ctx context.Context, svc *service.Service, path string, opt PartOptions) (PartResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PartResult{}, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return PartResult{}, fmt.Errorf("%s: %w", path, err)
	}
	defOwner, defMaint, err := opt.units(ctx, svc.Store)
	if err != nil {
		return PartResult{}, err
	}
	unit := func(code string) (int64, error) {
		u, err := svc.Store.UnitByCode(ctx, code)
		return u.ID, err
	}
	var ps []domain.Part
	for i, f := range fc.Features {
		p := domain.Part{Kind: string(kindNamed(f.Properties.MustString("kind", ""))), Code: f.Properties.MustString("code", ""),
			Name: f.Properties.MustString("name", ""), State: f.Properties.MustString("state", ""), Geom: f.Geometry,
			OwnerUnitID: defOwner, MaintainerUnitID: defMaint, County: opt.County}
		if c := f.Properties.MustString("checked_on", ""); c != "" {
			p.CheckedOn = &c
		}
		if c := f.Properties.MustString("owner_code", ""); c != "" {
			if p.OwnerUnitID, err = unit(c); err != nil {
				return PartResult{}, fmt.Errorf("feature %d: owner unit %q: %w", i+1, c, err)
			}
		}
		if c := f.Properties.MustString("maintainer_code", ""); c != "" {
			id, err := unit(c)
			if err != nil {
				return PartResult{}, fmt.Errorf("feature %d: maintainer unit %q: %w", i+1, c, err)
			}
			p.MaintainerUnitID = &id
		}
		if id := featureID(f.ID); id != "" {
			p.Source, p.SourceID = "geojson", id
		}
		ps = append(ps, p)
	}
	return saveParts(ctx, svc, opt, ps)
}

// ShopResult says what a shop import did.
type ShopResult struct {
	Shops      int `json:"shops"`
	Footprints int `json:"footprints"` // shops whose geometry is a footprint (their own way or their building)
}

// ShopsOSM imports the shops of an OSM file (shop=* nodes and closed ways; a node inside a building takes its
// footprint) and derives each one's frontage on the nearest street side.
func ShopsOSM(ctx context.Context, svc *service.Service, path string, actor store.Actor) (ShopResult, error) {
	x, err := readObjects(ctx, path)
	if err != nil {
		return ShopResult{}, err
	}
	type building struct {
		poly  orb.Polygon
		bound orb.Bound
	}
	var bs []building
	for _, w := range x.buildings {
		if r := x.ring(w); r != nil {
			bs = append(bs, building{orb.Polygon{r}, r.Bound()})
		}
	}
	var res ShopResult
	var shops []domain.Shop
	for _, w := range x.shopWays {
		if r := x.ring(w); r != nil {
			shops = append(shops, domain.Shop{Name: shopName(w.Tags), Geom: orb.Polygon{r}, Source: SourceOSM, SourceID: fmt.Sprintf("way/%d", w.ID)})
			res.Footprints++
		}
	}
	for _, n := range x.shopNodes {
		p := orb.Point{n.Lon, n.Lat}
		var g orb.Geometry = p
		for _, b := range bs {
			if b.bound.Contains(p) && planar.PolygonContains(b.poly, p) {
				g = b.poly
				res.Footprints++
				break
			}
		}
		shops = append(shops, domain.Shop{Name: shopName(n.Tags), Geom: g, Address: n.Tags.Find("addr:street"), Source: SourceOSM, SourceID: fmt.Sprintf("node/%d", n.ID)})
	}
	if actor.Name == "" {
		actor.Name = "import"
	}
	for start := 0; start < len(shops); start += DefaultBatchSize {
		ids, err := svc.SaveShops(ctx, actor, shops[start:min(len(shops), start+DefaultBatchSize)])
		if err != nil {
			return res, err
		}
		res.Shops += len(ids)
	}
	return res, nil
}

// shopName is a shop's name, or its kind when it has none (a shop must have a name).
func shopName(t osm.Tags) string {
	if n := osmName(t); n != "" {
		return n
	}
	return "shop=" + t.Find("shop")
}
