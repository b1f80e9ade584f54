// Package pgctl owns the lifecycle of everymeter's private PostgreSQL cluster: it finds the system's
// PostgreSQL binaries, creates a cluster under the data directory, starts it on a unix socket inside that
// directory, locks the directory against a second owner, and stops the cluster cleanly.
package pgctl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrLocked means another everymeter process owns the data directory.
var ErrLocked = errors.New("pgctl: data directory is in use by another everymeter process")

// ErrMissing means PostgreSQL or PostGIS is not installed; its message names the Debian packages.
var ErrMissing = errors.New("pgctl: PostgreSQL 15 with PostGIS 3 is not installed")

// DBName is the database everymeter creates inside its private cluster.
const DBName = "everymeter"

// Cluster is a private PostgreSQL cluster under Dir/pg with its socket in Dir/run.
type Cluster struct {
	Dir    string // the everymeter data directory (absolute)
	BinDir string // e.g. /usr/lib/postgresql/15/bin
	Log    *slog.Logger

	lock    *os.File
	started bool // whether this process started the server (and so stops it)
	cred    *syscall.Credential
}

// FindBinDir returns the newest /usr/lib/postgresql/*/bin holding initdb and pg_ctl.
func FindBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: no initdb/pg_ctl under /usr/lib/postgresql/*/bin; install them with: apt-get install postgresql-15 postgresql-15-postgis-3", ErrMissing)
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&0o111 != 0
}

// New prepares a cluster handle for dataDir; nothing is started yet.
func New(dataDir string, log *slog.Logger) (*Cluster, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	bin, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	c := &Cluster{Dir: abs, BinDir: bin, Log: log}
	if err := c.checkPostGIS(); err != nil {
		return nil, err
	}
	// A unix socket path is limited to 107 bytes; say so before PostgreSQL fails obscurely.
	if n := len(c.SocketDir()) + len("/.s.PGSQL.5432"); n > 107 {
		return nil, fmt.Errorf("pgctl: socket path %s is %d bytes, longer than the 107 a unix socket allows; choose a shorter --data", c.SocketDir(), n)
	}
	return c, nil
}

func (c *Cluster) checkPostGIS() error {
	share := filepath.Join("/usr/share/postgresql", strconv.Itoa(versionOf(c.BinDir)), "extension", "postgis.control")
	if _, err := os.Stat(share); err != nil {
		v := versionOf(c.BinDir)
		return fmt.Errorf("%w: PostGIS is missing (%s not found); install it with: apt-get install postgresql-%d-postgis-3", ErrMissing, share, v)
	}
	return nil
}

// PGData is the PostgreSQL data directory.
func (c *Cluster) PGData() string { return filepath.Join(c.Dir, "pg") }

// SocketDir is where the server's unix socket lives.
func (c *Cluster) SocketDir() string { return filepath.Join(c.Dir, "run") }

// URL is the connection string for the everymeter database over the unix socket.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&sslmode=disable", DBName, c.SocketDir())
}

// Lock takes the data directory's lock (non-blocking). It returns ErrLocked, naming the holder, if another
// process has it.
func (c *Cluster) Lock() error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "everymeter.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(f.Name())
		f.Close()
		return fmt.Errorf("%w (%s, lock held by %s)", ErrLocked, c.Dir, strings.TrimSpace(string(holder)))
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d\n", os.Getpid())), 0)
	c.lock = f
	return nil
}

// Unlock releases the data directory's lock.
func (c *Cluster) Unlock() {
	if c.lock != nil {
		_ = syscall.Flock(int(c.lock.Fd()), syscall.LOCK_UN)
		c.lock.Close()
		c.lock = nil
	}
}

// credential returns the postgres user's credentials when running as root (PostgreSQL refuses root).
func (c *Cluster) credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if c.cred != nil {
		return c.cred, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgctl: running as root and there is no 'postgres' user to run PostgreSQL as (it is created by: apt-get install postgresql-15): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return c.cred, nil
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	cred, err := c.credential()
	if err != nil {
		return err
	}
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	cmd.Dir = c.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgctl: %s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}

// chown gives a path to the postgres user when running as root.
func (c *Cluster) chown(p string) error {
	cred, err := c.credential()
	if err != nil || cred == nil {
		return err
	}
	return os.Chown(p, int(cred.Uid), int(cred.Gid))
}

// checkReachable makes sure the postgres user can enter every ancestor of the data directory (when we run
// as root, a 0700 home or temp directory above it would make PostgreSQL fail with a bare "permission denied").
func (c *Cluster) checkReachable() error {
	cred, err := c.credential()
	if err != nil || cred == nil {
		return err
	}
	for d := filepath.Dir(c.Dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		sys, _ := st.Sys().(*syscall.Stat_t)
		owned := sys != nil && sys.Uid == cred.Uid
		if st.Mode().Perm()&0o001 == 0 && !owned {
			return fmt.Errorf("pgctl: PostgreSQL runs as the 'postgres' user and cannot enter %s (mode %o) to reach %s; choose a --data directory elsewhere or run: chmod o+x %s", d, st.Mode().Perm(), c.Dir, d)
		}
		if d == "/" || d == "." {
			return nil
		}
	}
}

// Initialized reports whether the cluster's data directory has been created.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.PGData(), "PG_VERSION"))
	return err == nil
}

// Init creates the cluster if it does not exist yet.
func (c *Cluster) Init(ctx context.Context) error {
	if err := c.checkReachable(); err != nil {
		return err
	}
	if c.Initialized() {
		return nil
	}
	for _, d := range []string{c.PGData(), c.SocketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := c.chown(d); err != nil {
			return err
		}
	}
	c.Log.Info("creating private PostgreSQL cluster", "dir", c.PGData())
	// Trust on the socket only: the socket lives in a 0700 directory of the data dir, and no TCP port is opened.
	return c.run(ctx, "initdb", "-D", c.PGData(), "-U", "postgres", "--auth-local=trust", "--auth-host=reject",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-instructions")
}

// Running reports whether a postmaster is answering for this data directory.
func (c *Cluster) Running(ctx context.Context) bool {
	return c.run(ctx, "pg_ctl", "status", "-D", c.PGData()) == nil
}

// Start initialises (if needed) and starts the cluster, waiting until it accepts connections. If it is
// already running (for example a crashed owner left it), it is reused.
func (c *Cluster) Start(ctx context.Context) error {
	if err := c.Init(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(c.SocketDir(), 0o700); err != nil {
		return err
	}
	if err := c.chown(c.SocketDir()); err != nil {
		return err
	}
	if !c.Running(ctx) {
		c.Log.Info("starting private PostgreSQL", "socket", c.SocketDir())
		opts := fmt.Sprintf("-c listen_addresses='' -c unix_socket_directories='%s' -c max_connections=200 -c shared_buffers=256MB -c fsync=on -c log_min_messages=warning", c.SocketDir())
		if err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.PGData(), "-l", filepath.Join(c.PGData(), "server.log"), "-o", opts); err != nil {
			return err
		}
		c.started = true
	}
	if c.Standby() {
		return nil // read-only: the database and PostGIS come from the primary
	}
	return c.ensureDatabase(ctx)
}

// Standby reports whether the cluster is a streaming replica (made by Replicate).
func (c *Cluster) Standby() bool {
	_, err := os.Stat(filepath.Join(c.PGData(), "standby.signal"))
	return err == nil
}

// Replicate makes this (not yet created) cluster a streaming replica of primary, which must be running:
// pg_basebackup over primary's socket with -R, which writes primary_conninfo and standby.signal, so that
// Start then runs it as a hot standby streaming from primary. The private cluster's defaults already allow
// it (wal_level=replica, max_wal_senders=10, and initdb's "local replication all trust" line).
func (c *Cluster) Replicate(ctx context.Context, primary *Cluster) error {
	if err := c.checkReachable(); err != nil {
		return err
	}
	if c.Initialized() {
		return fmt.Errorf("pgctl: %s already holds a cluster; choose an empty --data", c.PGData())
	}
	if !primary.Running(ctx) {
		return fmt.Errorf("pgctl: the primary under %s is not running; start it first (everymeter db start --data %s)", primary.Dir, primary.Dir)
	}
	for _, d := range []string{c.PGData(), c.SocketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if err := c.chown(d); err != nil {
			return err
		}
	}
	slot := c.SlotName()
	if err := primary.freeSlot(ctx, slot); err != nil {
		return err
	}
	c.Log.Info("copying the primary into a streaming replica", "from", primary.PGData(), "to", c.PGData(), "slot", slot)
	// -X stream: the WAL written during the copy comes along, so the copy is consistent on its own;
	// -c fast: an immediate checkpoint rather than waiting for the next one; -C -S: a physical replication
	// slot on the primary, which -R names in primary_slot_name, so the primary keeps the WAL the standby has
	// not received yet however long it is stopped (instead of recycling it and leaving the standby unable to
	// catch up).
	return c.run(ctx, "pg_basebackup", "-D", c.PGData(), "-h", primary.SocketDir(), "-U", "postgres", "-R", "-X", "stream", "-c", "fast",
		"-C", "-S", slot)
}

// SlotName is the physical replication slot a replica in this directory streams through: named after the
// directory, so that making the replica again in the same place reuses the name (see Replicate).
func (c *Cluster) SlotName() string {
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		abs = c.Dir
	}
	sum := sha256.Sum256([]byte(abs))
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, filepath.Base(abs))
	if len(base) > 32 {
		base = base[:32]
	}
	return "everymeter_" + base + "_" + hex.EncodeToString(sum[:4])
}

// freeSlot drops the replication slot name on this (running) primary if it is left over from a replica made
// in the same directory before and since removed (an inactive slot would also keep WAL forever); a slot in
// use by a streaming standby is refused.
func (c *Cluster) freeSlot(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@/postgres?host=%s&sslmode=disable", c.SocketDir()))
	if err != nil {
		return fmt.Errorf("pgctl: connect to the primary: %w", err)
	}
	defer conn.Close(ctx)
	var active bool
	switch err := conn.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, name).Scan(&active); {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return err
	case active:
		return fmt.Errorf("pgctl: the primary's replication slot %s is in use by a running standby; stop it first", name)
	}
	c.Log.Info("dropping the replication slot of an earlier replica in the same directory", "slot", name)
	_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, name)
	return err
}

// DropSlot drops the replication slot of the replica in dir on this (running) primary, if there is one: after
// a replica is removed for good, so that the primary stops keeping WAL for it.
func (c *Cluster) DropSlot(ctx context.Context, replica *Cluster) error {
	return c.freeSlot(ctx, replica.SlotName())
}

// ensureDatabase creates the everymeter database and the PostGIS extension.
func (c *Cluster) ensureDatabase(ctx context.Context) error {
	admin := fmt.Sprintf("postgres://postgres@/postgres?host=%s&sslmode=disable", c.SocketDir())
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("pgctl: connect: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", DBName).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{DBName}.Sanitize()); err != nil {
			return err
		}
	}
	db, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		return err
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		return fmt.Errorf("pgctl: create extension postgis (install postgresql-%d-postgis-3): %w", versionOf(c.BinDir), err)
	}
	return nil
}

// Stop stops the cluster if this process started it (fast shutdown: clients are disconnected, the
// checkpoint is written, nothing acknowledged is lost).
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.started {
		return nil
	}
	c.Log.Info("stopping private PostgreSQL")
	c.started = false
	return c.run(ctx, "pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", c.PGData())
}

// ForceStop stops the cluster whoever started it (used by tests and `everymeter db stop`).
func (c *Cluster) ForceStop(ctx context.Context) error {
	if !c.Running(ctx) {
		return nil
	}
	return c.run(ctx, "pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", c.PGData())
}

// WaitReady polls until the database accepts connections or the timeout passes.
func WaitReady(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := pgx.Connect(ctx, url)
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
