package handlers

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

// API keys let desktop GIS clients (QGIS, GDAL), which cannot sign in through a form, read the OGC API and
// the tiles: `X-API-Key: KEY` or `?api_key=KEY`. Keys are read-only: a key travels in URLs and project
// files, so it opens GET and HEAD requests only. Open311 is the exception: GeoReport v2 clients file requests
// with the key as the api_key parameter (in the form or the URL), and its own handler checks that key and who may
// file, so writes under /open311/ pass through untouched.

// apiKeyHeader is the header carrying an API key.
const apiKeyHeader = "X-API-Key"

// open311Prefix is where GeoReport v2 lives; its writes check their api_key themselves.
const open311Prefix = "/open311/"

// apiKeyTTL is how long a checked key is trusted without asking the database again. Map clients fire
// dozens of tile requests a second; a revocation through this server takes effect at once (the cache
// forgets the key), one made elsewhere (another replica, a disabled user) within this time.
const apiKeyTTL = 30 * time.Second

type apiKeyEntry struct {
	user    domain.User
	expires time.Time
}

// apiKeyCache remembers recently checked keys by their hash.
type apiKeyCache struct {
	mu sync.Mutex
	m  map[[32]byte]apiKeyEntry
}

func newAPIKeyCache() *apiKeyCache { return &apiKeyCache{m: map[[32]byte]apiKeyEntry{}} }

func (k *apiKeyCache) get(h [32]byte) (domain.User, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.m[h]
	if !ok || time.Now().After(e.expires) {
		return domain.User{}, false
	}
	return e.user, true
}

func (k *apiKeyCache) put(h [32]byte, u domain.User) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.m) > 10000 { // bounded: drop everything rather than grow without end
		k.m = map[[32]byte]apiKeyEntry{}
	}
	k.m[h] = apiKeyEntry{user: u, expires: time.Now().Add(apiKeyTTL)}
}

func (k *apiKeyCache) forget(hash []byte) {
	var h [32]byte
	copy(h[:], hash)
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, h)
}

// apiKeyAuth signs in a request that carries an API key and no session. It runs after authenticate.
func (h *Handler) apiKeyAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		key := req.Header.Get(apiKeyHeader)
		if key == "" {
			key = c.QueryParam("api_key")
		}
		if key == "" || CurrentUser(c) != nil {
			return next(c)
		}
		if !safeMethod(req.Method) && strings.HasPrefix(req.URL.Path, open311Prefix) {
			return next(c)
		}
		if !safeMethod(req.Method) {
			return problem(http.StatusForbidden, "API keys are read-only", "an API key may only read (GET); sign in with POST /api/v1/auth/login to change data")
		}
		hash := sha256.Sum256([]byte(key))
		u, ok := h.keys.get(hash)
		if !ok {
			var err error
			u, err = h.Svc.AuthenticateAPIKey(req.Context(), key)
			if errors.Is(err, domain.ErrAuth) {
				return problem(http.StatusUnauthorized, "Unauthorized", "the API key is unknown or revoked, or its user is disabled; create a new one with POST /api/v1/auth/apikeys")
			} else if err != nil {
				return err
			}
			h.keys.put(hash, u)
		}
		c.Set("user", &u)
		return next(c)
	}
}

type apiKeyRequest struct {
	Name string `json:"name"`
}

// createAPIKey makes a key for the signed-in user and returns it, the only time it is shown.
func (o *ogcAPI) createAPIKey(c echo.Context) error {
	var in apiKeyRequest
	if c.Request().ContentLength != 0 {
		if err := bindJSON(c, &in); err != nil {
			return err
		}
	}
	if utf8.RuneCountInString(in.Name) > 100 {
		return badRequest("name", "name must be at most 100 characters")
	}
	u := CurrentUser(c)
	key, k, err := o.h.Svc.CreateAPIKey(c.Request().Context(), actor(c), u.ID, in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": k.ID, "name": k.Name, "key": key, "created_at": k.CreatedAt,
		"usage": "send header '" + apiKeyHeader + ": " + key + "' or add ?api_key=" + key + " to GET requests"})
}

// listAPIKeys lists the signed-in user's keys (without the keys themselves).
func (o *ogcAPI) listAPIKeys(c echo.Context) error {
	ks, err := o.h.Svc.APIKeys(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	if ks == nil {
		ks = []domain.APIKey{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": ks})
}

// revokeAPIKey revokes one of the signed-in user's keys.
func (o *ogcAPI) revokeAPIKey(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	hash, err := o.h.Svc.RevokeAPIKey(c.Request().Context(), actor(c), CurrentUser(c).ID, id)
	if err != nil {
		return err
	}
	o.h.keys.forget(hash)
	return c.NoContent(http.StatusNoContent)
}
