package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"everymeter/handlers"
	"everymeter/server"
	"everymeter/service"
	"everymeter/static"
	"everymeter/store"
)

func cmdServe(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	addr := fs.String("addr", envOr("EVERYMETER_ADDR", ":8080"), "listen address HOST:PORT")
	demoFlag := fs.Bool("demo", false, "load the demo town first if the database holds no assets")
	secure := fs.Bool("secure-cookies", false, "behind HTTPS: Secure cookies, Strict-Transport-Security, redirect plain HTTP to https")
	retention := fs.Int("patrol-retention-days", envInt("EVERYMETER_PATROL_RETENTION_DAYS", 90), "delete patrols' raw GPS points this many days after the walk (the matched meters stay)")
	proxies := fs.String("trusted-proxies", envOr("EVERYMETER_TRUSTED_PROXIES", ""), "comma-separated CIDR ranges of reverse proxies whose X-Forwarded-For/-Proto are believed (default none)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	trusted, err := handlers.ParseTrustedProxies(*proxies)
	if err != nil {
		return usageError{fmt.Sprintf("serve: --trusted-proxies: %v", err)}
	}
	db, err := openDB(ctx, app, dbf.data, true, 50)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	w := server.New(db.Store, app.log, server.Options{
		DataDir: dbf.data, SecureCookies: *secure, TrustedProxies: trusted, TileURL: envOr("EVERYMETER_TILE_URL", ""), Static: static.FS,
		Ready: func(ctx context.Context) error { return checkSchema(ctx, db.Store) },
	})
	e, svc := w.Echo, w.Svc
	// On the service's store, so that what the watch recomputes is published like any write.
	go w.Engine.Watch(ctx, svc.Store, time.Minute) // validity that starts or ends later shows within a minute
	go svc.KeepAuditSealed(ctx, time.Second)       // audit entries join the hash chain within a second of commit
	go w.Patrols.KeepRetention(ctx, *retention, time.Hour)
	if *demoFlag {
		if n, err := db.Store.CountAssets(ctx); err != nil {
			return err
		} else if n == 0 {
			if err := loadDemo(ctx, app, svc); err != nil {
				return err
			}
		}
	}
	// Connections made and readied before the first request, not by it: otherwise a restart stalls every open
	// map for about a second while the first concurrent requests each wait for a new backend.
	warm := time.Now()
	if err := db.Store.Warm(ctx, 16); err != nil {
		return fmt.Errorf("warming the database connections: %w", err)
	}
	app.log.Info("database connections ready", "connections", 16, "took", time.Since(warm).Round(time.Millisecond))
	srv := e.Server
	srv.Addr = *addr
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	app.log.Info("everymeter serving", "addr", *addr, "version", version, "managed_db", db.Managed)
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("listen %s: %w", *addr, err)
		}
	case <-ctx.Done():
		app.log.Info("shutting down: draining in-flight requests")
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return err
		}
	}
	return nil
}

// newService wires the domain layer with the coverage engine.
func newService(st *store.Store, app *cli) *service.Service { return server.Service(st, app.log) }

// envInt is an integer environment variable, or def when it is unset or not a number.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
