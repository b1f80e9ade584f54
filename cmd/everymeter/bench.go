package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"everymeter/bench"
	"everymeter/store"
)

// cmdBench runs a benchmark against a scratch database made beside the configured one (and dropped afterwards),
// so the million generated reports never mix with real data.
func cmdBench(ctx context.Context, app *cli, args []string) error {
	switch {
	case len(args) > 0 && args[0] == "load":
		return cmdBenchLoad(ctx, app, args[1:])
	case len(args) > 0 && args[0] == "province":
		return cmdBenchProvince(ctx, app, args[1:])
	case len(args) == 0 || args[0] != "reports":
		return usageError{"usage: everymeter bench reports [--stored N] [--clients N] [--rate R] [--duration 20s] [--keep | --scratch NAME]\n" +
			"       everymeter bench load [--clients 500] [--duration 60s] [--retry 0.3] [--think 0s] [--keep]\n" +
			"       everymeter bench province [--osm FILE.osm.pbf] [--segments 1000000] [--keep]"}
	}
	fs := flag.NewFlagSet("bench reports", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	cfg := bench.Defaults()
	fs.IntVar(&cfg.Stored, "stored", cfg.Stored, "reports stored before the run")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent HTTP clients of the closed-loop phase")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "reports/s offered in the paced phase that follows (0: none)")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long the clients send reports (after a 2 s warm-up)")
	fs.IntVar(&cfg.Lookups, "lookups", cfg.Lookups, "owner lookups timed alone")
	keep := fs.Bool("keep", false, "keep the scratch database (its name is printed) instead of dropping it")
	reuse := fs.String("scratch", "", "run again on a scratch database kept by --keep (everymeter_bench_…); it is kept")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if cfg.Clients < 1 || cfg.Stored < 0 || cfg.Duration <= 0 || cfg.Rate < 0 {
		return usageError{"--clients must be at least 1, --stored and --rate at least 0 and --duration positive"}
	}
	db, err := openOwnerDB(ctx, app, dbf.data, 4)
	if err != nil {
		return err
	}
	defer db.Close()

	var url string
	if name := *reuse; name != "" {
		if !strings.HasPrefix(name, "everymeter_bench_") {
			return usageError{"--scratch takes the name of a database made by everymeter bench --keep (everymeter_bench_…)"}
		}
		if url, err = bench.DatabaseURL(db.URL, name); err != nil {
			return err
		}
		if _, err := store.Migrate(ctx, url); err != nil {
			return fmt.Errorf("migrate the scratch database: %w", err)
		}
	} else {
		var done func()
		if url, done, err = scratchDatabase(ctx, app, db.URL, "everymeter_bench_", *keep); err != nil {
			return err
		}
		defer done()
	}
	// As many connections as the server gets in production (serve opens 50).
	st, err := store.Open(ctx, url, 50)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.Progress, cfg.Log = app.stdout, app.log
	res, err := bench.Reports(ctx, st, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(app.stdout)
	res.Print(app.stdout)
	return nil
}

// scratchDatabase creates and migrates a database named prefix+random beside the server's, for a benchmark
// that must not touch real data; done drops it again unless keep (then its name is printed).
func scratchDatabase(ctx context.Context, app *cli, serverURL, prefix string, keep bool) (url string, done func(), err error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	url, drop, err := bench.ScratchDatabase(ctx, serverURL, name)
	if err != nil {
		return "", nil, err
	}
	done = func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := drop(dctx); err != nil {
			app.log.Warn("could not drop the scratch database", "name", name, "err", err)
		}
	}
	if keep {
		fmt.Fprintf(app.stdout, "scratch database %s (kept)\n", name)
		done = func() {}
	}
	if _, err := store.Migrate(ctx, url); err != nil {
		done()
		return "", nil, fmt.Errorf("migrate the scratch database: %w", err)
	}
	return url, done, nil
}

// cmdBenchProvince builds a synthetic province (the shared real network replicated into about a hundred
// counties, at least a million segments) in a scratch database and measures it (see bench.Province).
func cmdBenchProvince(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("bench province", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	cfg := bench.ProvinceDefaults()
	shared := envOr("EVERYMETER_SHARED", "../shared")
	fs.StringVar(&cfg.OSM, "osm", filepath.Join(shared, "data/osm/liechtenstein-2015-07-27.osm.pbf"), "the county network to replicate (.osm.pbf)")
	fs.IntVar(&cfg.Segments, "segments", cfg.Segments, "at least this many road and alley segments")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent owner lookups")
	fs.IntVar(&cfg.NaiveEvery, "naive-every", cfg.NaiveEvery, "run the naive SQL on one line in this many and extrapolate")
	keep := fs.Bool("keep", false, "keep the scratch database (its name is printed) instead of dropping it")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Segments < 1 || cfg.Clients < 1 || cfg.NaiveEvery < 1 {
		return usageError{"--segments, --clients and --naive-every must be at least 1"}
	}
	db, err := openOwnerDB(ctx, app, dbf.data, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	url, done, err := scratchDatabase(ctx, app, db.URL, "everymeter_province_", *keep)
	if err != nil {
		return err
	}
	defer done()
	if cfg.Bin, err = os.Executable(); err != nil {
		return err
	}
	st, err := store.Open(ctx, url, 50)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.URL, cfg.Progress, cfg.Log = url, app.stdout, app.log
	res, err := bench.Province(ctx, st, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(app.stdout)
	res.Print(app.stdout)
	return nil
}
