package server

import (
	"context"
	"time"

	"everymeter/store"
)

// Follow keeps this server's derived views exact while other servers of the fleet write to the same primary:
// it listens (on its own connection to primaryURL) for the notices every server's transactions send, applies
// the other servers' changes the way its own are applied (Service.Apply: the tile cache forgets, the replica
// fence is raised), and resynchronises — forgets everything derived — whenever it may have missed one: when
// the sequence jumps, on a resync notice, and after every (re)connection. It runs until ctx ends, reconnecting.
func (s *Server) Follow(ctx context.Context, primaryURL, name string) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		feed, seq, err := store.ListenChanges(ctx, primaryURL, "everymeter-listen "+name)
		if err != nil {
			s.log.Warn("fleet: cannot listen for changes, retrying", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		// Whatever committed while we were not listening is unknown: start from the database.
		s.Resync("listening from seq", seq)
		// Owner lookups from memory, kept exact by this server's commits and the notices now heard. Started
		// here, once, rather than before listening: a load begun earlier would be discarded by the resync just
		// above (it could have missed a commit) and read a second time. Later calls do nothing.
		s.Engine.IndexOwners(ctx, s.Svc.Store)
		err = s.follow(ctx, feed, seq, name)
		feed.Close()
		if ctx.Err() == nil {
			s.log.Warn("fleet: change feed lost, reconnecting", "err", err)
		}
	}
}

// gapGrace is how long a missing change number may stay missing before it counts as lost: numbers are taken
// just before commit, so two transactions committing together may deliver theirs in either order.
const gapGrace = 2 * time.Second

// follow applies notices from feed until it fails; last is the change number already accounted for (every
// number up to it has arrived or is covered by the resync that began listening).
func (s *Server) follow(ctx context.Context, feed *store.ChangeFeed, last int64, name string) error {
	var g gaps
	g.last = last
	for {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if !g.since.IsZero() {
			wctx, cancel = context.WithDeadline(ctx, g.since.Add(gapGrace))
		}
		n, err := feed.Next(wctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && wctx.Err() != nil:
			// The grace ran out with a number still missing: a change we will never hear of.
		case err != nil:
			return err
		case n.Resync:
			s.Resync("resync notice", n.Seq)
		case n.Origin != name:
			// Applied even when numbered below last: a number taken before we listened may commit after.
			s.Svc.Apply(n.Event())
		}
		if err == nil {
			g.see(n.Seq, time.Now())
		}
		if g.lost(time.Now()) {
			s.Resync("missing change number", g.last+1)
			g.skip()
		}
	}
}

// gaps tracks which change numbers have arrived: all up to last, and some above it (since the first of those
// arrived, a number below it has been missing).
type gaps struct {
	last  int64
	above map[int64]bool
	since time.Time
}

func (g *gaps) see(seq int64, now time.Time) {
	switch {
	case seq <= g.last:
		return
	case seq > g.last+1:
		if g.above == nil {
			g.above = map[int64]bool{}
		}
		g.above[seq] = true
		if g.since.IsZero() {
			g.since = now
		}
		return
	}
	g.last = seq
	for g.above[g.last+1] {
		delete(g.above, g.last+1)
		g.last++
	}
	if len(g.above) == 0 {
		g.since = time.Time{}
	}
}

// lost reports whether a number has been missing for longer than the grace.
func (g *gaps) lost(now time.Time) bool { return !g.since.IsZero() && now.Sub(g.since) >= gapGrace }

// skip accounts for everything seen so far (after a resync).
func (g *gaps) skip() {
	for seq := range g.above {
		g.last = max(g.last, seq)
	}
	g.above, g.since = nil, time.Time{}
}

// Resync forgets everything derived that a missed change could have made stale: every cached tile and the
// coverage engine's prepared geometries (which, keyed by row version, could not be wrong, only outlive
// their rows). Coverage results, owners and queues are read from the database and need nothing.
func (s *Server) Resync(why ...any) {
	s.log.Info("fleet: resynchronising from the database", why...)
	s.Tiles.Purge()
	s.Engine.Forget()
}

// Lead runs jobs (the coverage watch, the audit sealer: work that must run once across the fleet, not once
// per server) while this server holds the fleet's advisory lock on the primary, and keeps trying to take it
// while another server does; if the lock's connection is lost the jobs are stopped and the lock sought again.
func (s *Server) Lead(ctx context.Context, primaryURL, name string, jobs ...func(ctx context.Context)) {
	for ctx.Err() == nil {
		lock, err := store.TryLeader(ctx, primaryURL, "everymeter-jobs "+name)
		if err != nil || lock == nil {
			if err != nil {
				s.log.Warn("fleet: cannot reach the primary for the job lock", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			continue
		}
		s.log.Info("fleet: running the background jobs on this server")
		jctx, stop := context.WithCancel(ctx)
		done := make(chan struct{}, len(jobs))
		for _, job := range jobs {
			go func() { job(jctx); done <- struct{}{} }()
		}
		for jctx.Err() == nil {
			select {
			case <-jctx.Done():
			case <-time.After(2 * time.Second):
				if err := lock.Check(jctx); err != nil && jctx.Err() == nil {
					s.log.Warn("fleet: job lock lost, stopping the jobs", "err", err)
					stop()
				}
			}
		}
		stop()
		for range jobs {
			<-done
		}
		lock.Release()
	}
}
