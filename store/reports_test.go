package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/internal/testdb"
	"everymeter/store"
)

func TestReportsSchemaAndIdempotency(t *testing.T) {
	st, _ := testdb.New(t)
	ctx := t.Context()
	cats, err := st.Categories(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(cats) < 30 {
		t.Fatalf("seeded %d categories, want the DOMAIN.md §3 set", len(cats))
	}
	unit, err := st.UpsertUnit(ctx, store.Unit{Code: "ZHZFJ", Name: "综合执法局", Kind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Category(ctx, "JMZX-01")
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultUnitID == nil || *c.DefaultUnitID != unit.ID || c.Type != "event" || c.Group != "街面秩序" {
		t.Fatalf("JMZX-01 = %+v, want default unit %d", c, unit.ID)
	}
	u, err := st.UpsertUser(ctx, store.User{Username: "insp", PasswordHash: "x", Role: "inspector"})
	if err != nil {
		t.Fatal(err)
	}
	key := "k-1"
	r := store.Report{CategoryCode: "JMZX-01", Status: "reported", Geom: orb.Point{117.1, 36.2}, ReporterID: &u.ID, IdempotencyKey: &key}
	var wg sync.WaitGroup
	ids := make([]int64, 20)
	created := make([]bool, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, c, err := st.CreateReport(ctx, r)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i], created[i] = got.ID, c
		}()
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Fatalf("retry %d got report %d, want %d", i, ids[i], ids[0])
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d inserts reported created, want 1", n)
	}
	near, err := st.NearbyOpenReports(ctx, "JMZX-01", orb.Point{117.1003, 36.2}, 50, time.Now().Add(-time.Hour), 0, 10)
	if err != nil || len(near) != 1 {
		t.Fatalf("nearby = %v, %v; want the one report ~27 m away", near, err)
	}
	near, err = st.NearbyOpenReports(ctx, "JMZX-01", orb.Point{117.101, 36.2}, 50, time.Now().Add(-time.Hour), 0, 10)
	if err != nil || len(near) != 0 {
		t.Fatalf("nearby = %v, %v; want none at ~90 m", near, err)
	}
	if _, err := st.AddReportEvent(ctx, store.ReportEvent{ReportID: ids[0], Action: "create", ToStatus: "reported"}); err != nil {
		t.Fatal(err)
	}
	ev, err := st.ReportEvents(ctx, ids[0])
	if err != nil || len(ev) != 1 {
		t.Fatalf("events = %v, %v", ev, err)
	}
	p, createdP, err := st.AddPhoto(ctx, store.Photo{ReportID: ids[0], SHA256: "ab" + string(make([]byte, 0)) + "0000000000000000000000000000000000000000000000000000000000000000"[:62], ContentType: "image/jpeg", Bytes: 3, ExifPoint: &orb.Point{117, 36}})
	if err != nil || !createdP || p.ExifPoint == nil || p.ExifPoint[0] != 117 {
		t.Fatalf("photo = %+v, %v, %v", p, createdP, err)
	}
}

func TestReportLight(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	dl := t0.Add(10 * time.Hour)
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	resolved := at(9)
	cases := []struct {
		name    string
		r       store.Report
		now     time.Time
		want    string
		overdue bool
	}{
		{"just dispatched", store.Report{Status: "dispatched", DispatchedAt: &t0, Deadline: &dl}, at(0), "green", false},
		{"79% gone", store.Report{Status: "accepted", DispatchedAt: &t0, Deadline: &dl}, at(7.9), "green", false},
		{"80% gone", store.Report{Status: "accepted", DispatchedAt: &t0, Deadline: &dl}, at(8), "yellow", false},
		{"at the deadline", store.Report{Status: "rework", DispatchedAt: &t0, Deadline: &dl}, at(10), "yellow", false},
		{"past it", store.Report{Status: "dispatched", DispatchedAt: &t0, Deadline: &dl}, at(10.01), "red", true},
		{"resolved in time, judged when resolved", store.Report{Status: "closed", DispatchedAt: &t0, Deadline: &dl, ResolvedAt: &resolved}, at(100), "yellow", false},
		{"in the queue", store.Report{Status: "reported"}, at(100), "", false},
		{"voided", store.Report{Status: "voided", DispatchedAt: &t0, Deadline: &dl}, at(100), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.r.Light(c.now); got != c.want || c.r.Overdue(c.now) != c.overdue {
				t.Fatalf("light %q overdue %v, want %q %v", got, c.r.Overdue(c.now), c.want, c.overdue)
			}
		})
	}
}
