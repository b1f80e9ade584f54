package server

import (
	"testing"
	"time"
)

// TestGapsTellsLateFromLost: change numbers may arrive out of order (taken before commit), which is not a
// gap; a number still missing after the grace is.
func TestGapsTellsLateFromLost(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cases := []struct {
		name     string
		seqs     []int64
		after    time.Duration
		lost     bool
		wantLast int64
	}{
		{"in order", []int64{11, 12, 13}, 10 * time.Second, false, 13},
		{"swapped within the grace", []int64{12, 11, 13}, 10 * time.Second, false, 13},
		{"old numbers change nothing", []int64{9, 10, 11}, 10 * time.Second, false, 11},
		{"missing, still within the grace", []int64{11, 13}, gapGrace / 2, false, 11},
		{"missing past the grace", []int64{11, 13, 14}, gapGrace, true, 11},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := gaps{last: 10}
			for _, s := range c.seqs {
				g.see(s, t0)
			}
			if got := g.lost(t0.Add(c.after)); got != c.lost {
				t.Fatalf("lost = %v, want %v (gaps %+v)", got, c.lost, g)
			}
			if g.last != c.wantLast {
				t.Fatalf("last = %d, want %d", g.last, c.wantLast)
			}
			if c.lost {
				g.skip()
				if g.last != c.seqs[len(c.seqs)-1] || g.lost(t0.Add(time.Hour)) {
					t.Fatalf("after skip: %+v", g)
				}
			}
		})
	}
}
