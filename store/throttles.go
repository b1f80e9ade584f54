package store

import (
	"context"
	"everymeter/domain"
	"time"
)

// Throttle is domain.Throttle (the definition moved to package domain).
type Throttle = domain.Throttle

const throttleCols = `id, key, scope, username, addr, failures, first_at, last_at, blocked_until, expires_at`

func scanThrottle(r interface{ Scan(...any) error }) (Throttle, error) {
	var t Throttle
	err := r.Scan(&t.ID, &t.Key, &t.Scope, &t.Username, &t.Addr, &t.Failures, &t.FirstAt, &t.LastAt, &t.BlockedUntil, &t.ExpiresAt)
	return t, mapErr(err)
}

func (s *Store) throttles(ctx context.Context, sql string, args ...any) ([]Throttle, error) {
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Throttle{}
	for rows.Next() {
		t, err := scanThrottle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, mapErr(rows.Err())
}

// LockKey holds a transaction-scoped advisory lock on a text key (in a namespace of its own), so that callers
// with the same key take turns until their transactions end.
func (s *Store) LockKey(ctx context.Context, key string) error {
	_, err := s.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('everymeter:' || $1, 0))`, key)
	return mapErr(err)
}

// ThrottlesByKey returns the unexpired throttles among keys.
func (s *Store) ThrottlesByKey(ctx context.Context, keys []string) ([]Throttle, error) {
	return s.throttles(ctx, `SELECT `+throttleCols+` FROM login_throttles WHERE key = ANY($1) AND expires_at > now()`, keys)
}

// ActiveThrottles returns every unexpired throttle, blocked ones first, then the most recent.
func (s *Store) ActiveThrottles(ctx context.Context) ([]Throttle, error) {
	return s.throttles(ctx, `SELECT `+throttleCols+` FROM login_throttles WHERE expires_at > now()
		ORDER BY blocked_until > now() DESC NULLS LAST, last_at DESC, id LIMIT 1000`)
}

// BumpThrottle counts one more failure for a key (starting again from one when the row had expired) and
// returns the row. Concurrent bumps of one key serialise on its row, so none is lost.
func (s *Store) BumpThrottle(ctx context.Context, key, scope, username, addr string) (Throttle, error) {
	return scanThrottle(s.db.QueryRow(ctx, `INSERT INTO login_throttles AS t (key, scope, username, addr, failures, expires_at)
		VALUES ($1, $2, $3, $4, 1, now())
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN t.expires_at <= now() THEN 1 ELSE t.failures + 1 END,
			first_at = CASE WHEN t.expires_at <= now() THEN now() ELSE t.first_at END,
			blocked_until = CASE WHEN t.expires_at <= now() THEN NULL ELSE t.blocked_until END,
			last_at = now()
		RETURNING `+throttleCols, key, scope, username, addr))
}

// SetThrottleLimits sets until when a throttle refuses (nil: it does not) and when it is forgotten.
func (s *Store) SetThrottleLimits(ctx context.Context, id int64, blockedUntil *time.Time, expires time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE login_throttles SET blocked_until = $2, expires_at = $3 WHERE id = $1`, id, blockedUntil, expires)
	return mapErr(err)
}

// DeleteThrottleKey forgets one key (a successful sign-in clears its pair).
func (s *Store) DeleteThrottleKey(ctx context.Context, key string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM login_throttles WHERE key = $1`, key)
	return mapErr(err)
}

// DeleteThrottle forgets one throttle by id and returns it; ErrNotFound if there is none.
func (s *Store) DeleteThrottle(ctx context.Context, id int64) (Throttle, error) {
	return scanThrottle(s.db.QueryRow(ctx, `DELETE FROM login_throttles WHERE id = $1 RETURNING `+throttleCols, id))
}

// PruneThrottles deletes expired throttles.
func (s *Store) PruneThrottles(ctx context.Context) error {
	_, err := s.db.Exec(ctx, `DELETE FROM login_throttles WHERE expires_at <= now()`)
	return mapErr(err)
}

// CountFailedLogin adds one to a user's failed attempts since the last sign-in (no-op for unknown names).
func (s *Store) CountFailedLogin(ctx context.Context, username string) error {
	_, err := s.db.Exec(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE username = $1`, username)
	return mapErr(err)
}

// TakeFailedLogins returns a user's failed attempts since the last sign-in and starts counting again.
func (s *Store) TakeFailedLogins(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `UPDATE users u SET failed_logins = 0, last_login_at = now()
		FROM (SELECT id, failed_logins FROM users WHERE id = $1 FOR UPDATE) old
		WHERE u.id = old.id RETURNING old.failed_logins`, userID).Scan(&n)
	return n, mapErr(err)
}

// SessionFailedBefore returns how many failed attempts preceded the sign-in that opened a session.
func (s *Store) SessionFailedBefore(ctx context.Context, tokenHash []byte) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT failed_before FROM sessions WHERE token_hash = $1`, tokenHash).Scan(&n)
	return n, mapErr(err)
}
