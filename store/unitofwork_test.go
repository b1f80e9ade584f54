package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/internal/testdb"
	"everymeter/store"
)

// publisher records what it is told and, at each event, whether the units it names are in the database
// as the pool sees them, that is, committed.
type publisher struct {
	ctx    context.Context
	st     *store.Store
	events []change.Event
	found  [][]bool
}

func (p *publisher) Publish(ev change.Event) {
	var found []bool
	if c := ev.Of(change.Unit); c != nil {
		for _, id := range c.IDs {
			_, err := p.st.Unit(p.ctx, id)
			found = append(found, err == nil)
		}
	}
	p.events = append(p.events, ev)
	p.found = append(p.found, found)
}

// A transaction publishes what it recorded once, after its commit, nested transactions included; a
// rolled-back one publishes nothing; a write outside a transaction publishes at once.
func TestUnitOfWorkPublishesOnceAfterCommit(t *testing.T) {
	base, _ := testdb.New(t)
	ctx := t.Context()
	pub := &publisher{ctx: ctx, st: base}
	st := base.Publishing(pub)
	here := orb.Bound{Min: orb.Point{116, 40}, Max: orb.Point{116.01, 40.01}}

	var ids []int64
	err := st.WithTx(ctx, func(tx *store.Store) error {
		for _, code := range []string{"UOW1", "UOW2"} {
			// The nested call joins the outer transaction and adds to its changes.
			if err := tx.WithTx(ctx, func(tx *store.Store) error {
				u, err := tx.CreateUnit(ctx, store.Unit{Code: code, Name: code, Kind: "team"})
				tx.Changed(change.Unit, u.ID)
				ids = append(ids, u.ID)
				return err
			}); err != nil {
				return err
			}
		}
		tx.Changed(change.Asset, 7, here, nil)
		if len(pub.events) != 0 {
			t.Errorf("published before the commit: %+v", pub.events)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.events) != 1 {
		t.Fatalf("published %d events, want 1: %+v", len(pub.events), pub.events)
	}
	ev := pub.events[0]
	if c := ev.Of(change.Unit); c == nil || !slices.Equal(c.IDs, ids) {
		t.Errorf("unit change %+v, want ids %v", c, ids)
	}
	if c := ev.Of(change.Asset); c == nil || !slices.Equal(c.IDs, []int64{7}) || len(c.Bounds) != 1 || c.Bounds[0].Orb() != here {
		t.Errorf("asset change %+v, want asset 7 at %v", c, here)
	}
	if !slices.Equal(pub.found[0], []bool{true, true}) {
		t.Errorf("when published, the units were committed: %v (want both)", pub.found[0])
	}

	boom := errors.New("boom")
	err = st.WithTx(ctx, func(tx *store.Store) error {
		u, err := tx.CreateUnit(ctx, store.Unit{Code: "UOW3", Name: "UOW3", Kind: "team"})
		if err != nil {
			return err
		}
		tx.Changed(change.Unit, u.ID)
		return boom
	})
	if !errors.Is(err, boom) || len(pub.events) != 1 {
		t.Fatalf("rolled back (%v): published %d events in all, want still 1", err, len(pub.events))
	}

	st.Changed(change.Report, 9, orb.Point{116, 40})
	if len(pub.events) != 2 || pub.events[1].Of(change.Report) == nil {
		t.Fatalf("outside a transaction the change is published at once; got %+v", pub.events)
	}
	base.Changed(change.Report, 9) // a store nobody listens to publishes nowhere
	if len(pub.events) != 2 {
		t.Fatalf("the store without a publisher published: %+v", pub.events)
	}
}
