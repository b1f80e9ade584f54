package coverage

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"everymeter/store"
)

// Stored coverage reflects validity at the time of the write that refreshed it. A zone or assignment
// with a future valid_from or valid_to changes ownership later without any write, so something must
// refresh the assets it touches when that moment passes: RefreshDue does it for one window, and Watch
// runs it every interval (the delay is then at most one interval). `everymeter coverage --full` catches
// up everything at once.

// RefreshDue recomputes, in one transaction, the assets touched by zones and assignments whose validity
// began or ended in (since, now], and returns the database time it ran at (the next call's since). After
// the commit the write hooks (tile caches) are told the bounds of the assets whose coverage changed.
func (e *Engine) RefreshDue(ctx context.Context, st *store.Store, since time.Time) (time.Time, error) {
	var now time.Time
	var changed []*orb.Bound
	err := st.WithTx(ctx, func(tx *store.Store) error {
		changed = changed[:0]
		var err error
		if now, err = tx.Now(ctx); err != nil {
			return err
		}
		geoms, ids, err := tx.ValidityChanges(ctx, since)
		if err != nil {
			return err
		}
		if len(geoms) > 0 {
			b, err := e.refreshTouching(ctx, tx, geoms...)
			if err != nil {
				return err
			}
			changed = append(changed, b)
		}
		if len(ids) > 0 {
			b, err := e.refresh(ctx, tx, store.RefreshSelection{IDs: ids}, false)
			if err != nil {
				return err
			}
			changed = append(changed, b)
		}
		return nil
	})
	if err == nil {
		for _, b := range changed {
			e.notifyNow(b)
		}
	}
	return now, err
}

// Watch calls RefreshDue every interval until ctx ends, starting from the current time; the server runs
// it so that scheduled validity changes show within one interval. Errors are logged and retried.
func (e *Engine) Watch(ctx context.Context, st *store.Store, interval time.Duration) {
	since, err := st.Now(ctx)
	if err != nil {
		since = time.Now()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			next, err := e.RefreshDue(ctx, st, since)
			if err != nil {
				if ctx.Err() == nil {
					e.Log.Warn("coverage: refreshing scheduled validity changes", "err", err)
				}
				continue
			}
			since = next
		}
	}
}
