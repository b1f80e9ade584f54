package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/mapmatch"
	"everymeter/store"
	"everymeter/track"
	"everymeter/vocab"
)

// Patrols is the patrol service: tracks in, matched to the network, and the coverage answers over them.
type Patrols struct {
	Store *store.Store
	Log   *slog.Logger
	// Now is the clock (tests may pin it); nil means time.Now.
	Now func() time.Time
	// Options are the matcher's parameters (mapmatch.DefaultOptions when zero).
	Options mapmatch.Options

	mu      sync.Mutex
	version string
	net     *mapmatch.Network
}

// NewPatrols wires the patrol service.
func NewPatrols(st *store.Store, log *slog.Logger) *Patrols {
	if log == nil {
		log = slog.Default()
	}
	return &Patrols{Store: st, Log: log, Options: mapmatch.DefaultOptions}
}

func (s *Patrols) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ErrNotPatroller refuses a track from a user whose role does not patrol.
var ErrNotPatroller = fmt.Errorf("%w: this user does not patrol", domain.ErrForbidden)

// linearKinds are the asset kinds patrols are matched to.
func linearKinds() []string { return vocab.Strings(vocab.LinearKinds) }

// network returns the matcher's network, rebuilt only when the linear assets changed.
func (s *Patrols) network(ctx context.Context) (*mapmatch.Network, error) {
	v, err := s.Store.NetworkVersion(ctx, linearKinds())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.net != nil && v == s.version {
		return s.net, nil
	}
	as, err := s.Store.NetworkAssets(ctx, linearKinds())
	if err != nil {
		return nil, err
	}
	in := make([]mapmatch.Asset, len(as))
	for i, a := range as {
		in[i] = mapmatch.Asset{ID: a.ID, Kind: a.Kind, Geom: a.Geom}
	}
	s.net, s.version = mapmatch.NewNetwork(in), v
	return s.net, nil
}

// ParseTrack reads a track by its content type: application/gpx+xml (or an .gpx's application/xml) or
// application/geo+json (or application/json).
func ParseTrack(contentType string, body []byte) (*track.Track, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/gpx+xml", "application/xml", "text/xml":
		return track.GPX(bytes.NewReader(body))
	case "application/geo+json", "application/json":
		return track.GeoJSON(bytes.NewReader(body))
	}
	return nil, invalid("Content-Type", "a track is sent as application/gpx+xml or application/geo+json, not %q", mt)
}

// Record parses, matches and stores a track. The walker is the principal, or — for admins only — the user
// named in.User. A retry under the same Idempotency-Key returns the earlier patrol with created false.
func (s *Patrols) Record(ctx context.Context, p domain.Principal, in domain.NewPatrol) (domain.Patrol, bool, error) {
	if !slices.Contains(vocab.PatrolRoles, vocab.Role(p.Role)) {
		return domain.Patrol{}, false, ErrNotPatroller
	}
	if utf8.RuneCountInString(in.IdempotencyKey) > 200 {
		return domain.Patrol{}, false, invalid("Idempotency-Key", "an Idempotency-Key has at most 200 characters")
	}
	walker := domain.User{ID: p.ID, Username: p.Name, Role: p.Role}
	if in.User != "" && in.User != p.Name {
		if vocab.Role(p.Role) != vocab.Admin {
			return domain.Patrol{}, false, fmt.Errorf("%w: only admins upload tracks for someone else", domain.ErrForbidden)
		}
		u, err := s.Store.UserByName(ctx, in.User)
		if errors.Is(err, store.ErrNotFound) {
			return domain.Patrol{}, false, invalid("user", "no user is called %q", in.User)
		}
		if err != nil {
			return domain.Patrol{}, false, err
		}
		if !slices.Contains(vocab.PatrolRoles, vocab.Role(u.Role)) {
			return domain.Patrol{}, false, invalid("user", "%s is a %s; only %v record patrols", u.Username, u.Role, vocab.PatrolRoles)
		}
		walker = u
	}
	tr, err := ParseTrack(in.ContentType, in.Body)
	if err != nil {
		return domain.Patrol{}, false, err
	}
	net, err := s.network(ctx)
	if err != nil {
		return domain.Patrol{}, false, err
	}
	opt := s.Options
	if opt.K == 0 {
		opt = mapmatch.DefaultOptions
	}
	res := net.Match(tr.Segments, opt)
	first, last := tr.Span()
	pt := domain.Patrol{UserID: walker.ID, Role: walker.Role, StartedAt: first, EndedAt: last, Points: res.Points,
		KeptPoints: res.Kept, MatchedM: res.MatchedM(), Format: tr.Format}
	assets := map[int64]bool{}
	pieces := make([]store.PatrolPiece, len(res.Pieces))
	for i, pc := range res.Pieces {
		assets[pc.AssetID] = true
		pieces[i] = store.PatrolPiece{AssetID: pc.AssetID, FromM: pc.From, ToM: pc.To, First: pc.First, Last: pc.Last}
	}
	pt.Assets = len(assets)
	segs := make([]store.PatrolSegment, len(tr.Segments))
	for i, sg := range tr.Segments {
		segs[i].Points = make([]orb.Point, len(sg))
		segs[i].Times = make([]time.Time, len(sg))
		for j, x := range sg {
			segs[i].Points[j], segs[i].Times[j] = x.P, x.T
		}
	}
	return s.Store.InsertPatrol(ctx, pt, p.ID, strings.TrimSpace(in.IdempotencyKey), segs, pieces)
}

// window checks a from/to window; the zero window is the last 30 days.
func (s *Patrols) window(f *domain.PatrolFilter) error {
	if f.To.IsZero() {
		f.To = s.now().Add(time.Minute)
	}
	if f.From.IsZero() {
		f.From = f.To.AddDate(0, 0, -30)
	}
	if !f.From.Before(f.To) {
		return invalid("from", "from must be before to")
	}
	if f.Kind != "" && !slices.Contains(linearKinds(), f.Kind) {
		return invalid("kind", "kind must be one of %v", linearKinds())
	}
	if f.Role != "" && f.Role != string(vocab.Inspector) && f.Role != string(vocab.Volunteer) {
		return invalid("role", "role must be inspector or volunteer")
	}
	return nil
}

// Coverage answers GET /api/v1/patrols/coverage: meters of network walked at least once in the window.
func (s *Patrols) Coverage(ctx context.Context, p domain.Principal, f domain.PatrolFilter) (domain.PatrolCoverage, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return domain.PatrolCoverage{}, err
	}
	if err := s.window(&f); err != nil {
		return domain.PatrolCoverage{}, err
	}
	kinds := linearKinds()
	if f.Kind != "" {
		kinds = []string{f.Kind}
	}
	return s.Store.PatrolCoverage(ctx, f, kinds)
}

// AssetPatrols answers GET /api/v1/assets/{id}/patrols.
func (s *Patrols) AssetPatrols(ctx context.Context, p domain.Principal, id int64, f domain.PatrolFilter) (domain.AssetPatrols, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return domain.AssetPatrols{}, err
	}
	if err := s.window(&f); err != nil {
		return domain.AssetPatrols{}, err
	}
	return s.Store.AssetPatrols(ctx, id, f.From, f.To)
}

// MaxStaleDays bounds GET /api/v1/patrols/stale?days=.
const MaxStaleDays = 3650

// Stale answers GET /api/v1/patrols/stale: stretches not walked in the last days days, as GeoJSON.
func (s *Patrols) Stale(ctx context.Context, p domain.Principal, days int, f domain.PatrolFilter, limit int) (json.RawMessage, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return nil, err
	}
	if days < 1 || days > MaxStaleDays {
		return nil, invalid("days", "days must be 1 to %d", MaxStaleDays)
	}
	if f.Kind != "" && !slices.Contains(linearKinds(), f.Kind) {
		return nil, invalid("kind", "kind must be one of %v", linearKinds())
	}
	kinds := linearKinds()
	if f.Kind != "" {
		kinds = []string{f.Kind}
	}
	now := s.now()
	return s.Store.StalePatrols(ctx, store.StaleFilter{Since: now.AddDate(0, 0, -days), Now: now, Kinds: kinds, UnitID: f.UnitID, Limit: limit})
}

// Track answers GET /api/v1/patrols/{id}/track: the raw points, to the walker and to whom the policy grants
// Tracks; anyone else is told the patrol does not exist.
func (s *Patrols) Track(ctx context.Context, p domain.Principal, id int64) (json.RawMessage, error) {
	sc, err := ScopeOf(p, Tracks)
	if err != nil {
		return nil, err
	}
	if sc == ScopeNone {
		return nil, domain.ErrNotFound
	}
	t, err := s.Store.PatrolTrack(ctx, id)
	if err != nil {
		return nil, err
	}
	if sc == ScopeOwn && t.UserID != p.ID {
		return nil, domain.ErrNotFound
	}
	return t.GeoJSON, nil
}

// Purge deletes the raw points of patrols that ended more than days days ago, keeping what was matched.
func (s *Patrols) Purge(ctx context.Context, days int) (int64, error) {
	if days < 1 {
		return 0, invalid("days", "the retention is at least 1 day")
	}
	return s.Store.PurgePatrolPoints(ctx, s.now().AddDate(0, 0, -days))
}

// readable refuses a read the policy denies outright.
func readable(p domain.Principal, r Resource) (View, error) {
	v, err := view(p, r)
	if err != nil {
		return v, err
	}
	if v.Denied {
		return v, domain.ErrForbidden
	}
	return v, nil
}

// KeepRetention purges raw points older than days days now and then every interval until ctx ends; days < 1
// keeps them for ever.
func (s *Patrols) KeepRetention(ctx context.Context, days int, every time.Duration) {
	if days < 1 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.Purge(ctx, days); err != nil && ctx.Err() == nil {
			s.Log.Warn("patrol retention", "err", err)
		} else if n > 0 {
			s.Log.Info("patrol retention: raw points deleted", "patrols", n, "days", days)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Layer answers GET /api/v1/patrols/layer: every stretch in bbox with the days since its last visit, for the
// leaders' map.
func (s *Patrols) Layer(ctx context.Context, p domain.Principal, bbox *orb.Bound, f domain.PatrolFilter, limit int) (json.RawMessage, error) {
	if _, err := readable(p, PatrolAggregates); err != nil {
		return nil, err
	}
	if f.Kind != "" && !slices.Contains(linearKinds(), f.Kind) {
		return nil, invalid("kind", "kind must be one of %v", linearKinds())
	}
	kinds := linearKinds()
	if f.Kind != "" {
		kinds = []string{f.Kind}
	}
	return s.Store.PatrolLayer(ctx, bbox, kinds, f.Role, s.now(), limit)
}
