package store

import (
	"context"

	"everymeter/domain"
)

// PublicPhotoByID returns one photo of a public report, hidden or not.
func (s *Store) PublicPhotoByID(ctx context.Context, id int64) (domain.PublicPhoto, error) {
	return scanPublicPhoto(s.db.QueryRow(ctx, `SELECT `+publicPhotoCols+` FROM public_photos WHERE id = $1`, id))
}
