package service_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"everymeter/domain"
	"everymeter/internal/testdb"
	"everymeter/server"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// evalTown is a small network whose street names the tests control: 人民路 runs east–west at lat 36.200 from
// lon 117.100 to 117.120; 建设路 (lon 117.110) and 文化巷 (lon 117.115) cross it north–south; 解放路 runs
// east–west at lat 36.215 and 胜利街 (lon 117.105, lat 36.210–36.220) crosses only 解放路. 城关镇 leads the
// zone west of lon 117.110, 综合执法局 the zone east of it.
type evalTown struct {
	st          *store.Store
	eval        *service.Evaluation
	reports     *service.Reports
	west, east  int64 // unit ids
	admin, insp domain.Principal
	staffWest   domain.Principal
	assets      map[string]int64
}

func newEvalTown(t *testing.T) *evalTown {
	t.Helper()
	st, _ := testdb.New(t)
	ctx := t.Context()
	s := server.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{DataDir: t.TempDir()})
	town := &evalTown{st: st, eval: s.Eval, reports: s.Reports, assets: map[string]int64{}}
	unit := func(code, name string) int64 {
		u, err := st.UpsertUnit(ctx, store.Unit{Code: code, Name: name, Kind: string(vocab.Department)})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	town.west, town.east = unit("CGZ", "城关镇"), unit("ZHZFJ", "综合执法局")
	user := func(name string, role vocab.Role, unitID *int64) domain.Principal {
		u, err := st.UpsertUser(ctx, store.User{Username: name, PasswordHash: "x", Role: string(role), UnitID: unitID})
		if err != nil {
			t.Fatal(err)
		}
		return domain.Principal{ID: u.ID, Name: name, Role: string(role), UnitID: unitID}
	}
	town.admin, town.insp = user("admin", vocab.Admin, nil), user("insp", vocab.Inspector, nil)
	town.staffWest = user("cgz", vocab.UnitStaff, &town.west)
	line := func(kind, name string, a, b orb.Point) store.Asset {
		return store.Asset{Kind: kind, Name: name, Geom: orb.LineString{a, b}}
	}
	as, err := s.Svc.CreateAssets(ctx, store.Actor{}, []store.Asset{
		line("road", "人民路", orb.Point{117.100, 36.200}, orb.Point{117.120, 36.200}),
		line("road", "建设路", orb.Point{117.110, 36.190}, orb.Point{117.110, 36.210}),
		line("alley", "文化巷", orb.Point{117.115, 36.195}, orb.Point{117.115, 36.205}),
		line("road", "解放路", orb.Point{117.100, 36.215}, orb.Point{117.120, 36.215}),
		line("road", "胜利街", orb.Point{117.105, 36.210}, orb.Point{117.105, 36.220}),
		{Kind: "market", Name: "中心菜市场", Geom: orb.Polygon{{{117.102, 36.202}, {117.104, 36.202}, {117.104, 36.204}, {117.102, 36.204}, {117.102, 36.202}}}},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		town.assets[a.Name] = a.ID
	}
	zone := func(unitID int64, minLon, maxLon float64) {
		g := orb.MultiPolygon{{{{minLon, 36.18}, {maxLon, 36.18}, {maxLon, 36.23}, {minLon, 36.23}, {minLon, 36.18}}}}
		if _, err := s.Svc.CreateZone(ctx, store.Actor{}, store.Zone{Name: "片区", UnitID: unitID, Role: "lead", Kind: "网格", Geom: g}); err != nil {
			t.Fatal(err)
		}
	}
	zone(town.west, 117.09, 117.11)
	zone(town.east, 117.11, 117.13)
	return town
}

// metersBetween is the haversine distance, an oracle independent of PostGIS and of the code under test.
func metersBetween(a, b orb.Point) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLon := (b[1]-a[1])*rad, (b[0]-a[0])*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// westOf moves a point m meters west (along a parallel).
func westOf(p orb.Point, m float64) orb.Point {
	return orb.Point{p[0] - m/(111195.08*math.Cos(p[1]*math.Pi/180)), p[1]}
}

// feedbackRow is one generated row of the sheet and what the import must make of it.
type feedbackRow struct {
	place, problem, category string
	lon, lat                 any        // float64, a string as typed, or nil
	want                     *orb.Point // where the case must be pinned; nil: not locatable
	wantUnit                 string     // the unit it routes to
	dupOf                    int        // >0: same content as that generated row (1-based), filed once
	why                      string     // for an unlocatable row: a word the reason must contain
}

// generateFeedback builds the 50 rows: 22 with coordinates, 20 with road + cross-street descriptions, 2 copies of
// earlier rows under new numbers, 6 that cannot be located.
func generateFeedback() []feedbackRow {
	var rows []feedbackRow
	problems := []string{"人行道上有暴露垃圾", "墙面有非法小广告", "店外经营占道", "机动车乱停", "绿地黄土裸露", "果皮箱破损"}
	cats := []string{"暴露垃圾/卫生死角", "非法小广告", "", "JMZX-04", "", "果皮箱破损"}
	for i := 0; i < 22; i++ {
		// along 人民路, from west to east, a few meters north of the centreline
		p := orb.Point{117.1015 + float64(i)*0.0008, 36.20003}
		r := feedbackRow{place: fmt.Sprintf("人民路%d号门前", 10+i*2), problem: problems[i%6], category: cats[i%6], want: &p}
		if i%3 == 0 {
			r.lon, r.lat = fmt.Sprintf("%.6f°", p[0]), fmt.Sprintf("%.6f", p[1]) // typed as text
		} else {
			r.lon, r.lat = p[0], p[1]
		}
		r.wantUnit = "城关镇"
		if p[0] >= 117.11 {
			r.wantUnit = "综合执法局"
		}
		rows = append(rows, r)
	}
	rmjs := orb.Point{117.110, 36.200} // 人民路 × 建设路
	jfsl := orb.Point{117.105, 36.215} // 解放路 × 胜利街
	rmwh := orb.Point{117.115, 36.200} // 人民路 × 文化巷
	descs := []struct {
		place string
		want  orb.Point
		unit  string
	}{
		{"人民路与建设路交叉口向西50米路南", westOf(rmjs, 50), "城关镇"},
		{"人民路与建设路交叉口向西120米", westOf(rmjs, 120), "城关镇"},
		{"城关镇人民路与建设路交叉口往西约200米路北", westOf(rmjs, 200), "城关镇"},
		{"人民路与建设路交叉口向东80米", westOf(rmjs, -80), "综合执法局"},
		{"人民路与文化巷交叉口向东30米", westOf(rmwh, -30), "综合执法局"},
		{"人民路文化巷口", rmwh, "综合执法局"},
		{"解放路与胜利街交叉口", jfsl, "城关镇"},
		{"解放路与胜利街交叉口向西40米", westOf(jfsl, 40), "城关镇"},
		{"解放路和胜利街交汇处向东60米", westOf(jfsl, -60), "城关镇"},
		{"建设路与人民路交叉口向北100米", orb.Point{117.110, 36.200 + 100/111195.08}, ""},
	}
	for i := 0; i < 20; i++ {
		d := descs[i%len(descs)]
		want := d.want
		rows = append(rows, feedbackRow{place: d.place, problem: fmt.Sprintf("%s（第%d处）", problems[i%6], i+1), category: cats[(i+1)%6],
			want: &want, wantUnit: d.unit})
	}
	// Two rows repeat earlier ones under new numbers (the team listed them twice).
	for _, k := range []int{3, 25} {
		r := rows[k-1]
		r.dupOf = k
		rows = append(rows, r)
	}
	rows = append(rows,
		feedbackRow{place: "人民路中段", problem: "道路不洁", why: "只有路名"},
		feedbackRow{place: "幸福路与和平路交叉口", problem: "乱堆物堆料", why: "幸福路"},
		feedbackRow{place: "人民路与胜利街交叉口向西20米", problem: "乱涂写", why: "不相交"},
		feedbackRow{place: "县医院门口", problem: "非机动车乱停", why: "没有可识别的路名"},
		feedbackRow{place: "", problem: "公益广告缺失", why: "既无坐标也无地点描述"},
		feedbackRow{place: "农贸市场东门", problem: "溢摊", lon: "东经117度", lat: "北纬36度", why: "不是数字"},
	)
	return rows
}

// writeFeedbackXLSX writes the rows as a spreadsheet program would: a merged title row, a two-row header with
// merged cells (坐标 over 经度 and 纬度, the other headers merged down), numbers as numbers and as text.
func writeFeedbackXLSX(t *testing.T, rows []feedbackRow) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := "反馈问题清单"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		t.Fatal(err)
	}
	set := func(cell string, v any) {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	merge := func(a, b string) {
		if err := f.MergeCell(sh, a, b); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "2026年省文明城市测评实地考察反馈问题清单（第一批）")
	merge("A1", "G1")
	for col, h := range map[string]string{"A": "序号", "B": "点位/地点描述", "C": "问题描述", "D": "类别", "E": "坐标", "G": "照片"} {
		set(col+"2", h)
	}
	for _, c := range []string{"A", "B", "C", "D", "G"} {
		merge(c+"2", c+"3")
	}
	merge("E2", "F2")
	set("E3", "经度")
	set("F3", "纬度")
	for i, r := range rows {
		n := i + 4
		set(fmt.Sprintf("A%d", n), i+1)
		set(fmt.Sprintf("B%d", n), r.place)
		set(fmt.Sprintf("C%d", n), r.problem)
		set(fmt.Sprintf("D%d", n), r.category)
		if r.lon != nil {
			set(fmt.Sprintf("E%d", n), r.lon)
			set(fmt.Sprintf("F%d", n), r.lat)
		}
		if i%5 == 0 {
			set(fmt.Sprintf("G%d", n), fmt.Sprintf("IMG_%04d.jpg", 100+i))
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFeedbackImport imports a realistic 50-row list twice: exactly the locatable rows are filed, once, each at
// the place its coordinates or its description say (checked against a haversine oracle) and routed to the owner
// there; the rest are listed with why; the second import files nothing.
func TestFeedbackImport(t *testing.T) {
	town := newEvalTown(t)
	ctx := t.Context()
	gen := generateFeedback()
	if len(gen) != 50 {
		t.Fatalf("generated %d rows, want 50", len(gen))
	}
	data := writeFeedbackXLSX(t, gen)
	due := time.Date(2026, 12, 20, 18, 0, 0, 0, time.UTC)
	res, err := town.eval.ImportFeedback(ctx, town.admin, "反馈清单.xlsx", data, &due)
	if err != nil {
		t.Fatal(err)
	}
	locatable, unlocatable := 0, 0
	for _, g := range gen {
		switch {
		case g.want == nil:
			unlocatable++
		case g.dupOf == 0:
			locatable++
		}
	}
	if res.Rows != 50 || res.Filed != locatable || len(res.Unlocated) != unlocatable {
		t.Fatalf("import: %d rows, %d filed, %d unlocated; want 50, %d, %d", res.Rows, res.Filed, len(res.Unlocated), locatable, unlocatable)
	}
	if len(res.Results) != 50 {
		t.Fatalf("%d results, want one per row", len(res.Results))
	}
	for i, g := range gen {
		got := res.Results[i]
		if got.RowNo != i+4 || got.Seq != fmt.Sprint(i+1) {
			t.Errorf("result %d is sheet row %d (序号 %q), want row %d", i, got.RowNo, got.Seq, i+4)
			continue
		}
		switch {
		case g.want == nil:
			if got.Located || got.ReportID != nil || !strings.Contains(got.Reason, g.why) {
				t.Errorf("row %d (%s): located %v, report %v, reason %q; want unlocated because %q", i+1, g.place, got.Located, got.ReportID, got.Reason, g.why)
			}
		case g.dupOf > 0:
			first := res.Results[g.dupOf-1]
			if got.ReportID != nil || first.ReportID == nil || !strings.Contains(got.Reason, fmt.Sprint(g.dupOf+3)) {
				t.Errorf("row %d repeats row %d: report %v, reason %q", i+1, g.dupOf, got.ReportID, got.Reason)
			}
		default:
			if got.ReportID == nil {
				t.Errorf("row %d (%s) not filed: %s", i+1, g.place, got.Reason)
				continue
			}
			r, err := town.st.Report(ctx, *got.ReportID)
			if err != nil {
				t.Fatal(err)
			}
			if d := metersBetween(r.Geom, *g.want); d > 3 {
				t.Errorf("row %d (%s) pinned at %v, %.1f m from where it says %v", i+1, g.place, r.Geom, d, *g.want)
			}
			if r.Source != string(vocab.FromFeedback) || r.Deadline == nil || !r.Deadline.Equal(due) {
				t.Errorf("row %d: source %q, deadline %v; want %s due %v", i+1, r.Source, r.Deadline, vocab.FromFeedback, due)
			}
			if g.wantUnit != "" && r.UnitName != g.wantUnit {
				t.Errorf("row %d (%s) routed to %q, want %q", i+1, g.place, r.UnitName, g.wantUnit)
			}
		}
	}
	count := func() int {
		var n int
		if err := town.st.Pool.QueryRow(ctx, `SELECT count(*) FROM reports WHERE source = 'feedback'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != locatable {
		t.Fatalf("%d feedback reports stored, want %d", n, locatable)
	}

	again, err := town.eval.ImportFeedback(ctx, town.admin, "反馈清单（再次导入）.xlsx", data, &due)
	if err != nil {
		t.Fatal(err)
	}
	if again.Filed != 0 || again.Already != locatable+2 || len(again.Unlocated) != unlocatable {
		t.Errorf("second import: %d filed, %d already, %d unlocated; want 0, %d, %d", again.Filed, again.Already, len(again.Unlocated), locatable+2, unlocatable)
	}
	if n := count(); n != locatable {
		t.Errorf("after the second import %d feedback reports, want still %d", n, locatable)
	}

	// The feedback ledger lists every filed row; a unit's staff see their own unit's rows only.
	all, err := town.eval.FeedbackLedger(ctx, town.admin)
	if err != nil || all.Total != locatable || all.Open != locatable {
		t.Fatalf("feedback ledger: %d rows, %d open, %v; want %d open", all.Total, all.Open, err, locatable)
	}
	own, err := town.eval.FeedbackLedger(ctx, town.staffWest)
	if err != nil {
		t.Fatal(err)
	}
	wantOwn := 0
	for _, l := range all.Rows {
		if l.UnitID != nil && *l.UnitID == town.west {
			wantOwn++
		}
	}
	if own.Total != wantOwn || wantOwn == 0 || wantOwn == all.Total {
		t.Errorf("城关镇 staff see %d ledger rows, want their unit's %d of %d", own.Total, wantOwn, all.Total)
	}
}

// TestFeedbackCSV reads the same kind of list as a GB18030 CSV (Excel's "CSV" on a Chinese Windows).
func TestFeedbackCSV(t *testing.T) {
	town := newEvalTown(t)
	csv := "序号,点位,问题描述,类别,经度,纬度\r\n1,人民路与建设路交叉口向西50米,暴露垃圾,,,\r\n2,,小广告,非法小广告,117.112,36.2001\r\n3,不知道哪里,道路不洁,,,\r\n"
	enc, err := simplifiedGB(csv)
	if err != nil {
		t.Fatal(err)
	}
	res, err := town.eval.ImportFeedback(t.Context(), town.admin, "list.csv", enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 3 || res.Filed != 2 || len(res.Unlocated) != 1 || res.Unlocated[0].Seq != "3" {
		t.Fatalf("CSV import = %+v", res)
	}
	if _, err := town.eval.ImportFeedback(t.Context(), town.admin, "list.csv", []byte("a,b\n1,2\n"), nil); err == nil {
		t.Error("a CSV without a 问题描述 column was accepted")
	}
}

func simplifiedGB(s string) ([]byte, error) {
	return simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
}

func (town *evalTown) leader(t *testing.T) domain.Principal {
	t.Helper()
	u, err := town.st.UpsertUser(t.Context(), store.User{Username: "leader", PasswordHash: "x", Role: string(vocab.Leader)})
	if err != nil {
		t.Fatal(err)
	}
	return domain.Principal{ID: u.ID, Name: "leader", Role: string(vocab.Leader)}
}

func isValidation(err error) bool {
	var ve *service.ValidationError
	return errors.As(err, &ve)
}
