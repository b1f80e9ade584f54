package domain

import (
	"fmt"
	"time"
)

// User is a person who signs in.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	PasswordHash string    `json:"-"`
	Role         string    `json:"role"`
	UnitID       *int64    `json:"unit_id"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// Actor is who performs a write (for the audit log); ID 0 means the system or a command-line user.
type Actor struct {
	ID   int64
	Name string
}

// APIKey is a user's key for desktop clients; only its hash is stored.
type APIKey struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// LockedError says a sign-in was refused for throttling, and until when.
type LockedError struct {
	Until  time.Time
	Reason string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s; try again in %d seconds", e.Reason, e.Seconds())
}

// Seconds is how long, rounded up, until a sign-in is possible again.
func (e *LockedError) Seconds() int { return int(time.Until(e.Until).Seconds() + 1) }

// Throttle is the sign-in failure count of one key: an (account, address) pair, an address or an account.
type Throttle struct {
	ID           int64      `json:"id"`
	Key          string     `json:"key"`
	Scope        string     `json:"scope"`
	Username     string     `json:"username"`
	Addr         string     `json:"addr"`
	Failures     int        `json:"failures"`
	FirstAt      time.Time  `json:"first_at"`
	LastAt       time.Time  `json:"last_at"`
	BlockedUntil *time.Time `json:"blocked_until"`
	ExpiresAt    time.Time  `json:"expires_at"`
}
