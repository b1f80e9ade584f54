// Package store owns the PostgreSQL connection pool and every SQL statement of everymeter; it returns
// domain values and sentinel errors, never HTTP concepts.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/paulmach/orb"
	"github.com/pressly/goose/v3"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/migrations"
)

// Sentinel errors returned by the store.
var (
	ErrNotFound  = domain.ErrNotFound
	ErrConflict  = domain.ErrConflict
	ErrReference = domain.ErrReference
	ErrInvalid   = domain.ErrInvalid
)

// DB is what both a pool and a transaction offer.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Store runs everymeter's SQL on a pool, or inside one transaction (see WithTx).
type Store struct {
	Pool *pgxpool.Pool
	db   DB
	inTx bool
	// changes collects what the current transaction changed (the unit of work; see Changed).
	changes *change.Set
	// pub is told what each transaction changed once it has committed (nil: nobody listens).
	pub Publisher
	// origin, when set, makes each transaction also NOTIFY the other servers of what it changed (see Notifying).
	origin string
	// replica, when set, serves the reads that tolerate lag (see Reads).
	replica *Replica
}

// Publisher receives what a committed unit of work changed.
type Publisher interface{ Publish(change.Event) }

// Publishing returns a store on the same pool whose transactions, once committed, tell p what they changed.
func (s *Store) Publishing(p Publisher) *Store {
	c := *s
	c.pub = p
	return &c
}

// Changed records, in the unit of work, that record id of kind k changed and where it lies or lay (see
// change.Set.Add). The record is published once, after the transaction commits, and never if it rolls
// back. Outside a transaction the write has already committed, so it is published at once.
func (s *Store) Changed(k change.Kind, id int64, geoms ...orb.Geometry) {
	if s.changes != nil {
		s.changes.Add(k, id, geoms...)
		return
	}
	if s.pub == nil && s.origin == "" {
		return
	}
	var one change.Set
	one.Add(k, id, geoms...)
	ev := one.Event()
	if s.origin != "" {
		// Already committed: the notice goes in a statement of its own. Should it fail the other servers see
		// the next notice's number jump and resynchronise.
		seq, err := s.notify(context.Background(), s.db, ev)
		if err == nil {
			ev.Seq = seq
		}
	}
	if s.pub != nil {
		s.pub.Publish(ev)
	}
}

// AppRole is the database role the server runs as (migration 00010 creates it): it reads and writes the
// application's tables but can only append to the audit log, and owns nothing.
const AppRole = "everymeter_app"

// Open connects a pool to url as the user the URL names (the schema's owner: benchmarks and maintenance that
// drop and build indexes). Every connection gets a statement timeout so no query can hold a connection for
// minutes (a hostile geometry, say); long jobs set their own with SET LOCAL.
func Open(ctx context.Context, url string, maxConns int32) (*Store, error) {
	return open(ctx, url, maxConns, "")
}

// OpenApp connects a pool to url and switches every connection to AppRole, so that not even a superuser URL
// lets the server rewrite the audit log. The URL's user must be AppRole itself or a member of it (the
// migration makes the user that runs it a member).
func OpenApp(ctx context.Context, url string, maxConns int32) (*Store, error) {
	return open(ctx, url, maxConns, AppRole)
}

func open(ctx context.Context, url string, maxConns int32, role string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = "30000"
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	if role != "" {
		cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			// role is a constant, never input.
			if _, err := c.Exec(ctx, `SET ROLE `+pgx.Identifier{role}.Sanitize()); err != nil {
				return fmt.Errorf("store: switch to role %s (run `everymeter migrate`, or have the database administrator GRANT %s TO the user of the URL): %w", role, role, err)
			}
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Store{Pool: pool, db: pool}, nil
}

// Close closes the pool.
func (s *Store) Close() {
	if s.Pool != nil {
		s.Pool.Close()
	}
}

// WithTx runs fn with a Store bound to one transaction, committing if fn returns nil, and then publishes
// what the transaction recorded with Changed, once. Nested calls reuse the outer transaction and add to
// its changes, which the outermost call publishes.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	unit := &Store{Pool: s.Pool, db: tx, inTx: true, changes: &change.Set{}, pub: s.pub, origin: s.origin, replica: s.replica}
	if err := fn(unit); err != nil {
		return err
	}
	ev := unit.changes.Event()
	if s.origin != "" && !ev.Empty() {
		// Inside the transaction: the other servers hear of exactly the changes that commit, in commit order.
		if ev.Seq, err = s.notify(ctx, tx, ev); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return mapErr(err)
	}
	if s.pub != nil {
		s.pub.Publish(ev)
	}
	return nil
}

// DB exposes the underlying pool or transaction to sibling domain packages' store files.
func (s *Store) DB() DB { return s.db }

// Warm opens n connections of the pool at once (at most its size) and readies each backend for the first request:
// PostGIS loaded and PROJ's transform to Web Mercator set up, which a backend does on first use and which costs,
// on a busy box, several hundred milliseconds per connection. Without it the first concurrent requests after a
// start each wait for a new connection to be made and readied (the "start-up stall"); serve calls it before
// listening.
func (s *Store) Warm(ctx context.Context, n int) error {
	n = min(n, int(s.Pool.Config().MaxConns))
	conns := make([]*pgxpool.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.Pool.Acquire(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			conns[i] = c
			var x float64
			errs[i] = c.QueryRow(ctx, `SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(9.5, 47.1), 4326), 3857))`).Scan(&x)
		}()
	}
	wg.Wait()
	// Released together, after all were acquired: acquiring one at a time would reuse the first n times.
	for _, c := range conns {
		if c != nil {
			c.Release()
		}
	}
	return mapErr(errors.Join(errs...))
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// migrationsProvider builds a goose provider over the embedded migrations.
func migrationsProvider(url string) (*goose.Provider, *sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, nil, err
	}
	return provider(stdlib.OpenDB(*cfg))
}

// provider builds the goose provider on db, closing db when it cannot.
func provider(db *sql.DB) (*goose.Provider, *sql.DB, error) {
	// Out-of-order migrations are applied rather than refused: features land in parallel branches, and a
	// database that already has a later number must still get an earlier one that arrives after it.
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithAllowOutofOrder(true))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return p, db, nil
}

// Migrate applies all pending embedded migrations and returns how many ran.
func Migrate(ctx context.Context, url string) (int, error) {
	p, db, err := migrationsProvider(url)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	res, err := p.Up(ctx)
	return len(res), err
}

// SchemaStatus returns the database's schema version and the newest embedded one.
func SchemaStatus(ctx context.Context, url string) (current, latest int64, err error) {
	p, db, err := migrationsProvider(url)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	return schemaStatus(ctx, p)
}

// SchemaStatus is SchemaStatus on the store's own pool: no connection of its own, so a command's start (and
// every readiness probe) does not pay for a new backend just to read one version number.
func (s *Store) SchemaStatus(ctx context.Context) (current, latest int64, err error) {
	p, db, err := provider(stdlib.OpenDBFromPool(s.Pool)) // closing db leaves the pool open
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	return schemaStatus(ctx, p)
}

func schemaStatus(ctx context.Context, p *goose.Provider) (current, latest int64, err error) {
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}

// mapErr turns PostgreSQL errors into the store's sentinels.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return fmt.Errorf("%w: %s", ErrConflict, pe.Detail)
		case "23503":
			return fmt.Errorf("%w: %s", ErrReference, pe.Detail)
		case "23514", "22P02", "22023", "XX000", "22003":
			return fmt.Errorf("%w: %s", ErrInvalid, pe.Message)
		}
	}
	return err
}

// Audit records one write in the audit log, in the caller's transaction.
func (s *Store) Audit(ctx context.Context, actor Actor, action, entity string, id any, before, after any) error {
	b, _ := jsonOrNil(before)
	a, _ := jsonOrNil(after)
	_, err := s.db.Exec(ctx, `INSERT INTO audit_log (actor_id, actor, action, entity, entity_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, actor.ID, actor.Name, action, entity, fmt.Sprint(id), b, a)
	return mapErr(err)
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// Actor is domain.Actor (the definition moved to package domain).
type Actor = domain.Actor

// CountAssets returns how many assets are stored.
func (s *Store) CountAssets(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM assets`).Scan(&n)
	return n, mapErr(err)
}
