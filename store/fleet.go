package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"everymeter/change"
)

// ChangeChannel is the NOTIFY channel that carries committed changes between the servers of a fleet.
const ChangeChannel = "everymeter_changes"

// maxPayload keeps a notification under PostgreSQL's 8000-byte limit with room for the sequence number.
const maxPayload = 7800

// Notice is one notification on ChangeChannel: what a unit of work on some server changed, numbered.
type Notice struct {
	// Origin names the server that committed it (its own notices it has already applied).
	Origin string `json:"o"`
	Seq    int64  `json:"seq"`
	// Resync says the change was too large to describe: every receiver reloads from the database.
	Resync  bool            `json:"resync,omitempty"`
	Changes []change.Change `json:"changes,omitempty"`
}

// Event is the change the notice describes (empty for a resync).
func (n Notice) Event() change.Event { return change.Event{Seq: n.Seq, Changes: n.Changes} }

// Notifying returns a store on the same pool whose transactions also send what they changed on ChangeChannel,
// numbered, before they commit (so the notification exists exactly when the change does), naming origin.
func (s *Store) Notifying(origin string) *Store {
	c := *s
	c.origin = origin
	return &c
}

// notify takes the next change number and queues the notice of ev in db's transaction (or, outside one, in a
// statement of its own); the notice is delivered when the transaction commits, never if it rolls back.
func (s *Store) notify(ctx context.Context, db DB, ev change.Event) (int64, error) {
	payload, err := json.Marshal(Notice{Origin: s.origin, Changes: ev.Changes})
	if err != nil {
		return 0, err
	}
	if len(payload) > maxPayload {
		payload, _ = json.Marshal(Notice{Origin: s.origin, Resync: true})
	}
	var seq int64
	err = db.QueryRow(ctx, `SELECT n, pg_notify($2, jsonb_set($1::jsonb, '{seq}', to_jsonb(n))::text) IS NULL
		FROM nextval('change_seq') n`, payload, ChangeChannel).Scan(&seq, new(bool))
	return seq, mapErr(err)
}

// dedicated opens a connection of its own to url, named appName in pg_stat_activity, as the URL's user.
func dedicated(ctx context.Context, url, appName string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	cfg.ConnectTimeout = 5 * time.Second
	cfg.RuntimeParams["application_name"] = appName
	// A wait that times out (ChangeFeed.Next with a deadline) only sets a socket deadline, rather than sending
	// the default cancel request, which would open a connection to the server each time.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// ChangeFeed is a dedicated connection to the primary listening on ChangeChannel (a pooled connection would
// be handed to other queries between notifications, and a hot standby refuses LISTEN).
type ChangeFeed struct{ conn *pgx.Conn }

// ListenChanges connects to url (the primary), listens on ChangeChannel and returns the feed with the last
// change number taken when listening began: every change committed later arrives as a Notice, those numbered
// above it among them.
func ListenChanges(ctx context.Context, url, appName string) (*ChangeFeed, int64, error) {
	conn, err := dedicated(ctx, url, appName)
	if err != nil {
		return nil, 0, err
	}
	var seq int64
	// LISTEN first, then read: a change committed in between is both counted and delivered (and ignored as old).
	if _, err = conn.Exec(ctx, `LISTEN `+ChangeChannel); err == nil {
		err = conn.QueryRow(ctx, `SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM change_seq`).Scan(&seq)
	}
	if err != nil {
		conn.Close(context.Background())
		return nil, 0, mapErr(err)
	}
	return &ChangeFeed{conn: conn}, seq, nil
}

// Next waits for the next notice (a timeout or cancellation of ctx leaves the feed usable); a payload that does not parse comes back as a resync (whatever changed is
// then reloaded rather than guessed).
func (f *ChangeFeed) Next(ctx context.Context) (Notice, error) {
	m, err := f.conn.WaitForNotification(ctx)
	if err != nil {
		return Notice{}, err
	}
	var n Notice
	if json.Unmarshal([]byte(m.Payload), &n) != nil {
		n = Notice{Resync: true}
	}
	return n, nil
}

// Close closes the feed's connection.
func (f *ChangeFeed) Close() { f.conn.Close(context.Background()) }

// LeaderLock is a session advisory lock held on a dedicated connection: the one server of a fleet holding it
// runs the background jobs; it is released when the connection ends (the server stops or dies).
type LeaderLock struct{ conn *pgx.Conn }

// leaderKey is the advisory lock's key ("everymeter jobs"); nothing else in the schema takes advisory locks
// in this key space but the coverage engine's full recompute (store.LockCoverage), which uses another key.
const leaderKey int64 = 0x656d6a6f6273

// TryLeader connects to url and tries to take the fleet's job lock: nil, nil when another server holds it.
func TryLeader(ctx context.Context, url, appName string) (*LeaderLock, error) {
	conn, err := dedicated(ctx, url, appName)
	if err != nil {
		return nil, err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, leaderKey).Scan(&got); err != nil || !got {
		conn.Close(context.Background())
		return nil, mapErr(err)
	}
	return &LeaderLock{conn: conn}, nil
}

// Check reports whether the lock's connection is still alive (and so the lock still held).
func (l *LeaderLock) Check(ctx context.Context) error {
	if l.conn.IsClosed() {
		return errors.New("store: leader connection closed")
	}
	return l.conn.Ping(ctx)
}

// Release gives the lock up by closing its connection.
func (l *LeaderLock) Release() { l.conn.Close(context.Background()) }

// FleetLeaders returns the application names of the sessions holding the fleet's job lock (for tests and
// `everymeter` diagnostics: exactly one while any server runs).
func (s *Store) FleetLeaders(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		WHERE l.locktype = 'advisory' AND l.granted
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ((l.classid::bigint << 32) | l.objid::bigint) = $1`, leaderKey)
	if err != nil {
		return nil, mapErr(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return names, mapErr(err)
}
