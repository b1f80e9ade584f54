package handlers_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
)

var _ = addPolicy(map[string]string{
	"GET /api/v1/moderation/photos/:id":       "admin",
	"GET /api/v1/moderation/photos/:id/thumb": "admin",
})

// TestModerationPhoto: the moderation screen shows a queued report's photo before anything is published — the
// very file stored (its hash is the one the submission recorded), hidden photos too; nobody but a moderator gets
// it, and an unknown id is a 404.
func TestModerationPhoto(t *testing.T) {
	l := newLoop(t)
	a := l.App
	photo := jpegWithGPS(t, 64, 48, 101.5, 30.0)
	submitPublic(t, a.URL, publicForm{fields: map[string]string{"category": "JMZX-01", "description": "门口占道", "device": "dev-mod"},
		photos: [][]byte{photo}}).MustStatus(t, http.StatusCreated)
	var id int64
	var sha string
	if err := a.Store.Pool.QueryRow(t.Context(), `SELECT id, sha256 FROM public_photos`).Scan(&id, &sha); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/moderation/photos/%d", id)
	got := a.Do("admin", "GET", path, nil).MustStatus(t, http.StatusOK)
	if sum := sha256.Sum256(got.Body); hex.EncodeToString(sum[:]) != sha {
		t.Errorf("the moderator gets %d bytes hashing to %x; the stored photo hashes to %s", len(got.Body), sum, sha)
	}
	if th := a.Do("admin", "GET", path+"/thumb", nil).MustStatus(t, http.StatusOK); len(th.Body) == 0 || len(th.Body) >= len(got.Body)*4 {
		t.Errorf("thumbnail of %d bytes for a photo of %d", len(th.Body), len(got.Body))
	}
	for _, role := range []string{"", "unit_staff", "leader", "inspector"} {
		if r := a.Do(role, "GET", path, nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
			t.Errorf("%q gets a queued photo: %d", role, r.Status)
		}
	}
	a.Do("admin", "POST", path+"/hide", nil).MustStatus(t, http.StatusOK)
	a.Do("admin", "GET", path, nil).MustStatus(t, http.StatusOK)
	a.Do("admin", "GET", "/api/v1/moderation/photos/99999999", nil).MustStatus(t, http.StatusNotFound)
}
