package service

import (
	"sync"

	"github.com/paulmach/orb"
)

// WriteHook is told the lon/lat bound of every committed write of mapped data (assets, zones,
// assignments, reports), for caches of derived views such as vector tiles.
type WriteHook func(b orb.Bound)

// hookSet holds the registered write hooks.
type hookSet struct {
	mu  sync.RWMutex
	fns []WriteHook
}

// OnWrite registers a hook called after each committed write with the bound of what changed.
func (s *Service) OnWrite(h WriteHook) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.fns = append(s.hooks.fns, h)
}

// notify tells every hook that data within the given bounds changed; call it after the transaction
// commits (a hook that ran before the commit could let a reader cache the old state again).
func (s *Service) notify(bounds ...orb.Bound) {
	s.hooks.mu.RLock()
	fns := s.hooks.fns
	s.hooks.mu.RUnlock()
	for _, b := range bounds {
		for _, h := range fns {
			h(b)
		}
	}
}

// NotifyWrite tells the write hooks that data within b changed outside the service's own writes
// (imports, the coverage engine's full recompute).
func (s *Service) NotifyWrite(b orb.Bound) { s.notify(b) }

// notifyAfter calls the write hooks with the bounds of geoms when err is nil (the write committed).
func (s *Service) notifyAfter(err error, geoms ...orb.Geometry) error {
	if err != nil {
		return err
	}
	for _, g := range geoms {
		if g != nil {
			s.notify(g.Bound())
		}
	}
	return nil
}
