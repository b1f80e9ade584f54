package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/internal/testdb"
	"everymeter/store"
)

// heatOracle counts reports per cell straight from the reports table, independently of the trigger's SQL.
func heatOracle(t *testing.T, st *store.Store, level int, cond string) map[[2]int]int64 {
	t.Helper()
	size := 1 << level
	rows, err := st.Pool.Query(context.Background(), fmt.Sprintf(`SELECT floor(ST_X(ST_Transform(geom, 3857)) / %d)::int,
		floor(ST_Y(ST_Transform(geom, 3857)) / %d)::int, count(*) FROM reports WHERE %s GROUP BY 1, 2`, size, size, cond))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[2]int]int64{}
	for rows.Next() {
		var x, y int
		var n int64
		if err := rows.Scan(&x, &y, &n); err != nil {
			t.Fatal(err)
		}
		out[[2]int{x, y}] = n
	}
	return out
}

func cellMap(cs []store.HeatCell) map[[2]int]int64 {
	out := map[[2]int]int64{}
	for _, c := range cs {
		out[[2]int{c.CX, c.CY}] = c.Count
	}
	return out
}

func sameCells(t *testing.T, what string, got, want map[[2]int]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d cells, oracle %d", what, len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: cell %v = %d, oracle %d", what, k, got[k], v)
		}
	}
}

// TestHeatTriggerKeepsCells writes, updates and deletes reports in single and bulk statements and checks the
// pre-aggregated cells against a GROUP BY on the raw table after each step, at every level.
func TestHeatTriggerKeepsCells(t *testing.T) {
	st, _ := testdb.New(t)
	ctx := t.Context()
	unit, err := st.UpsertUnit(ctx, store.Unit{Code: "U1", Name: "一号单位", Kind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var ids []int64
	for i := range 40 {
		r := store.Report{CategoryCode: []string{"SRHJ-01", "SRHJ-05", "BJ-02"}[i%3], Status: "reported",
			Geom: orb.Point{117.0 + float64(i)*0.003, 36.0 + float64(i%7)*0.002}, CreatedAt: base.Add(time.Duration(i) * 7 * time.Hour)}
		if i%2 == 0 {
			r.Status, r.UnitID = "dispatched", &unit.ID
		}
		got, _, err := st.CreateReport(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.ID)
	}
	check := func(step string) {
		t.Helper()
		for _, lv := range store.HeatLevels {
			for _, c := range []struct {
				name, cond string
				q          store.HeatQuery
			}{
				{"all", "true", store.HeatQuery{}},
				{"outstanding", "status NOT IN ('closed', 'voided', 'duplicate')", store.HeatQuery{Statuses: []string{"reported", "dispatched", "accepted", "resolved", "rework", "returned"}}},
				{"unit", fmt.Sprintf("unit_id = %d", unit.ID), store.HeatQuery{UnitID: &unit.ID}},
				{"queue", "unit_id IS NULL", store.HeatQuery{UnitID: new(int64)}},
				{"category", "category_code = 'BJ-02'", store.HeatQuery{Categories: []string{"BJ-02"}}},
				{"days", "created_at >= '2024-03-03' AND created_at < '2024-03-08'", store.HeatQuery{Since: ptr(time.Date(2024, 3, 3, 0, 0, 0, 0, time.UTC)), Until: ptr(time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC))}},
			} {
				q := c.q
				q.Level, q.Now = lv, time.Now()
				got, err := st.HeatCells(ctx, q, false)
				if err != nil {
					t.Fatal(err)
				}
				sameCells(t, fmt.Sprintf("%s level %d %s", step, lv, c.name), cellMap(got), heatOracle(t, st, lv, c.cond))
			}
		}
	}
	check("insert")
	if _, err := st.Pool.Exec(ctx, `UPDATE reports SET status = 'closed', closed_at = created_at + interval '5 hours' WHERE id = ANY($1)`, ids[:10]); err != nil {
		t.Fatal(err)
	}
	check("close")
	if _, err := st.Pool.Exec(ctx, `UPDATE reports SET geom = ST_SetSRID(ST_MakePoint(ST_X(geom) + 0.05, ST_Y(geom)), 4326), unit_id = NULL,
		status = 'reported' WHERE id = ANY($1)`, ids[10:20]); err != nil {
		t.Fatal(err)
	}
	check("move")
	if _, err := st.Pool.Exec(ctx, `UPDATE reports SET description = 'only a note' WHERE true`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `DELETE FROM reports WHERE id = ANY($1)`, ids[30:]); err != nil {
		t.Fatal(err)
	}
	check("delete")
	if err := st.RebuildHeat(ctx); err != nil {
		t.Fatal(err)
	}
	check("rebuild")
	// The age weight: days open, from the sums kept by the trigger, against the raw rows.
	got, err := st.HeatCells(ctx, store.HeatQuery{Level: 13, Weight: "age", Now: base.Add(30 * 24 * time.Hour)}, false)
	if err != nil {
		t.Fatal(err)
	}
	var sum, want float64
	for _, c := range got {
		sum += c.Weight
	}
	if err := st.Pool.QueryRow(ctx, `SELECT sum(CASE WHEN status IN ('closed', 'voided', 'duplicate')
		THEN COALESCE(extract(epoch FROM closed_at - created_at), 0) ELSE extract(epoch FROM $1 - created_at) END) / 86400
		FROM reports`, base.Add(30*24*time.Hour)).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if d := sum - want; d > 1e-6 || d < -1e-6 {
		t.Errorf("age weight Σ = %v days, oracle %v", sum, want)
	}
}

func ptr[T any](v T) *T { return &v }
