package coverage

import (
	"time"

	"github.com/paulmach/orb"

	"everymeter/service"
)

// Tile invalidation. The service tells its write hooks (the vector tile cache) the bounds of what a write
// changed after the commit. For a zone edit those are the zone's old and new bounds, but the pieces of a
// road that leaves the zone change beyond them (a gap piece starting inside the zone and running out).
// The engine cannot see the commit, so it remembers, per refresh, the bound of the assets whose results
// changed under the bounds that triggered it, and tells the hooks when the service announces one of
// those bounds (which it does only after the commit). An entry is kept for pendingTTL and may fire more
// than once: a refresh that commits later than another announcing the same bound is still told at its
// own commit, and an extra invalidation costs only a re-render.

// pendingTTL is how long a refresh's extra bound waits for its commit to be announced.
const pendingTTL = time.Minute

// maxPending bounds the remembered refreshes (the oldest go first).
const maxPending = 512

type pendingBound struct {
	triggers []orb.Bound
	extra    orb.Bound
	at       time.Time
}

// Attach connects the engine to the service's write hooks, so that refreshes tell them the bounds of
// assets whose coverage changed (see the comment above); the coverage routes call it when registered.
func (e *Engine) Attach(svc *service.Service) {
	e.mu.Lock()
	attached := e.notify != nil
	e.notify = svc.NotifyWrite
	e.mu.Unlock()
	if !attached {
		svc.OnWrite(e.afterWrite)
	}
}

// addPending remembers extra until one of triggers is announced, unless the triggers cover it already.
func (e *Engine) addPending(triggers []orb.Bound, extra orb.Bound) {
	for _, t := range triggers {
		if t.Contains(extra.Min) && t.Contains(extra.Max) {
			return
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.notify == nil {
		return
	}
	now := time.Now()
	e.pending = dropExpired(e.pending, now)
	if len(e.pending) >= maxPending {
		e.pending = e.pending[1:]
	}
	e.pending = append(e.pending, pendingBound{triggers: triggers, extra: extra, at: now})
}

func dropExpired(ps []pendingBound, now time.Time) []pendingBound {
	n := 0
	for _, p := range ps {
		if now.Sub(p.at) < pendingTTL {
			ps[n] = p
			n++
		}
	}
	return ps[:n]
}

// afterWrite is the engine's write hook: a committed write announced b, so the refreshes triggered by b
// are told to the hooks too.
func (e *Engine) afterWrite(b orb.Bound) {
	e.mu.Lock()
	notify := e.notify
	var extra []orb.Bound
	for _, p := range e.pending {
		if p.extra == b {
			e.mu.Unlock()
			return // our own announcement coming round again
		}
		for _, t := range p.triggers {
			if t == b {
				extra = append(extra, p.extra)
				break
			}
		}
	}
	e.mu.Unlock()
	for _, x := range extra {
		notify(x)
	}
}

// notifyNow tells the hooks b at once, for a refresh whose commit the engine made itself.
func (e *Engine) notifyNow(b *orb.Bound) {
	e.mu.Lock()
	notify := e.notify
	e.mu.Unlock()
	if notify != nil && b != nil {
		notify(*b)
	}
}
