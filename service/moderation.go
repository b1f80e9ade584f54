package service

import (
	"context"

	"everymeter/domain"
)

// QueuedPhoto returns a photo of a public report for moderators — hidden ones too, since a moderator decides on
// them — and its file's path: the moderation screen shows what a resident sent before anything is published.
func (c *Citizens) QueuedPhoto(ctx context.Context, who Who, photoID int64, thumb bool) (domain.Photo, string, error) {
	if err := moderator(who); err != nil {
		return domain.Photo{}, "", err
	}
	p, err := c.Reports.Store.PublicPhotoByID(ctx, photoID)
	if err != nil {
		return domain.Photo{}, "", err
	}
	ph := domain.Photo{ID: p.ID, SHA256: p.SHA256, ContentType: p.ContentType, Bytes: p.Bytes, Width: p.Width, Height: p.Height, CreatedAt: p.CreatedAt}
	return ph, c.Reports.PhotoPath(p.SHA256, thumb), nil
}
