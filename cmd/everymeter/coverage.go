package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"everymeter/coverage"
	"everymeter/service"
)

// cmdCoverage runs `everymeter coverage --full`: recompute every asset's coverage in one transaction, so
// that Ctrl-C (the context is cancelled) rolls back and leaves the previous results in place.
func cmdCoverage(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	full := fs.Bool("full", false, "recompute the coverage of every asset")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if !*full {
		return usageError{"coverage: say --full to recompute everything (writes keep coverage current on their own)"}
	}
	db, err := openDB(ctx, app, dbf.data, false, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if *quiet {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(app.stdout), progressbar.OptionSetDescription("coverage"),
				progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond))
		}
		_ = bar.Set(done)
	}
	// Through a service's store, so that what the recompute changed is published like any write's (no
	// subscriber listens in this process yet; a server learns of it once commits travel between processes).
	eng := coverage.New(app.log)
	st, err := eng.Full(ctx, service.New(notifying(db.Store), eng, app.log).Store, progress)
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(app.stdout)
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("coverage: interrupted; the previous results are unchanged")
		}
		return fmt.Errorf("coverage: %w", err)
	}
	fmt.Fprintf(app.stdout, "coverage: %d linear assets, %d pieces, %d support stretches in %s; %d assets' results changed\n",
		st.Assets, st.Pieces, st.Support, st.Took.Round(time.Millisecond), st.Written)
	return nil
}
