package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"everymeter/pgctl"
	"everymeter/store"
)

// database is an open store plus how to release it.
type database struct {
	Store   *store.Store
	URL     string
	Managed bool // everymeter started (and owns) a private cluster
	cluster *pgctl.Cluster
	close   func()
}

// Close releases the pool and, if this process started the private cluster, stops it.
func (d *database) Close() {
	if d.close != nil {
		d.close()
	}
}

// openDB connects to DATABASE_URL, or to the private cluster under dataDir, starting it if no other
// everymeter process owns it. exclusive demands ownership (serve): a second owner is refused. The pool runs
// as store.AppRole (append-only audit log); URL stays the owner's, for migrations, pg_dump and pg_restore.
func openDB(ctx context.Context, app *cli, dataDir string, exclusive bool, maxConns int32) (*database, error) {
	return openDBAs(ctx, app, dataDir, exclusive, maxConns, store.OpenApp)
}

// openOwnerDB is openDB for the commands that act as the schema's owner before the application role may exist
// (migrate, the benchmarks, which create and migrate scratch databases): with DATABASE_URL the pool runs as
// the URL's user, since on a brand-new cluster there is no store.AppRole to switch to until a migration
// creates it. The private cluster is migrated on start either way.
func openOwnerDB(ctx context.Context, app *cli, dataDir string, maxConns int32) (*database, error) {
	return openDBAs(ctx, app, dataDir, false, maxConns, store.Open)
}

func openDBAs(ctx context.Context, app *cli, dataDir string, exclusive bool, maxConns int32,
	openURL func(context.Context, string, int32) (*store.Store, error)) (*database, error) {
	if url := os.Getenv("DATABASE_URL"); url != "" {
		st, err := openURL(ctx, url, maxConns)
		if err != nil {
			return nil, err
		}
		// Waiting on the pool itself: the connection that answers stays in it for the command's first query.
		if err := waitPing(ctx, st, 10*time.Second); err != nil {
			st.Close()
			return nil, fmt.Errorf("database at DATABASE_URL does not answer: %w", err)
		}
		return &database{Store: st, URL: url, close: st.Close}, nil
	}
	c, err := pgctl.New(dataDir, app.log)
	if err != nil {
		return nil, err
	}
	d := &database{URL: c.URL(), cluster: c}
	if err := c.Lock(); err != nil {
		if !errors.Is(err, pgctl.ErrLocked) || exclusive {
			return nil, err
		}
		// Another everymeter (a running server) owns the cluster: use it without starting or stopping it.
		if !c.Running(ctx) {
			return nil, fmt.Errorf("%w, but its PostgreSQL is not running; wait for it to finish starting", err)
		}
	} else {
		if err := c.Start(ctx); err != nil {
			c.Unlock()
			return nil, err
		}
		d.Managed = true
	}
	if d.Managed {
		// The private cluster is ours: keep its schema current without asking. Before the pool opens, since
		// its connections switch to the role a migration creates.
		if n, err := store.Migrate(ctx, d.URL); err != nil {
			d.stopCluster()
			return nil, fmt.Errorf("migrate: %w", err)
		} else if n > 0 {
			app.log.Info("schema migrated", "migrations", n)
		}
	}
	st, err := store.OpenApp(ctx, c.URL(), maxConns)
	if err != nil {
		d.stopCluster()
		return nil, err
	}
	d.Store = st
	d.close = func() {
		st.Close()
		d.stopCluster()
	}
	return d, nil
}

func (d *database) stopCluster() {
	if d.Managed {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := d.cluster.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "everymeter: stopping PostgreSQL:", err)
		}
		d.cluster.Unlock()
		d.Managed = false
	}
}

// waitPing pings st until it answers or timeout passes.
func waitPing(ctx context.Context, st *store.Store, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := st.Ping(ctx)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkSchema refuses to run on a database whose schema is behind the binary.
func checkSchema(ctx context.Context, st *store.Store) error {
	cur, latest, err := st.SchemaStatus(ctx)
	if err != nil {
		return fmt.Errorf("reading schema version: %w (run `everymeter migrate`)", err)
	}
	if cur < latest {
		return fmt.Errorf("the database schema is at version %d but this everymeter needs %d: run `everymeter migrate` first", cur, latest)
	}
	return nil
}
