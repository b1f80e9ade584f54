package service

import "everymeter/change"

// Subscribe registers fn to be told, once per committed unit of work, what it changed (kinds, ids and
// bounds); the server's wiring subscribes the caches of derived views, once. Every transaction on
// s.Store publishes — the service's writes, the report loop's, imports, the coverage engine's recomputes
// — and nothing is told of a transaction that rolled back.
func (s *Service) Subscribe(fn func(change.Event)) { s.events.Subscribe(fn) }

// Apply tells the subscribers of a change another server committed (its notice, see server.Follow), exactly
// as they are told of this server's own commits.
func (s *Service) Apply(ev change.Event) { s.events.Publish(ev) }
