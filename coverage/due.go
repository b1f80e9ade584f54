package coverage

import (
	"context"
	"time"

	"everymeter/store"
)

// Stored coverage reflects validity at the time of the write that refreshed it. A zone or assignment
// with a future valid_from or valid_to changes ownership later without any write, so something must
// refresh the assets it touches when that moment passes: RefreshDue does it for one window, and Watch
// runs it every interval (the delay is then at most one interval). `everymeter coverage --full` catches
// up everything at once.

// RefreshDue recomputes, in one transaction, the assets touched by zones and assignments whose validity
// began or ended in (since, now], and returns the database time it ran at (the next call's since). The
// assets whose coverage changed are published after the commit, like any write's (see refresh).
func (e *Engine) RefreshDue(ctx context.Context, st *store.Store, since time.Time) (time.Time, error) {
	var now time.Time
	err := st.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if now, err = tx.Now(ctx); err != nil {
			return err
		}
		geoms, ids, err := tx.ValidityChanges(ctx, since)
		if err != nil {
			return err
		}
		if len(geoms) > 0 {
			if err := e.RefreshTouching(ctx, tx, geoms...); err != nil {
				return err
			}
		}
		if len(ids) > 0 {
			return e.refresh(ctx, tx, store.RefreshSelection{IDs: ids}, false)
		}
		return nil
	})
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
