package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/internal/testdb"
	"everymeter/store"
)

// TestFileReport files reports with the one-statement filing: duplicates come back in the same call (never the new
// report itself, nothing of another category, closed or too far), an idempotent retry answers with the earlier
// report, and a category or default unit changed since its version was read refuses the write.
func TestFileReport(t *testing.T) {
	st, _ := testdb.New(t)
	ctx := t.Context()
	u, err := st.UpsertUser(ctx, store.User{Username: "insp", PasswordHash: "x", Role: "inspector"})
	if err != nil {
		t.Fatal(err)
	}
	cat, version, err := st.CategoryVersioned(ctx, "JMZX-01")
	if err != nil || cat.Code != "JMZX-01" || version == "" {
		t.Fatalf("CategoryVersioned = %+v, %q, %v", cat, version, err)
	}
	dup := store.DuplicateQuery{RadiusM: 50, Window: 7 * 24 * time.Hour, Limit: 20}
	file := func(p orb.Point, category, version, key string) (store.Filing, error) {
		r := store.Report{CategoryCode: category, Status: "reported", Geom: p, ReporterID: &u.ID}
		if key != "" {
			r.IdempotencyKey = &key
		}
		return st.FileReport(ctx, r, version, dup, store.ReportEvent{Action: "create", ToStatus: "reported"})
	}
	first, err := file(orb.Point{117.1, 36.2}, "JMZX-01", version, "a")
	if err != nil || !first.Created || first.Report.ID == 0 || len(first.Duplicates) != 0 {
		t.Fatalf("first filing = %+v, %v", first, err)
	}
	if ev, err := st.ReportEvents(ctx, first.Report.ID); err != nil || len(ev) != 1 || ev[0].Action != "create" {
		t.Fatalf("history = %v, %v", ev, err)
	}
	// Context: another category at the same spot, a closed one 10 m away, an old one, one 90 m away.
	_, sepVersion, err := st.CategoryVersioned(ctx, "SRHJ-01")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file(orb.Point{117.1, 36.2}, "SRHJ-01", sepVersion, ""); err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Report{
		{CategoryCode: "JMZX-01", Status: "closed", Geom: orb.Point{117.1001, 36.2}},
		{CategoryCode: "JMZX-01", Status: "reported", Geom: orb.Point{117.1001, 36.2}, CreatedAt: time.Now().Add(-8 * 24 * time.Hour)},
		{CategoryCode: "JMZX-01", Status: "reported", Geom: orb.Point{117.101, 36.2}},
	} {
		if _, _, err := st.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	second, err := file(orb.Point{117.1003, 36.2}, "JMZX-01", version, "b")
	if err != nil || !second.Created {
		t.Fatalf("second filing = %+v, %v", second, err)
	}
	if len(second.Duplicates) != 1 || second.Duplicates[0].ID != first.Report.ID {
		t.Fatalf("duplicates of the second = %v, want only report %d (~27 m away)", second.Duplicates, first.Report.ID)
	}
	// Concurrent retries under one key: one report, every answer the same, the duplicates those of the earlier one.
	var wg sync.WaitGroup
	got := make([]store.Filing, 10)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := file(orb.Point{117.1006, 36.2}, "JMZX-01", version, "c")
			if err != nil {
				t.Error(err)
			}
			got[i] = f
		}()
	}
	wg.Wait()
	created := 0
	for _, f := range got {
		if f.Report.ID != got[0].Report.ID {
			t.Fatalf("retries answered reports %d and %d", f.Report.ID, got[0].Report.ID)
		}
		if f.Created {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d of 10 retries created the report, want 1", created)
	}
	retry, err := file(orb.Point{117.1006, 36.2}, "JMZX-01", version, "b")
	if err != nil || retry.Created || retry.Report.ID != second.Report.ID || len(retry.Duplicates) != 2 {
		t.Fatalf("retry of the second = %+v, %v; want report %d and 2 duplicates", retry, err, second.Report.ID)
	}
	// A category edited since its version was read, or its default unit created since: nothing is written.
	if _, err := st.Pool.Exec(ctx, `UPDATE categories SET time_limit_hours = 5 WHERE code = 'JMZX-01'`); err != nil {
		t.Fatal(err)
	}
	n0, _ := st.CountReports(ctx)
	if _, err := file(orb.Point{117.2, 36.2}, "JMZX-01", version, "d"); !errors.Is(err, store.ErrCategoryChanged) {
		t.Fatalf("filing under an old category version: %v, want ErrCategoryChanged", err)
	}
	_, version2, err := st.CategoryVersioned(ctx, "JMZX-01")
	if err != nil || version2 == version {
		t.Fatalf("version after an edit %q (before %q), %v", version2, version, err)
	}
	if _, err := st.UpsertUnit(ctx, store.Unit{Code: "ZHZFJ", Name: "综合执法局", Kind: "department"}); err != nil {
		t.Fatal(err)
	}
	if _, err := file(orb.Point{117.2, 36.2}, "JMZX-01", version2, "d"); !errors.Is(err, store.ErrCategoryChanged) {
		t.Fatalf("filing after the default unit appeared: %v, want ErrCategoryChanged", err)
	}
	if n1, _ := st.CountReports(ctx); n1 != n0 {
		t.Fatalf("refused filings wrote %d reports", n1-n0)
	}
	c3, version3, err := st.CategoryVersioned(ctx, "JMZX-01")
	if err != nil || c3.DefaultUnitID == nil || c3.TimeLimitHours != 5 {
		t.Fatalf("category after the edits = %+v, %v", c3, err)
	}
	if f, err := file(orb.Point{117.2, 36.2}, "JMZX-01", version3, "d"); err != nil || !f.Created {
		t.Fatalf("filing under the current version = %+v, %v", f, err)
	}
}
