package service_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"everymeter/geo"
	"everymeter/internal/testdb"
	"everymeter/service"
	"everymeter/store"
)

// TestFilingFollowsCategoryEdits files reports under a category while it is edited behind the report service's
// back (plain SQL, as another replica or an admin's script would): the cached category never decides a filing that
// the current one would decide otherwise.
func TestFilingFollowsCategoryEdits(t *testing.T) {
	st, _ := testdb.New(t)
	ctx := t.Context()
	rs := service.NewReports(st, nil, t.TempDir(), nil)
	insp, err := st.UpsertUser(ctx, store.User{Username: "insp", PasswordHash: "x", Role: "inspector"})
	if err != nil {
		t.Fatal(err)
	}
	who := service.Who{ID: insp.ID, Name: insp.Username, Role: "inspector"}
	p := orb.Point{117.1, 36.2}
	file := func(key string) (service.Filed, error) {
		return rs.File(ctx, who, service.NewReport{Point: &p, Category: "JMZX-01", IdempotencyKey: key})
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}

	// No unit has the default code yet: the report waits in the dispatch queue.
	f, err := file("1")
	if err != nil || f.Report.UnitID != nil || f.Report.DecidedBy != "none" {
		t.Fatalf("first filing = %+v, %v", f.Report, err)
	}
	// The default unit appears: the next filing goes to it.
	unit, err := st.UpsertUnit(ctx, store.Unit{Code: "ZHZFJ", Name: "综合执法局", Kind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	f, err = file("2")
	if err != nil || f.Report.UnitID == nil || *f.Report.UnitID != unit.ID || *f.Report.TimeLimitHours != 4 {
		t.Fatalf("filing after the default unit appeared = %+v, %v", f.Report, err)
	}
	// Its time limit changes: the deadline follows.
	exec(`UPDATE categories SET time_limit_hours = 6 WHERE code = 'JMZX-01'`)
	f, err = file("3")
	if err != nil || *f.Report.TimeLimitHours != 6 || len(f.Duplicates) != 2 {
		t.Fatalf("filing after the limit changed = %+v (%d duplicates), %v", f.Report, len(f.Duplicates), err)
	}
	// Retired: refused, with the reason; a retry of a report filed before still answers with it.
	exec(`UPDATE categories SET active = false WHERE code = 'JMZX-01'`)
	var ve *service.ValidationError
	if _, err := file("4"); !errors.As(err, &ve) || !errors.Is(err, geo.ErrInvalid) {
		t.Fatalf("filing under a retired category: %v, want a validation error", err)
	}
	if r, err := file("3"); err != nil || r.Created || r.Report.ID != f.Report.ID {
		t.Fatalf("retry under a retired category = %+v, %v; want report %d again", r, err, f.Report.ID)
	}
	// Back in use: taken at once.
	exec(`UPDATE categories SET active = true WHERE code = 'JMZX-01'`)
	if f, err := file("4"); err != nil || !f.Created {
		t.Fatalf("filing after re-activation = %+v, %v", f, err)
	}
	// The unit is renamed: the routing reason names it as it is now.
	exec(`UPDATE units SET name = '城市管理综合执法局' WHERE code = 'ZHZFJ'`)
	f, err = file("5")
	if err != nil || f.Report.UnitName != "城市管理综合执法局" {
		t.Fatalf("filing after the unit was renamed = %+v, %v", f.Report, err)
	}
	if want := "default unit of the category 城市管理综合执法局"; !strings.Contains(f.Report.RoutingReason, want) {
		t.Fatalf("routing reason %q, want it to name %q", f.Report.RoutingReason, want)
	}
}
