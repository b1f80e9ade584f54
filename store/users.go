package store

import (
	"context"
	"time"

	"everymeter/domain"
)

// User is domain.User (the definition moved to package domain).
type User = domain.User

const userCols = `id, username, password_hash, role, unit_id, disabled, created_at`

func scanUser(r interface{ Scan(...any) error }) (User, error) {
	var u User
	err := r.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.UnitID, &u.Disabled, &u.CreatedAt)
	return u, mapErr(err)
}

// UpsertUser creates a user or updates the role, unit and password of the one with that name.
func (s *Store) UpsertUser(ctx context.Context, u User) (User, error) {
	return scanUser(s.db.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, unit_id, disabled)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
			unit_id = EXCLUDED.unit_id, disabled = EXCLUDED.disabled, updated_at = now()
		RETURNING `+userCols, u.Username, u.PasswordHash, u.Role, u.UnitID, u.Disabled))
}

// UserByName returns a user by username.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	return scanUser(s.db.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE username = $1`, name))
}

// SetUserDisabled disables or enables a user; disabling also ends all their sessions.
func (s *Store) SetUserDisabled(ctx context.Context, id int64, disabled bool) error {
	tag, err := s.db.Exec(ctx, `UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1`, id, disabled)
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	if disabled {
		_, err = s.db.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, id)
	}
	return mapErr(err)
}

// CreateSession stores a session by the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, userID int64, expires time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`, tokenHash, userID, expires)
	return mapErr(err)
}

// SessionUser returns the enabled user owning an unexpired session.
func (s *Store) SessionUser(ctx context.Context, tokenHash []byte) (User, error) {
	return scanUser(s.db.QueryRow(ctx, `SELECT u.id, u.username, u.password_hash, u.role, u.unit_id, u.disabled, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND NOT u.disabled`, tokenHash))
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return mapErr(err)
}

// DeleteSessionsOf ends every session of a user.
func (s *Store) DeleteSessionsOf(ctx context.Context, userID int64) error {
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return mapErr(err)
}
