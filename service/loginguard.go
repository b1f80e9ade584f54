package service

import (
	"fmt"
	"sync"
	"time"

	"everymeter/domain"
)

// Login throttling: after MaxFailures wrong passwords for one username within LockWindow, that username is
// locked for LockDuration (whatever password is sent); and one client address may try at most
// MaxAttemptsPerMinute sign-ins a minute. Both answer with how long to wait.
const (
	MaxFailures          = 5
	LockWindow           = 15 * time.Minute
	LockDuration         = 15 * time.Minute
	MaxAttemptsPerMinute = 30
)

// LockedError is domain.LockedError (the definition moved to package domain).
type LockedError = domain.LockedError

// loginGuard remembers recent failures per username and attempts per client address, in memory (a restart
// forgets them, which errs on the side of letting people in).
type loginGuard struct {
	mu       sync.Mutex
	failures map[string][]time.Time // username → failure times within LockWindow
	locked   map[string]time.Time   // username → locked until
	attempts map[string][]time.Time // client address → attempt times within a minute
	now      func() time.Time
}

func newLoginGuard() *loginGuard {
	return &loginGuard{failures: map[string][]time.Time{}, locked: map[string]time.Time{}, attempts: map[string][]time.Time{}, now: time.Now}
}

func prune(ts []time.Time, after time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(after) {
		i++
	}
	return ts[i:]
}

// admit records an attempt and refuses it if the address or the username is throttled.
func (g *loginGuard) admit(username, addr string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if len(g.attempts) > 100000 { // bound the memory a flood of addresses can take
		g.attempts = map[string][]time.Time{}
	}
	at := append(prune(g.attempts[addr], now.Add(-time.Minute)), now)
	g.attempts[addr] = at
	if len(at) > MaxAttemptsPerMinute {
		return &LockedError{Until: at[len(at)-MaxAttemptsPerMinute].Add(time.Minute), Reason: "too many sign-in attempts from this address"}
	}
	if until, ok := g.locked[username]; ok {
		if now.Before(until) {
			return &LockedError{Until: until, Reason: fmt.Sprintf("the account is locked after %d wrong passwords", MaxFailures)}
		}
		delete(g.locked, username)
	}
	return nil
}

// fail records a wrong password and locks the username when it has too many.
func (g *loginGuard) fail(username string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if len(g.failures) > 100000 {
		g.failures = map[string][]time.Time{}
	}
	f := append(prune(g.failures[username], now.Add(-LockWindow)), now)
	g.failures[username] = f
	if len(f) >= MaxFailures {
		g.locked[username] = now.Add(LockDuration)
		delete(g.failures, username)
	}
}

// succeed clears a username's failures.
func (g *loginGuard) succeed(username string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.failures, username)
}
