package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"everymeter/demo"
	"everymeter/server"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// Server is the full everymeter server on a real loopback listener over a database holding the demo town, with
// fresh accounts for a load run. Its HTTP server is the one `everymeter serve` runs (echo's, with its timeouts).
type Server struct {
	URL       string
	Store     *store.Store
	Svc       *service.Service
	Reporters []string // tokens of the run's inspectors
	Staff     []string // a token of one staff member of every unit
	Roads     []orb.LineString
	Town      orb.Bound
	http      *http.Server
}

// StartDemo builds the server on st (a migrated database used for nothing else during the run), loads the demo
// town through the service (idempotent), makes `reporters` inspectors and one staff member per unit with random
// passwords, signs them in, and serves on 127.0.0.1 on a free port. Photos go under dataDir.
func StartDemo(ctx context.Context, st *store.Store, dataDir string, log *slog.Logger, reporters int) (*Server, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e, svc := server.Build(st, log, server.Options{DataDir: dataDir})
	if _, err := demo.Load(ctx, svc, io.Discard); err != nil {
		return nil, fmt.Errorf("loadgen: load the demo town: %w", err)
	}
	s := &Server{Store: st, Svc: svc}
	town := demo.Generate()
	s.Town = town.Bound()
	for _, a := range town.Assets {
		if l, ok := a.Geom.(orb.LineString); ok && slices.Contains(vocab.LinearKinds, a.Kind) {
			s.Roads = append(s.Roads, l)
		}
	}
	if err := s.accounts(ctx, reporters); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.http = e.Server
	s.URL = "http://" + ln.Addr().String()
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("loadgen: serve", "err", err)
		}
	}()
	return s, nil
}

// accounts makes and signs in the run's users. Their names carry a random run id, so a database can take
// several runs.
func (s *Server) accounts(ctx context.Context, reporters int) error {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	run := hex.EncodeToString(b)
	pb := make([]byte, 16)
	_, _ = rand.Read(pb)
	pw := "load-" + hex.EncodeToString(pb)
	n := 0
	signIn := func(name string, role vocab.Role, unit string) (string, error) {
		if _, err := s.Svc.AddUser(ctx, name, string(role), unit, pw); err != nil {
			return "", fmt.Errorf("loadgen: add user %s: %w", name, err)
		}
		// Sign-ins are throttled per client address (30 a minute); these come from setup, not from the network,
		// so each gets its own pseudo-address rather than waiting out the throttle.
		n++
		tok, _, err := s.Svc.Login(ctx, name, pw, fmt.Sprintf("loadgen-setup-%d", n))
		if err != nil {
			return "", fmt.Errorf("loadgen: sign in %s: %w", name, err)
		}
		return tok, nil
	}
	for i := 0; i < reporters; i++ {
		tok, err := signIn(fmt.Sprintf("load-%s-inspector-%d", run, i), vocab.Inspector, "")
		if err != nil {
			return err
		}
		s.Reporters = append(s.Reporters, tok)
	}
	units, err := s.Store.Units(ctx)
	if err != nil {
		return err
	}
	for _, u := range units {
		tok, err := signIn(fmt.Sprintf("load-%s-staff-%d", run, u.ID), vocab.UnitStaff, u.Code)
		if err != nil {
			return err
		}
		s.Staff = append(s.Staff, tok)
	}
	return nil
}

// Config returns base aimed at this server with its accounts and the demo town's roads.
func (s *Server) Config(base Config) Config {
	base.BaseURL, base.Reporters, base.Staff, base.Roads, base.Town = s.URL, s.Reporters, s.Staff, s.Roads, s.Town
	return base
}

// Close stops serving, waiting up to 20 s for requests in flight (as serve does).
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return s.http.Shutdown(ctx)
}
