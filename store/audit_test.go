package store_test

import (
	"strconv"
	"testing"

	"everymeter/internal/testapp"
)

// TestReportWritesAreAudited files a report and moves it through the loop: each step lands in the audit log
// with its actor, beside the writes of every other entity.
func TestReportWritesAreAudited(t *testing.T) {
	a := testapp.New(t)
	res := a.Do("inspector", "POST", "/api/v1/reports", map[string]any{
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{114.3, 35.75}}, "category": "JMZX-01", "description": "占道经营",
	}).MustStatus(t, 201).JSON()
	id := int64(res["report"].(map[string]any)["id"].(float64))
	a.Do("admin", "POST", "/api/v1/reports/"+itoa(id)+"/transitions", map[string]any{"action": "void", "note": "测试作废"}).MustStatus(t, 200)
	rows, err := a.Store.Pool.Query(t.Context(), `SELECT actor, action, after->>'status' FROM audit_log WHERE entity = 'report' AND entity_id = $1 ORDER BY id`, itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var actor, action, status string
		if err := rows.Scan(&actor, &action, &status); err != nil {
			t.Fatal(err)
		}
		got = append(got, actor+" "+action+" "+status)
	}
	if len(got) < 2 || got[len(got)-1] != "admin1 report:void voided" || got[0][:len("inspector1 ")] != "inspector1 " {
		t.Fatalf("audit log of report %d: %q", id, got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
