package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"everymeter/domain"
	"everymeter/store"
	"everymeter/vocab"
)

// Roles a user can have (vocab.Roles).
var Roles = vocab.Strings(vocab.Roles)

// SessionTTL is how long a sign-in lasts.
const SessionTTL = domain.SessionTTL

// argon2id parameters (OWASP's second recommended set: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword compares pw with a PHC argon2id hash in constant time.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when the user does not exist, so a login takes as long either way. It is made on first
// use, not at start-up: an argon2id hash takes 19 MiB and, on a busy box, most of a second, which every process
// linking this package (every CLI command, every test binary) paid before main.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("everymeter-timing-equaliser")
	return h
})

// AddUser creates or updates a user (the `everymeter user add` command and admin tools).
func (s *Service) AddUser(ctx context.Context, username, role, unitCode, password string) (store.User, error) {
	var c checker
	c.check(validName(username), "username", "use 1–64 letters, digits, '_', '.', '@' or '-'")
	c.check(contains(Roles, role), "role", "role must be one of %s", strings.Join(Roles, ", "))
	c.check(len(password) >= 8, "password", "use at least 8 characters")
	c.check(vocab.Role(role) != vocab.UnitStaff || unitCode != "", "unit", "unit_staff users need --unit UNIT_CODE")
	if err := c.err(); err != nil {
		return store.User{}, err
	}
	u := store.User{Username: username, Role: role}
	if unitCode != "" {
		unit, err := s.Store.UnitByCode(ctx, unitCode)
		if errors.Is(err, store.ErrNotFound) {
			return u, invalid("unit", "no unit with code %q", unitCode)
		} else if err != nil {
			return u, err
		}
		u.UnitID = &unit.ID
	}
	hash, err := HashPassword(password)
	if err != nil {
		return u, err
	}
	u.PasswordHash = hash
	var out store.User
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if out, err = tx.UpsertUser(ctx, u); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Actor{Name: "cli"}, "upsert", "user", out.ID, nil, out)
	})
	return out, err
}

// Login checks a password and opens a session, returning its token. addr is the client's address, for
// throttling (loginguard.go); failures and refusals are audited and counted for the user to see. Attempts for
// one account from one address take turns (a lock on their pair for the attempt's transaction), so a burst of
// parallel guesses cannot all be checked before the first failures are counted.
func (s *Service) Login(ctx context.Context, username, password, addr string) (string, store.User, error) {
	keys := keysFor(username, addr)
	var (
		token   string
		u       store.User
		refusal error // the attempt failed; the counts and the audit rows it leaves are committed all the same
	)
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := tx.LockKey(ctx, keys.pair); err != nil {
			return err
		}
		if err := admit(ctx, tx, keys); err != nil {
			var locked *LockedError
			if !errors.As(err, &locked) {
				return err
			}
			refusal = err
			if err := countFailure(ctx, tx, keys); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Actor{Name: username}, "login-throttled", "user", username, nil,
				map[string]string{"addr": addr, "reason": locked.Reason})
		}
		var err error
		u, err = tx.UserByName(ctx, username)
		if errors.Is(err, store.ErrNotFound) {
			CheckPassword(dummyHash(), password)
			refusal = ErrAuth
			return countFailure(ctx, tx, keys)
		} else if err != nil {
			return err
		}
		if !CheckPassword(u.PasswordHash, password) || u.Disabled {
			refusal = ErrAuth
			if err := countFailure(ctx, tx, keys); err != nil {
				return err
			}
			return tx.Audit(ctx, store.Actor{ID: u.ID, Name: u.Username}, "login-failed", "user", u.ID, nil, map[string]string{"addr": addr})
		}
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return err
		}
		token = base64.RawURLEncoding.EncodeToString(raw)
		failed, err := tx.TakeFailedLogins(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := tx.DeleteThrottleKey(ctx, keys.pair); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, TokenHash(token), u.ID, time.Now().Add(SessionTTL), failed); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Actor{ID: u.ID, Name: u.Username}, "login", "user", u.ID, nil,
			map[string]any{"addr": addr, "failed_attempts_since_last_login": failed})
	})
	if err != nil {
		return "", u, err
	}
	if refusal != nil {
		s.pruneThrottles(ctx)
		return "", u, refusal
	}
	return token, u, nil
}

// FailedAttemptsBefore returns how many failed sign-in attempts for the user of a session came between their
// previous sign-in and the one that opened this session.
func (s *Service) FailedAttemptsBefore(ctx context.Context, token string) (int, error) {
	return s.Store.SessionFailedBefore(ctx, TokenHash(token))
}

// Authenticate returns the enabled user owning a session token.
func (s *Service) Authenticate(ctx context.Context, token string) (store.User, error) {
	if token == "" || len(token) > 200 {
		return store.User{}, ErrAuth
	}
	u, err := s.Store.SessionUser(ctx, TokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return u, ErrAuth
	}
	return u, err
}

// LogoutEverywhere ends every session of a user.
func (s *Service) LogoutEverywhere(ctx context.Context, userID int64) error {
	return s.Store.DeleteSessionsOf(ctx, userID)
}

// Logout ends the session of a token.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.Store.DeleteSession(ctx, TokenHash(token))
}

// TokenHash is what the database keeps of a session token.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.@-", r)) {
			return false
		}
	}
	return true
}

// either joins values as "a, b or c".
func either(vs []string) string {
	if len(vs) < 2 {
		return strings.Join(vs, "")
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
