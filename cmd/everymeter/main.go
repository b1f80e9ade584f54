// Command everymeter is the civilized-city grid management server: every meter of street has an owner.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set with -ldflags "-X main.version=…".
var version = "dev"

const usage = `everymeter — every meter of street has a named owner.

Usage:
  everymeter serve [--addr HOST:PORT] [--data DIR] [--demo]   run the HTTP server (default :8080)
        [--trusted-proxies CIDR,…] [--secure-cookies]           behind a reverse proxy / HTTPS
        [--read-database-url URL] [--name N] [--notify=false]   several servers on one primary, a read replica
  everymeter migrate [--data DIR]                             apply the embedded schema migrations
  everymeter user add NAME --role ROLE [--unit CODE] --password-stdin
  everymeter demo [--data DIR]                                load the generated demo county town
  everymeter coverage --full                                  recompute all coverage, with progress
  everymeter import osm FILE | import geojson FILE --kind KIND | import 311 FILE
  everymeter db start|stop|url [--data DIR]                  manage the private PostgreSQL by hand
  everymeter db replica --data DIR --from PRIMARY_DATA        a streaming replica of a running private cluster
  everymeter backup FILE.tar.gz | restore FILE.tar.gz            pg_dump/pg_restore of the database with the photo files
  everymeter audit verify [--data DIR]                        prove the audit log's hash chain intact; exit 1 naming the first broken entry
  everymeter bench reports [--stored N] [--clients N] [--duration D]  benchmark filing on a scratch database
  everymeter bench load [--clients 500] [--duration 60s] [--think D]   mixed load on a scratch demo database, reconciled
  everymeter bench province [--segments 1000000]              a synthetic province against the naive SQL
  everymeter version

Environment:
  DATABASE_URL       use this PostgreSQL/PostGIS database instead of the private one under --data
  EVERYMETER_DATA    data directory (default ./var)
  EVERYMETER_ADDR    listen address (default :8080)
  EVERYMETER_TILE_URL  base-map tile URL template for the web app (default: none, the app works offline)
  EVERYMETER_TRUSTED_PROXIES  serve --trusted-proxies: CIDR ranges of reverse proxies (default: none)
  DATABASE_READ_URL  serve --read-database-url: a streaming replica for the reads that tolerate lag
  EVERYMETER_NOTIFY  off: serve without telling other servers what it wrote (one server only)
  EVERYMETER_NAME    serve --name: this server's name among the servers on one primary
  EVERYMETER_SUPERVISION_PHONE  the supervision phone (监督电话) printed on the sign boards
  EVERYMETER_NOTIFY_WEBHOOK  URL that receives citizen notices (status changes, new cases) as JSON POSTs
`

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, log)
	stop()
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "everymeter:", err)
			fmt.Fprint(os.Stderr, "\n"+usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "everymeter:", err)
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// command is one subcommand.
type command func(ctx context.Context, app *cli, args []string) error

// cli carries what every subcommand shares.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	log    *slog.Logger
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	app := &cli{stdin: stdin, stdout: stdout, log: log}
	cmds := map[string]command{
		"serve":    cmdServe,
		"migrate":  cmdMigrate,
		"user":     cmdUser,
		"demo":     cmdDemo,
		"coverage": cmdCoverage,
		"import":   cmdImport,
		"db":       cmdDB,
		"backup":   cmdBackup,
		"restore":  cmdRestore,
		"bench":    cmdBench,
		"audit":    cmdAudit,
		"version": func(ctx context.Context, app *cli, args []string) error {
			fmt.Fprintln(app.stdout, "everymeter", version)
			return nil
		},
	}
	if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	return cmd(ctx, app, args[1:])
}

// dbFlags are the flags every database-using command takes.
type dbFlags struct {
	data string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.data, "data", envOr("EVERYMETER_DATA", "./var"), "data directory (private PostgreSQL cluster, photos)")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// parse parses flags, allowing flags after positional arguments (everymeter user add NAME --role x).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
		if len(args) == 0 {
			return pos, nil
		}
		if !strings.HasPrefix(args[0], "-") {
			continue
		}
	}
}
