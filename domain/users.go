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
	return fmt.Sprintf("%s; try again in %d seconds", e.Reason, int(time.Until(e.Until).Seconds()+1))
}
