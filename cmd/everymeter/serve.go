package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
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
	readURL := fs.String("read-database-url", envOr("DATABASE_READ_URL", ""), "a streaming replica of the database for the reads that tolerate lag (tiles, OGC, heat maps, statistics)")
	maxLag := fs.Duration("replica-max-lag", envDuration("EVERYMETER_REPLICA_MAX_LAG", 5*time.Second), "read from the primary while the replica is further behind than this")
	notify := fs.Bool("notify", envOr("EVERYMETER_NOTIFY", "on") != "off", "tell the other servers on the same primary what each write changed (LISTEN/NOTIFY); off only for a single server")
	host, _ := os.Hostname()
	name := fs.String("name", envOr("EVERYMETER_NAME", fmt.Sprintf("%s:%d", host, os.Getpid())), "this server's name among the servers on one primary")
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
	opt := server.Options{
		DataDir: dbf.data, SecureCookies: *secure, TrustedProxies: trusted, TileURL: envOr("EVERYMETER_TILE_URL", ""), Static: static.FS,
		TiandituKey: envOr("EVERYMETER_TIANDITU_KEY", ""), Gaode: envOr("EVERYMETER_GAODE", "") == "1",
		SupervisionPhone: envOr("EVERYMETER_SUPERVISION_PHONE", ""), NotifyWebhook: envOr("EVERYMETER_NOTIFY_WEBHOOK", ""),
		Ready: func(ctx context.Context) error { return checkSchema(ctx, db.Store) },
	}
	if *notify {
		opt.Origin = *name
	}
	if *readURL != "" {
		if opt.Replica, err = store.OpenReplica(ctx, *readURL, 20, db.Store, *maxLag, app.log); err != nil {
			return fmt.Errorf("--read-database-url: %w", err)
		}
		defer opt.Replica.Close()
		go opt.Replica.Watch(ctx, 200*time.Millisecond)
	}
	w := server.New(db.Store, app.log, opt)
	e, svc := w.Echo, w.Svc
	if *notify {
		// LISTEN on the primary (a hot standby refuses it); once listening, owner lookups are also answered
		// from memory. Without notices another process's writes would go unseen: lookups stay on the database.
		go w.Follow(ctx, db.URL, *name)
	}
	// Once across the fleet, on whichever server holds the job lock; on the service's store, so that what the
	// watch recomputes is published (and notified) like any write.
	go w.Lead(ctx, db.URL, *name,
		func(ctx context.Context) { w.Engine.Watch(ctx, svc.Store, time.Minute) },         // validity that starts or ends later shows within a minute
		func(ctx context.Context) { svc.KeepAuditSealed(ctx, time.Second) },               // audit entries join the hash chain within a second of commit
		func(ctx context.Context) { w.Patrols.KeepRetention(ctx, *retention, time.Hour) }, // raw track points past the retention go
	)
	if *demoFlag {
		if n, err := db.Store.CountAssets(ctx); err != nil {
			return err
		} else if n == 0 {
			if err := loadDemo(ctx, app, svc, dbf.data); err != nil {
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
	app.log.Info("everymeter serving", "addr", *addr, "version", version, "managed_db", db.Managed, "name", *name,
		"notify", *notify, "read_replica", *readURL != "")
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

// newService wires the domain layer with the coverage engine. What a command writes (an import, the demo, a full
// recompute) is announced to the servers on the same database like a server's own writes, unless
// EVERYMETER_NOTIFY=off: otherwise their tile caches would keep showing the data from before.
func newService(st *store.Store, app *cli) *service.Service {
	return server.Service(notifying(st), app.log)
}

// notifying is st announcing its changes as this command (see newService).
func notifying(st *store.Store) *store.Store {
	if envOr("EVERYMETER_NOTIFY", "on") == "off" {
		return st
	}
	host, _ := os.Hostname()
	return st.Notifying(fmt.Sprintf("%s:%d:%s", host, os.Getpid(), strings.Join(os.Args[1:min(2, len(os.Args))], " ")))
}

// envDuration reads a duration from the environment variable key, def when unset or unreadable.
func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

// envInt is an integer environment variable, or def when it is unset or not a number.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}
