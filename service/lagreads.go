package service

import (
	"context"

	"everymeter/domain"
	"everymeter/store"
)

// readsFor is st's replica reads (store.Reads) when ctx is marked lag-tolerant (domain.LagTolerant: exports),
// else st: the same data read on screen stays on the primary, which has the user's own writes.
func readsFor(ctx context.Context, st *store.Store) *store.Store {
	if domain.IsLagTolerant(ctx) {
		return st.Reads()
	}
	return st
}
