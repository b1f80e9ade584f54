package importer

import (
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"

	"everymeter/domain"
	"everymeter/store"
)

// frontageOracle computes, in PostGIS and without the Go code's frontages, where each shop fronts which street
// side: every street is offset 3 m to each side (ST_OffsetCurve, in UTM 32N); a shop fronts the street nearest its
// centre (within 40 m), on the side whose offset curve is nearer; its frontage is the stretch of that offset curve
// its footprint's vertices project to. That stretch is then measured back onto the centreline: its two ends'
// ST_LineLocatePoint on the centreline times the centreline's length, so that oracle and service count the same
// meters (an offset curve is longer or shorter than its centreline wherever the street bends). The test adds the
// rule for a door (or a footprint narrower than 1 m: 8 m around it) and unions the stretches of each side. Every
// shop counts (the test gives each an agreement). The steps are temporary tables with indexes, so that the
// nearest-street search uses the GiST index.
var frontageOracle = []string{
	`CREATE TEMP TABLE o_st ON COMMIT DROP AS SELECT id, ST_Transform(geom, 32632) AS g FROM assets
		WHERE kind IN ('road', 'alley') AND GeometryType(geom) = 'LINESTRING'`,
	`CREATE INDEX ON o_st USING gist (g)`,
	`CREATE INDEX ON o_st (id)`,
	`CREATE TEMP TABLE o_sd ON COMMIT DROP AS SELECT st.id, s.side, ST_OffsetCurve(st.g, s.d) AS oc
		FROM o_st st, (VALUES ('left', 3.0), ('right', -3.0)) s(side, d)`,
	`CREATE INDEX ON o_sd (id, side)`,
	`CREATE TEMP TABLE o_sh ON COMMIT DROP AS SELECT id, ST_Transform(geom, 32632) AS g, ST_Centroid(ST_Transform(geom, 32632)) AS c FROM shops`,
	`CREATE TEMP TABLE o_sided ON COMMIT DROP AS
		SELECT sh.id AS shop, n.id AS street, CASE WHEN ST_Distance(l.oc, sh.c) <= ST_Distance(r.oc, sh.c) THEN 'left' ELSE 'right' END AS side
		FROM o_sh sh CROSS JOIN LATERAL (SELECT st.id, ST_Distance(st.g, sh.c) AS d FROM o_st st ORDER BY st.g <-> sh.c LIMIT 1) n
		JOIN o_sd l ON l.id = n.id AND l.side = 'left' JOIN o_sd r ON r.id = n.id AND r.side = 'right'
		WHERE n.d <= 40 AND GeometryType(l.oc) = 'LINESTRING' AND GeometryType(r.oc) = 'LINESTRING'`,
	`CREATE TEMP TABLE o_piece ON COMMIT DROP AS
		SELECT x.shop, x.street, x.side, ST_Length(st.g) AS clen,
			ST_LineLocatePoint(st.g, ST_LineInterpolatePoint(x.oc, x.f0)) * ST_Length(st.g) AS a,
			ST_LineLocatePoint(st.g, ST_LineInterpolatePoint(x.oc, x.f1)) * ST_Length(st.g) AS b
		FROM (SELECT s.shop, s.street, s.side, sd.oc, min(ST_LineLocatePoint(sd.oc, v.geom)) AS f0, max(ST_LineLocatePoint(sd.oc, v.geom)) AS f1
			FROM o_sided s JOIN o_sh sh ON sh.id = s.shop JOIN o_sd sd ON sd.id = s.street AND sd.side = s.side,
				LATERAL ST_DumpPoints(CASE WHEN GeometryType(sh.g) = 'POINT' THEN sh.g ELSE ST_ExteriorRing(ST_GeometryN(sh.g, 1)) END) v
			GROUP BY s.shop, s.street, s.side, sd.oc) x
		JOIN o_st st ON st.id = x.street`,
}

// frontageOracleAnswer is each shop's frontage: its street and side, the centreline's length and the frontage's
// ends in centreline meters.
const frontageOracleAnswer = `SELECT street, side, clen, LEAST(a, b), GREATEST(a, b) FROM o_piece ORDER BY street, side, shop`

// unionLength is the length of the union of intervals (the test's own, not geo.Intervals).
func unionLength(ivs [][2]float64) float64 {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i][0] < ivs[j][0] })
	total, end := 0.0, math.Inf(-1)
	for _, iv := range ivs {
		if iv[0] > end {
			total += iv[1] - iv[0]
			end = iv[1]
		} else if iv[1] > end {
			total += iv[1] - end
			end = iv[1]
		}
	}
	return total
}

// TestFrontageSidesAgainstPostGIS imports a real town's streets and its OSM shops (shop=* nodes, ways and the
// building footprints shop nodes lie in), gives every shop an agreement, and holds the frontage share of each
// side, as the service computes it from the derived frontages, to the PostGIS oracle within 0.5 % of the length:
// every street side, and the town's share per side. (Swapping the oracle's left and right offsets fails it.)
func TestFrontageSidesAgainstPostGIS(t *testing.T) {
	path := filepath.Join(sharedData(t), "osm", "monaco-2016-03-05.osm.pbf")
	svc := newService(t)
	ctx := t.Context()
	if _, err := OSM(ctx, svc, path, Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := ShopsOSM(ctx, svc, path, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Shops < 80 || res.Footprints < 50 {
		t.Fatalf("imported %d shops (%d with a footprint); the 2016 Monaco extract has 88, most inside a building", res.Shops, res.Footprints)
	}
	if _, err := svc.Store.Pool.Exec(ctx, `INSERT INTO units (code, name, kind) VALUES ('TERR', '属地', 'town');
		INSERT INTO agreements (shop_id, unit_id, duties, signed_on, valid_from, valid_to)
		SELECT s.id, u.id, ARRAY['sanitation', 'order', 'greening'], current_date, current_date - 1, current_date + 365
		FROM shops s, units u WHERE u.code = 'TERR'`); err != nil {
		t.Fatal(err)
	}
	var withFrontage int
	if err := svc.Store.Pool.QueryRow(ctx, `SELECT count(*) FROM frontages`).Scan(&withFrontage); err != nil {
		t.Fatal(err)
	}
	// The oracle offsets every street of the town: more than the pool's statement timeout allows a request.
	tx, err := svc.Store.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '10min'`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, q := range frontageOracle {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	rows, err := tx.Query(ctx, frontageOracleAnswer)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		street int64
		side   string
	}
	type cover struct{ length, covered float64 }
	pieces := map[key][][2]float64{}
	lengths := map[key]float64{}
	for rows.Next() {
		var k key
		var clen, m0, m1 float64
		if err := rows.Scan(&k.street, &k.side, &clen, &m0, &m1); err != nil {
			t.Fatal(err)
		}
		if m1-m0 < 1 { // a door, or a footprint narrower than 1 m along the street: 8 m around its middle
			mid := (m0 + m1) / 2
			m0, m1 = mid-4, mid+4
		}
		pieces[k] = append(pieces[k], [2]float64{math.Max(0, m0), math.Min(clen, m1)})
		lengths[k] = clen
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	oracle := map[key]cover{}
	for k, ivs := range pieces {
		oracle[k] = cover{lengths[k], unionLength(ivs)}
	}
	t.Logf("oracle: %v", time.Since(start).Round(time.Millisecond))
	// The service's answer for every street either side finds a frontage on.
	streets := map[int64]bool{}
	for k := range oracle {
		streets[k.street] = true
	}
	var withShops []int64
	if err := svc.Store.Pool.QueryRow(ctx, `SELECT array_agg(DISTINCT asset_id) FROM frontages`).Scan(&withShops); err != nil {
		t.Fatal(err)
	}
	for _, id := range withShops {
		streets[id] = true
	}
	leader := domain.Principal{ID: 1, Role: "leader"}
	got := map[key]cover{}
	for id := range streets {
		fc, err := svc.FrontageCoverage(ctx, leader, id, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range fc.Sides {
			if s.CoveredM > 0 {
				got[key{id, s.Side}] = cover{s.LengthM, s.CoveredM}
			}
		}
	}
	compared, close, worst := 0, 0, 0.0
	total := map[string]*[4]float64{"left": {}, "right": {}} // service length, covered; oracle length, covered
	for k := range streets {
		for _, side := range []string{"left", "right"} {
			o, inO := oracle[key{k, side}]
			g, inG := got[key{k, side}]
			if !inO && !inG {
				continue
			}
			compared++
			if !inO || !inG {
				t.Errorf("street %d %s side: the service finds %.1f m in front of shops, PostGIS %.1f m", k, side, g.covered, o.covered)
				continue
			}
			// Both measure along the centreline: each street side is held to 0.5 % of its street's length.
			d := math.Abs(o.covered/o.length - g.covered/g.length)
			worst = math.Max(worst, d)
			if d <= 0.005 {
				close++
			}
			if d > 0.005 {
				t.Errorf("street %d %s side: the service covers %.1f of %.1f m (%.2f %%), PostGIS %.1f of %.1f m offset 3 m (%.2f %%)",
					k, side, g.covered, g.length, 100*g.covered/g.length, o.covered, o.length, 100*o.covered/o.length)
			}
			tt := total[side]
			tt[0], tt[1], tt[2], tt[3] = tt[0]+g.length, tt[1]+g.covered, tt[2]+o.length, tt[3]+o.covered
		}
	}
	if compared < 40 {
		t.Fatalf("only %d street sides with shops compared", compared)
	}
	for _, side := range []string{"left", "right"} {
		tt := total[side]
		sg, so := tt[1]/tt[0], tt[3]/tt[2]
		t.Logf("%s side of the streets with shops: service %.1f of %.0f m (%.3f %%), PostGIS %.1f of %.0f m (%.3f %%)",
			side, tt[1], tt[0], 100*sg, tt[3], tt[2], 100*so)
		if math.Abs(sg-so) > 0.005 {
			t.Errorf("%s side: the service's frontage share %.3f %% differs from PostGIS's %.3f %% by more than 0.5 %% of the length", side, 100*sg, 100*so)
		}
	}
	t.Logf("%d street sides compared, %d within 0.5 %% of their length; the largest difference is %.2f %%", compared, close, 100*worst)
	t.Logf("%d shops, %d with a footprint, %d with a frontage; %d streets compared", res.Shops, res.Footprints, withFrontage, len(streets))
}

// TestPartsImport: CSV rows (with a header, a kind by name and by Chinese label, an owner by code) and the 部件
// tags of a real OSM file, counted independently; a second OSM import updates and creates nothing.
func TestPartsImport(t *testing.T) {
	svc := newService(t)
	ctx := t.Context()
	if _, err := svc.Store.Pool.Exec(ctx, `INSERT INTO units (code, name, kind) VALUES ('SZYLJ', '市政园林局', 'department'), ('XCB', '宣传部', 'department')`); err != nil {
		t.Fatal(err)
	}
	opt := PartOptions{County: "320508", OwnerCode: "SZYLJ"}
	csvRows := "lon,lat,type,owner\n117.001,36.0,notice_board,XCB\n117.002,36.0,井盖,\n117.003,36.0,路灯,SZYLJ\n"
	res, err := PartsCSV(ctx, svc, strings.NewReader(csvRows), opt)
	if err != nil || res.Created != 3 || res.Kinds["notice_board"] != 1 || res.Kinds["manhole"] != 1 || res.Kinds["street_lamp"] != 1 {
		t.Fatalf("CSV import: %+v, %v", res, err)
	}
	var code, owner string
	if err := svc.Store.Pool.QueryRow(ctx, `SELECT p.code, u.code FROM parts p JOIN units u ON u.id = p.owner_unit_id WHERE p.kind = 'notice_board'`).Scan(&code, &owner); err != nil {
		t.Fatal(err)
	}
	if code != "3205080310000001" || owner != "XCB" {
		t.Fatalf("the CSV's notice board has code %s and owner %s", code, owner)
	}
	if _, err := PartsCSV(ctx, svc, strings.NewReader("117.0,36.0,bench,\n"), opt); err == nil {
		t.Fatal("an unknown 部件 type was accepted")
	}

	path := filepath.Join(sharedData(t), "osm", "monaco-2016-03-05.osm.pbf")
	want := map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := osmpbf.New(ctx, f, 1)
	for sc.Scan() {
		n, ok := sc.Object().(*osm.Node)
		if !ok {
			continue
		}
		tag := func(k, v string) bool { return n.Tags.Find(k) == v }
		switch { // the package doc's tags, written out again
		case tag("amenity", "waste_basket"):
			want["waste_bin"]++
		case tag("highway", "street_lamp"):
			want["street_lamp"]++
		case tag("amenity", "toilets"):
			want["toilet"]++
		case tag("man_made", "manhole"):
			want["manhole"]++
		}
	}
	sc.Close()
	f.Close()
	res, err = PartsOSM(ctx, svc, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	for k, n := range want {
		if res.Kinds[k] != n {
			t.Errorf("%s: imported %d, the file has %d", k, res.Kinds[k], n)
		}
	}
	if want["waste_bin"]+want["toilet"] == 0 {
		t.Fatalf("the Monaco extract tags no litter bin or toilet: %v", want)
	}
	again, err := PartsOSM(ctx, svc, path, opt)
	if err != nil || again.Created != 0 || again.Updated != res.Read {
		t.Fatalf("second import: %+v (%v), want %d updated and none created", again, err, res.Read)
	}
	t.Logf("Monaco 部件: %v", res.Kinds)
}
