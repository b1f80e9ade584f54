package main_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"everymeter/internal/testapp"
)

// TestAuditLogIsAppendOnly is issue 19's third "done when": the server's database role gets a permission error
// on UPDATE and DELETE of audit rows; `everymeter audit verify` passes on an untouched log and names the first
// broken entry once a superuser has altered a row (and a removed entry too).
func TestAuditLogIsAppendOnly(t *testing.T) {
	a := testapp.New(t)
	ctx := t.Context()
	// Writes from many requests at once: each one's audit rows must still join a single chain.
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = a.Do("planner", "POST", "/api/v1/units", map[string]any{"code": fmt.Sprintf("C%d", i), "name": "并发单位", "kind": "team"}).Status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 201 {
			t.Fatalf("unit %d: %d", i, s)
		}
	}
	// A report's steps reach the audit log through report_events' trigger, which runs as the server's role too.
	a.Do("inspector", "POST", "/api/v1/reports", map[string]any{
		"geometry": map[string]any{"type": "Point", "coordinates": []float64{114.3, 35.75}}, "category": "JMZX-01", "description": "占道经营",
	}).MustStatus(t, 201)

	var role string
	if err := a.Store.Pool.QueryRow(ctx, `SELECT current_user`).Scan(&role); err != nil || role != "everymeter_app" {
		t.Fatalf("the server runs as %q (%v), want everymeter_app", role, err)
	}
	for _, sql := range []string{
		`UPDATE audit_log SET actor = 'someone else'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`UPDATE audit_chain SET seq = 0`,
	} {
		_, err := a.Store.Pool.Exec(ctx, sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s as the server's role: %v, want a permission error (42501)", sql, err)
		}
	}

	// An insert that brings its own place in the chain gets none: only the sealer numbers entries.
	if _, err := a.Store.Pool.Exec(ctx, `INSERT INTO audit_log (actor, action, entity, seq, prev_hash, hash)
		VALUES ('intruder', 'forged', 'x', 2, '\x00', '\x00')`); err != nil {
		t.Fatal(err)
	}
	bin := binary(t)
	env := []string{"DATABASE_URL=" + a.DBURL}
	super, err := pgx.Connect(ctx, a.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	var total int
	if err := super.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&total); err != nil || total < 16+5+1 {
		t.Fatalf("audit rows: %d, %v", total, err)
	}
	verify := func() (string, error) { return run(t, bin, env, "", "audit", "verify") }
	if out, err := verify(); err != nil || !strings.Contains(out, fmt.Sprintf("audit log intact: %d entries", total)) {
		t.Fatalf("verify on an untouched log: %v\n%s", err, out)
	}

	// A superuser rewrites one entry in the middle.
	var id, seq int64
	var after *string
	if err := super.QueryRow(ctx, `SELECT id, seq, after::text FROM audit_log ORDER BY seq OFFSET $1 LIMIT 1`, total/2).Scan(&id, &seq, &after); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, `UPDATE audit_log SET after = '{"forged": true}' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	out, err := verify()
	if err == nil || !strings.Contains(out, fmt.Sprintf("entry %d (seq %d)", id, seq)) {
		t.Fatalf("verify after entry %d (seq %d) was altered: %v\n%s", id, seq, err, out)
	}
	// Put back exactly as it was, the chain holds again: the hash covers the content, nothing else.
	if _, err := super.Exec(ctx, `UPDATE audit_log SET after = $2::jsonb WHERE id = $1`, id, after); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err != nil {
		t.Fatalf("verify after the entry was put back: %v\n%s", err, out)
	}
	// Removing an entry is found too, at the entry after the gap.
	var next int64
	if err := super.QueryRow(ctx, `SELECT id FROM audit_log WHERE seq = $1`, seq+1).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(ctx, `DELETE FROM audit_log WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err == nil || !strings.Contains(out, fmt.Sprintf("entry %d (seq %d)", next, seq+1)) || !strings.Contains(out, "removed") {
		t.Fatalf("verify after entry seq %d was removed: %v\n%s", seq, err, out)
	}
}
