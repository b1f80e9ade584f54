package service

import (
	"context"
	"net/netip"
	"time"

	"everymeter/domain"
	"everymeter/store"
)

// Sign-in throttling protects accounts without handing anyone a way to lock their owner out. Failed attempts
// (wrong passwords, unknown names and refused attempts alike) are counted under three keys, in the database so
// that every server over it sees the same counts:
//
//   - an (account, address) pair: after PairLimit failures that address may not try that account, for a delay
//     that doubles with every further failure up to MaxThrottleDelay;
//   - an address: after AddressLimit failures (whatever the accounts) the address may not sign in at all;
//   - an account: after AccountLimit failures from anywhere the account is slowed down — but only for
//     addresses that have failed DirtyAddressFailures times themselves. The owner signing in from an address
//     with (almost) no failures always gets in, so no outsider can turn the throttle into a lock-out.
//
// A count is forgotten ThrottleMemory after its last delay ends; a sign-in clears its own pair.
const (
	PairLimit            = 5
	AddressLimit         = 30
	AccountLimit         = 10
	DirtyAddressFailures = 3
	MaxThrottleDelay     = time.Hour
	ThrottleMemory       = 15 * time.Minute
)

// Throttle scopes, as stored.
const (
	ScopePair    = "account-address"
	ScopeAddress = "address"
	ScopeAccount = "account"
)

// throttleRule is the limit and first delay of one scope.
type throttleRule struct {
	limit int
	base  time.Duration
}

var throttleRules = map[string]throttleRule{
	ScopePair:    {PairLimit, 30 * time.Second},
	ScopeAddress: {AddressLimit, time.Minute},
	ScopeAccount: {AccountLimit, 30 * time.Second},
}

// delay is how long a key with n failures refuses: nothing below the limit, then base, doubling with each
// further failure up to MaxThrottleDelay.
func (r throttleRule) delay(n int) time.Duration {
	if n < r.limit {
		return 0
	}
	d := r.base
	for i := r.limit; i < n && d < MaxThrottleDelay; i++ {
		d *= 2
	}
	return min(d, MaxThrottleDelay)
}

// LockedError is domain.LockedError (the definition moved to package domain).
type LockedError = domain.LockedError

// throttleKeys are the three keys of one attempt.
type throttleKeys struct {
	username, addr    string
	pair, host, accnt string
}

// keysFor names the keys of an attempt. IPv6 addresses count by their /64, which one subscriber usually holds
// whole: otherwise a single client could rotate through more addresses than any limit.
func keysFor(username, addr string) throttleKeys {
	if ip, err := netip.ParseAddr(addr); err == nil {
		ip = ip.Unmap()
		if ip.Is6() {
			p, _ := ip.Prefix(64)
			addr = p.String()
		} else {
			addr = ip.String()
		}
	}
	return throttleKeys{username: username, addr: addr,
		pair: "pair:" + username + "@" + addr, host: "addr:" + addr, accnt: "account:" + username}
}

// admit refuses an attempt that a throttle holds back, saying until when.
func admit(ctx context.Context, tx *store.Store, k throttleKeys) error {
	rows, err := tx.ThrottlesByKey(ctx, []string{k.pair, k.host, k.accnt})
	if err != nil {
		return err
	}
	now := time.Now()
	byScope := map[string]store.Throttle{}
	for _, t := range rows {
		byScope[t.Scope] = t
	}
	blocked := func(scope string) (time.Time, bool) {
		t, ok := byScope[scope]
		if !ok || t.BlockedUntil == nil || !t.BlockedUntil.After(now) {
			return time.Time{}, false
		}
		return *t.BlockedUntil, true
	}
	if until, ok := blocked(ScopePair); ok {
		return &LockedError{Until: until, Reason: "too many failed sign-ins for this account from this address"}
	}
	if until, ok := blocked(ScopeAddress); ok {
		return &LockedError{Until: until, Reason: "too many failed sign-ins from this address"}
	}
	if until, ok := blocked(ScopeAccount); ok && byScope[ScopeAddress].Failures >= DirtyAddressFailures {
		return &LockedError{Until: until, Reason: "this account is slowed down after many failed sign-ins, and this address has failed too"}
	}
	return nil
}

// countFailure counts a failed attempt under all three keys, sets each key's delay, and adds one to the user's
// failed attempts since the last sign-in.
func countFailure(ctx context.Context, tx *store.Store, k throttleKeys) error {
	for _, key := range []struct{ key, scope, user, addr string }{
		{k.pair, ScopePair, k.username, k.addr},
		{k.host, ScopeAddress, "", k.addr},
		{k.accnt, ScopeAccount, k.username, ""},
	} {
		t, err := tx.BumpThrottle(ctx, key.key, key.scope, key.user, key.addr)
		if err != nil {
			return err
		}
		d := throttleRules[key.scope].delay(t.Failures)
		var until *time.Time
		if d > 0 {
			u := t.LastAt.Add(d)
			until = &u
		}
		if err := tx.SetThrottleLimits(ctx, t.ID, until, t.LastAt.Add(d+ThrottleMemory)); err != nil {
			return err
		}
	}
	return tx.CountFailedLogin(ctx, k.username)
}

// pruneThrottles deletes expired throttles every 200th failure, so a flood of made-up names does not grow the
// table for ever.
func (s *Service) pruneThrottles(ctx context.Context) {
	if s.throttleWrites.Add(1)%200 != 0 {
		return
	}
	if err := s.Store.PruneThrottles(ctx); err != nil {
		s.Log.Warn("pruning sign-in throttles", "err", err)
	}
}

// Throttles lists the sign-in throttles that are counting or refusing now (for admins).
func (s *Service) Throttles(ctx context.Context) ([]store.Throttle, error) {
	return s.Store.ActiveThrottles(ctx)
}

// ClearThrottle forgets one throttle (an admin letting someone in again), audited; store.ErrNotFound if there
// is none.
func (s *Service) ClearThrottle(ctx context.Context, actor store.Actor, id int64) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		t, err := tx.DeleteThrottle(ctx, id)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "throttle-cleared", "login_throttle", t.ID, t, nil)
	})
}
