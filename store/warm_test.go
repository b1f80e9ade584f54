package store_test

import (
	"testing"

	"everymeter/internal/testdb"
)

// TestWarmOpensConnections: after Warm(n) the pool holds n idle connections, so the next n concurrent requests
// find one ready instead of each opening its own.
func TestWarmOpensConnections(t *testing.T) {
	st, _ := testdb.New(t)
	st.Pool.Reset() // the connections testdb used to set up go; Warm must make its own
	if err := st.Warm(t.Context(), 6); err != nil {
		t.Fatal(err)
	}
	if s := st.Pool.Stat(); s.IdleConns() < 6 || s.TotalConns() < 6 {
		t.Fatalf("after Warm(6): %d connections, %d idle; want 6 ready", s.TotalConns(), s.IdleConns())
	}
}
