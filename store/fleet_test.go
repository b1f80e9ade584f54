package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/internal/testdb"
	"everymeter/store"
)

// TestNotices: a committed unit of work reaches a listener as one numbered notice naming what it changed; a
// rolled-back one sends nothing; one too large to describe sends a resync; every notice fits NOTIFY's limit.
func TestNotices(t *testing.T) {
	st, url := testdb.New(t)
	ctx := t.Context()
	feed, start, err := store.ListenChanges(ctx, url, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	ns := st.Notifying("srv-1")
	next := func() (store.Notice, error) {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return feed.Next(wctx)
	}

	if err := ns.WithTx(ctx, func(tx *store.Store) error {
		tx.Changed(change.Unit, 7, orb.Point{117, 36})
		tx.Changed(change.Zone, 3, orb.Bound{Min: orb.Point{117, 36}, Max: orb.Point{117.1, 36.1}})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n, err := next()
	if err != nil {
		t.Fatal(err)
	}
	if n.Origin != "srv-1" || n.Seq != start+1 || n.Resync {
		t.Fatalf("notice %+v, want origin srv-1, seq %d", n, start+1)
	}
	if u, z := n.Event().Of(change.Unit), n.Event().Of(change.Zone); u == nil || len(u.IDs) != 1 || u.IDs[0] != 7 || z == nil || z.IDs[0] != 3 ||
		z.Bounds[0] != (change.Bound{117, 36, 117.1, 36.1}) {
		t.Fatalf("notice changes %+v", n.Changes)
	}

	// Rolled back: nothing arrives, and the next commit's notice is the next one heard.
	boom := errors.New("boom")
	if err := ns.WithTx(ctx, func(tx *store.Store) error {
		tx.Changed(change.Unit, 8)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// Too large: many kinds, each with as many ids and bounds as an event keeps.
	if err := ns.WithTx(ctx, func(tx *store.Store) error {
		for _, k := range []change.Kind{change.Asset, change.Zone, change.Assignment, change.Coverage, change.Report} {
			for i := range change.MaxBounds {
				x := 100 + float64(i)*0.123456789
				tx.Changed(k, int64(1000000+i), orb.Bound{Min: orb.Point{x, 30.123456789}, Max: orb.Point{x + 0.0101010101, 30.2}})
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n, err = next()
	if err != nil {
		t.Fatal(err)
	}
	if !n.Resync || n.Seq <= start+1 || len(n.Changes) != 0 {
		t.Fatalf("after a rollback and a large change, notice %+v, want a resync numbered above %d", n, start+1)
	}
	// A store that does not notify sends nothing.
	if err := st.WithTx(ctx, func(tx *store.Store) error { tx.Changed(change.Unit, 9); return nil }); err != nil {
		t.Fatal(err)
	}
	if n, err := next(); err == nil {
		t.Fatalf("a store without Notifying sent %+v", n)
	}
}

// TestLeaderLock: one holder at a time; the lock passes on when the holder's connection goes.
func TestLeaderLock(t *testing.T) {
	st, url := testdb.New(t)
	ctx := t.Context()
	a, err := store.TryLeader(ctx, url, "everymeter-jobs a")
	if err != nil || a == nil {
		t.Fatalf("first taker: %v %v", a, err)
	}
	if b, err := store.TryLeader(ctx, url, "everymeter-jobs b"); err != nil || b != nil {
		t.Fatalf("second taker while the first holds: %v %v", b, err)
	}
	if l, err := st.FleetLeaders(ctx); err != nil || len(l) != 1 || l[0] != "everymeter-jobs a" {
		t.Fatalf("holders %v %v", l, err)
	}
	a.Release()
	b, err := store.TryLeader(ctx, url, "everymeter-jobs b")
	if err != nil || b == nil {
		t.Fatalf("taker after release: %v %v", b, err)
	}
	defer b.Release()
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
