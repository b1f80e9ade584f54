package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"everymeter/loadgen"
	"everymeter/store"
)

// cmdBenchLoad runs the load generator (issue 8 §5) against the full server, in this process on a real loopback
// listener, over a scratch database made beside the configured one with the demo town loaded, then reconciles
// the clients' logs with that database and prints the table. It fails when any answer was 5xx or missing, or
// the reconciliation found a lost, duplicated or unrecorded report.
func cmdBenchLoad(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	cfg := loadgen.Defaults()
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent HTTP clients")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long the clients start new requests")
	fs.Float64Var(&cfg.RetryRate, "retry", cfg.RetryRate, "share of filings sent twice with the same Idempotency-Key")
	fs.DurationVar(&cfg.Think, "think", cfg.Think, "each client pauses a random 0..think between requests (0: none)")
	reporters := fs.Int("reporters", 20, "inspector accounts the clients file reports as")
	pool := fs.Int("pool", 50, "database connections of the server (serve opens 50)")
	keep := fs.Bool("keep", false, "keep the scratch database (its name is printed) instead of dropping it")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Clients < 1 || cfg.Duration <= 0 || *reporters < 1 || *pool < 1 || cfg.RetryRate < 0 || cfg.RetryRate > 1 {
		return usageError{"--clients, --reporters and --pool must be at least 1, --duration positive, --retry within 0..1"}
	}
	db, err := openOwnerDB(ctx, app, dbf.data, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	url, done, err := scratchDatabase(ctx, app, db.URL, "everymeter_bench_load_", *keep)
	if err != nil {
		return err
	}
	defer done()
	st, err := store.Open(ctx, url, int32(*pool))
	if err != nil {
		return err
	}
	defer st.Close()
	photos, err := os.MkdirTemp("", "everymeter-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(photos)
	// The server logs slow requests at warning level, which 500 clients make by the thousand; errors (5xx with
	// their cause) still reach stderr.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	fmt.Fprintf(app.stdout, "loading the demo town and %d + one-per-unit accounts into the scratch database …\n", *reporters)
	srv, err := loadgen.StartDemo(ctx, st, photos, log, *reporters)
	if err != nil {
		return err
	}
	defer srv.Close() //nolint:errcheck // the run is over
	fmt.Fprintf(app.stdout, "%d clients for %v against %s …\n", cfg.Clients, cfg.Duration, srv.URL)
	rep, err := loadgen.Run(ctx, srv.Config(cfg))
	if err != nil {
		return err
	}
	if err := loadgen.Reconcile(ctx, st, &rep); err != nil {
		return err
	}
	rep.Server = fmt.Sprintf("the in-process server on a loopback listener (%s, pool %d)", srv.URL, *pool)
	fmt.Fprintln(app.stdout)
	rep.Print(app.stdout)
	return rep.OK()
}
