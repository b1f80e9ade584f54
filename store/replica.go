package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Replica sends the reads that tolerate lag (tiles, OGC features, heat maps, statistics) to a streaming
// replica while it answers and is close enough behind the primary, and back to the primary otherwise.
//
// "Close enough" is two conditions, checked every poll interval (Watch): the replica has replayed the WAL
// the primary had written at least MaxLag ago, and it has replayed every commit this server has seen
// (Fence, after each local or remote change; until the next poll confirms, reads go to the primary). So a
// tile rebuilt after a change is never built from a replica that has not seen the change yet.
type Replica struct {
	pool    *pgxpool.Pool
	primary *pgxpool.Pool
	maxLag  time.Duration
	log     *slog.Logger

	ok    atomic.Bool
	fence atomic.Uint64 // bumped by Fence; the poll that sees it demands the primary's LSN of its time

	mu      sync.Mutex
	seen    uint64 // fence value the last poll consumed
	need    uint64 // LSN the replica must have replayed
	samples []lsnSample
}

type lsnSample struct {
	lsn uint64
	at  time.Time
}

// OpenReplica connects a pool (as AppRole) to the replica at url, for reads beside primary.
func OpenReplica(ctx context.Context, url string, maxConns int32, primary *Store, maxLag time.Duration, log *slog.Logger) (*Replica, error) {
	st, err := open(ctx, url, maxConns, AppRole)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Replica{pool: st.Pool, primary: primary.Pool, maxLag: maxLag, log: log}, nil
}

// Close closes the replica's pool.
func (r *Replica) Close() { r.pool.Close() }

// WithReplica returns a store on the same pool whose Reads go to r when it is usable.
func (s *Store) WithReplica(r *Replica) *Store {
	c := *s
	c.replica = r
	return &c
}

// Reads returns the store for a read that tolerates lag: on the replica when there is one and it is usable,
// else s itself (also inside a transaction, whose reads must see its own writes).
func (s *Store) Reads() *Store {
	r := s.replica
	if s.inTx || r == nil || !r.ok.Load() {
		return s
	}
	return &Store{Pool: r.pool, db: fallbackDB{r: r, primary: s.db}}
}

// Usable reports whether reads currently go to the replica.
func (r *Replica) Usable() bool { return r.ok.Load() }

// Fence makes reads go to the primary until the replica has replayed what the primary has committed now:
// call it after a commit (local, or another server's notice) and before any cache forgets what it changed.
func (r *Replica) Fence() {
	r.fence.Add(1)
	r.ok.Store(false)
}

// Watch polls the primary and the replica every interval until ctx ends, deciding whether reads may go to
// the replica.
func (r *Replica) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	was := false
	for {
		ok := r.poll(ctx)
		if ok != was {
			r.log.Info("read replica", "usable", ok)
			was = ok
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll measures once and sets whether the replica is usable.
func (r *Replica) poll(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	fence := r.fence.Load()
	var primary uint64
	err := r.primary.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&primary)
	now := time.Now()
	var replayed int64
	if err == nil {
		err = r.pool.QueryRow(ctx, `SELECT coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, -1)`).Scan(&replayed)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if fence != r.seen {
		r.seen, r.need = fence, max(r.need, primary)
	}
	ok := false
	if err == nil && replayed >= 0 {
		r.samples = append(r.samples, lsnSample{primary, now})
		// The replica is as old as the newest primary position it has replayed.
		var caught time.Time
		for _, s := range r.samples {
			if s.lsn <= uint64(replayed) {
				caught = s.at
			}
		}
		for len(r.samples) > 1 && now.Sub(r.samples[0].at) > 2*r.maxLag+time.Second {
			r.samples = r.samples[1:]
		}
		ok = uint64(replayed) >= r.need && !caught.IsZero() && now.Sub(caught) <= r.maxLag
	}
	// A fence raised during this poll is not covered by the LSN read before it.
	r.ok.Store(ok && r.fence.Load() == fence)
	return ok
}

// down marks the replica unusable at once (a query on it failed for want of a connection); the next poll
// decides again.
func (r *Replica) down(err error) {
	if r.ok.Swap(false) {
		r.log.Warn("read replica failed, reading from the primary", "err", err)
	}
}

// unreachable reports whether err says the replica could not run the query at all (no connection, shutting
// down, starting, a conflict with recovery), as opposed to an error in the query that the primary would
// give too.
func unreachable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || errors.Is(err, pgx.ErrNoRows) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "08", "57", "53", "58":
			return true
		}
		return pe.Code == "40001" // canceling statement due to conflict with recovery
	}
	return true // not a server answer: a dial or network failure
}

// fallbackDB runs reads on the replica and, when the replica cannot run them, on the primary; anything
// else (writes, transactions, COPY) goes to the primary.
type fallbackDB struct {
	r       *Replica
	primary DB
}

func (f fallbackDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := f.r.pool.Query(ctx, sql, args...)
	if unreachable(ctx, err) {
		f.r.down(err)
		return f.primary.Query(ctx, sql, args...)
	}
	return rows, err
}

func (f fallbackDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return fallbackRow{f: f, ctx: ctx, sql: sql, args: args}
}

func (f fallbackDB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return f.primary.Exec(ctx, sql, args...)
}

func (f fallbackDB) CopyFrom(ctx context.Context, t pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return f.primary.CopyFrom(ctx, t, cols, src)
}

func (f fallbackDB) Begin(ctx context.Context) (pgx.Tx, error) { return f.primary.Begin(ctx) }

// fallbackRow defers the query to Scan, where a single-row query reports its error.
type fallbackRow struct {
	f    fallbackDB
	ctx  context.Context
	sql  string
	args []any
}

func (r fallbackRow) Scan(dest ...any) error {
	err := r.f.r.pool.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	if unreachable(r.ctx, err) {
		r.f.r.down(err)
		return r.f.primary.QueryRow(r.ctx, r.sql, r.args...).Scan(dest...)
	}
	return err
}
