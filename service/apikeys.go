package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"

	"everymeter/store"
)

// APIKeyPrefix starts every API key, so a leaked key is recognisable in logs and secret scanners.
const APIKeyPrefix = "emk_"

// CreateAPIKey makes a new read-only API key for a user and returns it; only its hash is stored, so this
// is the one time anyone sees it.
func (s *Service) CreateAPIKey(ctx context.Context, actor store.Actor, userID int64, name string) (string, store.APIKey, error) {
	if utf8.RuneCountInString(name) > 100 {
		return "", store.APIKey{}, invalid("name", "name must be at most 100 characters")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", store.APIKey{}, err
	}
	key := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var out store.APIKey
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if out, err = tx.CreateAPIKey(ctx, userID, name, TokenHash(key)); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "create", "api_key", out.ID, nil, out)
	})
	return key, out, err
}

// RevokeAPIKey revokes one of the user's keys and returns its hash (for caches to forget it).
func (s *Service) RevokeAPIKey(ctx context.Context, actor store.Actor, userID, id int64) ([]byte, error) {
	var h []byte
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if h, err = tx.RevokeAPIKey(ctx, userID, id); err != nil {
			return err
		}
		return tx.Audit(ctx, actor, "revoke", "api_key", id, nil, nil)
	})
	return h, err
}

// AuthenticateAPIKey returns the enabled user owning a live key, or ErrAuth.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string) (store.User, error) {
	if !strings.HasPrefix(key, APIKeyPrefix) || len(key) > 200 {
		return store.User{}, ErrAuth
	}
	u, err := s.Store.APIKeyUser(ctx, TokenHash(key))
	if errors.Is(err, store.ErrNotFound) {
		return u, ErrAuth
	}
	return u, err
}
