package demo_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"everymeter/demo"
	"everymeter/geo"
	"everymeter/internal/testapp"
	"everymeter/internal/testdb"
	"everymeter/server"
	"everymeter/service"
	"everymeter/store"
)

// newService wires the domain layer exactly as the server does (with the coverage engine).
func newService(st *store.Store) *service.Service {
	return server.Service(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// load runs demo.Load on a fresh database and returns the store and what Load printed.
func load(t *testing.T) (*store.Store, *service.Service, string) {
	t.Helper()
	st, _ := testdb.New(t)
	svc := newService(st)
	var out bytes.Buffer
	if _, err := demo.Load(t.Context(), svc, &out); err != nil {
		t.Fatal(err)
	}
	return st, svc, out.String()
}

func scalar[T any](t *testing.T, st *store.Store, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := st.Pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func TestGenerateIsValidAndDeterministic(t *testing.T) {
	a, b := demo.Generate(), demo.Generate()
	if len(a.Assets) != len(b.Assets) || len(a.Zones) != len(b.Zones) || len(a.Assignments) != len(b.Assignments) {
		t.Fatal("two calls of Generate differ in size")
	}
	ids := map[string]bool{}
	for i, x := range a.Assets {
		if err := geo.ValidateGeometry(x.Geom); err != nil {
			t.Errorf("asset %s %q: %v", x.SourceID, x.Name, err)
		}
		if ids[x.SourceID] {
			t.Errorf("source_id %s used twice", x.SourceID)
		}
		ids[x.SourceID] = true
		if x.Name == "" {
			t.Errorf("asset %s has no name", x.SourceID)
		}
		if y := b.Assets[i]; y.SourceID != x.SourceID || y.Name != x.Name || !orb.Equal(x.Geom, y.Geom) {
			t.Fatalf("asset %d differs between two calls of Generate", i)
		}
	}
	for _, z := range a.Zones {
		if err := geo.ValidateGeometry(z.Geom); err != nil {
			t.Errorf("zone %q: %v", z.Name, err)
		}
	}
}

func TestLoad(t *testing.T) {
	st, svc, out := load(t)
	ctx := t.Context()
	count := func(kind string) int64 {
		return scalar[int64](t, st, `SELECT count(*) FROM assets WHERE source = 'demo' AND kind = $1`, kind)
	}
	if n := count("alley"); n < 300 {
		t.Errorf("%d back alleys, want at least 300", n)
	}
	if n := count("park"); n < 10 {
		t.Errorf("%d parks, want at least 10", n)
	}
	if n := count("road"); n < 60 {
		t.Errorf("%d road segments, want a real network", n)
	}
	for _, c := range []struct{ kind, name string }{
		{"market", "县城中心菜市场"}, {"market", "绿园菜市场"}, {"road", "金桥商业街"}, {"road", "朝阳路商业街"},
	} {
		if n := scalar[int64](t, st, `SELECT count(*) FROM assets WHERE kind = $1 AND name = $2`, c.kind, c.name); n != 1 {
			t.Errorf("%s %s: %d, want 1", c.kind, c.name, n)
		}
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM assets WHERE name = '金桥商业街' AND attributes->>'commercial' = 'true'`); n != 1 {
		t.Error("金桥商业街 is not marked commercial")
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM assets WHERE name LIKE '人民路（%段）'`); n < 5 {
		t.Errorf("%d segments of 人民路 named like 人民路（X—Y段）", n)
	}
	for _, code := range []string{"CGZ", "ZHZFJ", "ZJJ", "SZYLJ", "AWB", "GAJJ", "JTGL", "GSZJJ", "SYJ", "MZJ", "FGJ", "XCB", "WMB", "JYJ", "WGJ", "TXW", "FL"} {
		u, err := st.UnitByCode(ctx, code)
		if err != nil {
			t.Errorf("unit %s: %v", code, err)
			continue
		}
		if u.ContactPerson == "" || !strings.HasPrefix(u.Phone, "0393-") {
			t.Errorf("unit %s has no contact: %+v", code, u)
		}
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM units c JOIN units p ON p.id = c.parent_id WHERE c.kind = 'community' AND p.code = 'CGZ'`); n < 3 || n > 5 {
		t.Errorf("%d communities under 城关镇, want 3–5", n)
	}
	for _, kind := range []string{"网格", "门前三包", "路段分包"} {
		if n := scalar[int64](t, st, `SELECT count(*) FROM zones WHERE kind = $1`, kind); n == 0 {
			t.Errorf("no zone of kind %s", kind)
		}
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM zones z JOIN units u ON u.id = z.unit_id WHERE z.role = 'support' AND u.code IN ('ZHZFJ','ZJJ','SZYLJ','AWB')`); n < 4 {
		t.Errorf("%d support zones of the 背街小巷 departments, want 4", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM zones z JOIN units u ON u.id = z.unit_id JOIN assets a ON a.kind = 'market' AND ST_Contains(z.geom, a.geom)
		WHERE z.role = 'lead' AND u.code = 'GSZJJ'`); n != 2 {
		t.Errorf("%d markets inside a lead zone of 工商质监局, want 2", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM assignments WHERE person <> '' AND phone <> ''`); n < 60 {
		t.Errorf("%d assignments with a named 路段长, want most road segments", n)
	}
	// Every role has an account, and the printed passwords work.
	for _, u := range []struct{ name, role, unit string }{
		{"admin", "admin", ""}, {"planner", "planner", ""}, {"inspector", "inspector", ""}, {"inspector2", "inspector", ""},
		{"unit_cgz", "unit_staff", "CGZ"}, {"unit_zhzfj", "unit_staff", "ZHZFJ"}, {"leader", "leader", ""},
	} {
		pw := passwordIn(out, u.name)
		if pw == "" {
			t.Errorf("no password printed for %s:\n%s", u.name, out)
			continue
		}
		if _, user, err := svc.Login(ctx, u.name, pw, "127.0.0.1"); err != nil {
			t.Errorf("login %s with the printed password: %v", u.name, err)
		} else if user.Role != u.role {
			t.Errorf("%s has role %s, want %s", u.name, user.Role, u.role)
		}
	}
	// Valid geometries, and the size of a county seat.
	if n := scalar[int64](t, st, `SELECT count(*) FROM assets WHERE NOT ST_IsValid(geom)`); n != 0 {
		t.Errorf("%d invalid asset geometries", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM zones WHERE NOT ST_IsValid(geom)`); n != 0 {
		t.Errorf("%d invalid zone geometries", n)
	}
	// A believable map: alleys cross neither each other nor roads; parks and markets sit inside blocks.
	if n := scalar[int64](t, st, `SELECT count(*) FROM assets a JOIN assets b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
		WHERE a.kind IN ('alley', 'park', 'market') AND b.kind IN ('alley', 'road', 'park', 'market')
		   OR b.kind IN ('alley', 'park', 'market') AND a.kind IN ('alley', 'road', 'park', 'market')`); n != 0 {
		t.Errorf("%d alleys, parks or markets cross a road, an alley or each other", n)
	}
	if n := scalar[int64](t, st, `SELECT count(*) FROM assets a JOIN assets b ON a.id < b.id AND ST_Crosses(a.geom, b.geom)
		WHERE a.kind = 'road' AND b.kind = 'road'`); n != 0 {
		t.Errorf("%d pairs of road segments cross instead of meeting at their ends", n)
	}
	var w, h float64
	err := st.Pool.QueryRow(ctx, `WITH e AS (SELECT ST_SetSRID(ST_Extent(geom), 4326) AS b FROM assets WHERE kind IN ('road', 'alley'))
		SELECT ST_Distance(ST_SetSRID(ST_MakePoint(ST_XMin(b), ST_Y(ST_Centroid(b))), 4326)::geography,
		                   ST_SetSRID(ST_MakePoint(ST_XMax(b), ST_Y(ST_Centroid(b))), 4326)::geography),
		       ST_Distance(ST_SetSRID(ST_MakePoint(ST_X(ST_Centroid(b)), ST_YMin(b)), 4326)::geography,
		                   ST_SetSRID(ST_MakePoint(ST_X(ST_Centroid(b)), ST_YMax(b)), 4326)::geography) FROM e`).Scan(&w, &h)
	if err != nil {
		t.Fatal(err)
	}
	if w < 4500 || w > 5800 || h < 3500 || h > 4800 {
		t.Errorf("town is %.0f × %.0f m, want about 5 × 4 km", w, h)
	}
	t.Logf("town %.0f × %.0f m", w, h)
}

// passwordIn finds the password printed for a user.
func passwordIn(out, user string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i := 0; i+3 < len(f); i++ {
			if f[i] == "user" && f[i+1] == user && f[i+3] == "password" && i+4 < len(f) {
				return f[i+4]
			}
		}
	}
	return ""
}

const geomHash = `SELECT md5(string_agg(kind || name || ST_AsText(geom), ',' ORDER BY source_id)) FROM assets WHERE source = 'demo'`

func TestLoadIsDeterministic(t *testing.T) {
	a, _, _ := load(t)
	b, _, _ := load(t)
	ha, hb := scalar[string](t, a, geomHash), scalar[string](t, b, geomHash)
	if ha != hb {
		t.Errorf("two loads into fresh databases differ: %s vs %s", ha, hb)
	}
	const zoneHash = `SELECT md5(string_agg(name || ST_AsText(geom), ',' ORDER BY name, id)) FROM zones`
	if za, zb := scalar[string](t, a, zoneHash), scalar[string](t, b, zoneHash); za != zb {
		t.Error("zones differ between two loads")
	}
	const asgHash = `SELECT md5(string_agg(a.source_id || x.from_m::text || x.to_m::text || x.person, ',' ORDER BY a.source_id, x.from_m, x.id))
		FROM assignments x JOIN assets a ON a.id = x.asset_id`
	if xa, xb := scalar[string](t, a, asgHash), scalar[string](t, b, asgHash); xa != xb {
		t.Error("assignments differ between two loads")
	}
}

func TestLoadIsIdempotent(t *testing.T) {
	st, svc, _ := load(t)
	const counts = `SELECT (SELECT count(*) FROM assets) || '/' || (SELECT count(*) FROM zones) || '/' || (SELECT count(*) FROM assignments)
		|| '/' || (SELECT count(*) FROM units) || '/' || (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM coverage_pieces)`
	const hashes = `SELECT md5(string_agg(username || password_hash, ',' ORDER BY username)) FROM users`
	before, pw := scalar[string](t, st, counts), scalar[string](t, st, hashes)
	hash := scalar[string](t, st, geomHash)
	var out bytes.Buffer
	res, err := demo.Load(t.Context(), svc, &out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || res.UnitsCreated != 0 {
		t.Errorf("second load created something: %+v", res)
	}
	if after := scalar[string](t, st, counts); after != before {
		t.Errorf("counts changed: %s → %s", before, after)
	}
	if scalar[string](t, st, hashes) != pw {
		t.Error("second load changed passwords")
	}
	if scalar[string](t, st, geomHash) != hash {
		t.Error("second load changed geometry")
	}
	if !strings.Contains(out.String(), "already exists") || strings.Contains(out.String(), " password ") && passwordIn(out.String(), "admin") != "" {
		t.Errorf("second load should say the users exist and print no password:\n%s", out.String())
	}
}

func TestCoverageHasGapsAndOverlaps(t *testing.T) {
	a := testapp.New(t)
	if _, err := demo.Load(t.Context(), a.Svc, io.Discard); err != nil {
		t.Fatal(err)
	}
	type stretch struct {
		Kind     string  `json:"kind"`
		TotalM   float64 `json:"total_m"`
		GapM     float64 `json:"gap_m"`
		OverlapM float64 `json:"overlap_m"`
		Percent  float64 `json:"percent"`
	}
	var sum struct {
		stretch
		ByKind []stretch `json:"by_kind"`
	}
	a.Do("leader", "GET", "/api/v1/coverage", nil).MustStatus(t, 200).Decode(t, &sum)
	t.Logf("coverage: total %.0f m, %.2f%% covered, gap %.0f m, overlap %.0f m", sum.TotalM, sum.Percent, sum.GapM, sum.OverlapM)
	for _, k := range sum.ByKind {
		t.Logf("  %s: %.0f m, %.2f%% covered, gap %.0f m, overlap %.0f m", k.Kind, k.TotalM, k.Percent, k.GapM, k.OverlapM)
	}
	if sum.Percent < 80 || sum.Percent > 95 {
		t.Errorf("%.2f%% covered, want most but not all (80–95%%)", sum.Percent)
	}
	if sum.GapM < 1000 {
		t.Errorf("only %.0f m of gaps; the demo should show some", sum.GapM)
	}
	if sum.OverlapM < 100 || sum.OverlapM > 2000 {
		t.Errorf("%.0f m of overlaps, want a few hundred meters", sum.OverlapM)
	}
	if n := scalar[int64](t, a.Store, `SELECT count(*) FROM coverage_support`); n == 0 {
		t.Error("no support claims recorded")
	}
	// Some alleys lie outside every grid, and two community grids overlap along 胜利街.
	if n := scalar[int64](t, a.Store, `SELECT count(DISTINCT p.asset_id) FROM coverage_pieces p JOIN assets x ON x.id = p.asset_id
		WHERE x.kind = 'alley' AND p.status = 'gap' AND p.from_m = 0 AND p.to_m >= x.length_m - 0.01`); n < 5 {
		t.Errorf("%d alleys wholly outside any grid, want a few", n)
	}
	if n := scalar[int64](t, a.Store, `SELECT count(*) FROM coverage_pieces p JOIN assets x ON x.id = p.asset_id
		WHERE x.name LIKE '胜利街%' AND p.status = 'overlap' AND p.to_m - p.from_m BETWEEN 80 AND 120`); n != 1 {
		t.Errorf("%d overlaps of about 100 m on 胜利街, want 1", n)
	}
}

// BenchmarkGenerate measures building the town in memory.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		demo.Generate()
	}
}

// BenchmarkLoad measures a first load into a fresh database (with coverage and password hashing).
func BenchmarkLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, _ := testdb.New(b)
		svc := newService(st)
		b.StartTimer()
		res, err := demo.Load(b.Context(), svc, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Roads+res.Alleys+res.Markets+res.Parks), "assets/op")
	}
}
