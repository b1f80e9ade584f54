// Package store owns the PostgreSQL connection pool and every SQL statement of everymeter; it returns
// domain values and sentinel errors, never HTTP concepts.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/paulmach/orb"
	"github.com/pressly/goose/v3"

	"everymeter/change"
	"everymeter/migrations"
)

// Sentinel errors returned by the store.
var (
	ErrNotFound  = errors.New("store: not found")
	ErrConflict  = errors.New("store: conflict")
	ErrReference = errors.New("store: referenced record missing or still in use")
	ErrInvalid   = errors.New("store: invalid value")
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
	if s.pub != nil {
		var one change.Set
		one.Add(k, id, geoms...)
		s.pub.Publish(one.Event())
	}
}

// Open connects a pool to url. Every connection gets a statement timeout so no query can hold a
// connection for minutes (a hostile geometry, say); long jobs set their own with SET LOCAL.
func Open(ctx context.Context, url string, maxConns int32) (*Store, error) {
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
	unit := &Store{Pool: s.Pool, db: tx, inTx: true, changes: &change.Set{}, pub: s.pub}
	if err := fn(unit); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return mapErr(err)
	}
	if s.pub != nil {
		s.pub.Publish(unit.changes.Event())
	}
	return nil
}

// DB exposes the underlying pool or transaction to sibling domain packages' store files.
func (s *Store) DB() DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.Pool.Ping(ctx) }

// migrationsProvider builds a goose provider over the embedded migrations.
func migrationsProvider(url string) (*goose.Provider, *sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDB(*cfg)
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

// Actor is who performs a write (for the audit log); ID 0 means the system or a command-line user.
type Actor struct {
	ID   int64
	Name string
}

// CountAssets returns how many assets are stored.
func (s *Store) CountAssets(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM assets`).Scan(&n)
	return n, mapErr(err)
}
