package store

import (
	"context"

	"github.com/paulmach/orb"

	"everymeter/domain"
)

// Photo is domain.Photo (the definition moved to package domain).
type Photo = domain.Photo

const photoCols = `id, report_id, sha256, content_type, bytes, width, height, ST_X(exif_geom), ST_Y(exif_geom), uploader_id, created_at`

func scanPhoto(r interface{ Scan(...any) error }) (Photo, error) {
	var p Photo
	var x, y *float64
	err := r.Scan(&p.ID, &p.ReportID, &p.SHA256, &p.ContentType, &p.Bytes, &p.Width, &p.Height, &x, &y, &p.UploaderID, &p.CreatedAt)
	if x != nil && y != nil {
		p.ExifPoint = &orb.Point{*x, *y}
	}
	return p, mapErr(err)
}

// AddPhoto records a photo of a report; the same file attached twice to one report yields the first row
// (created false).
func (s *Store) AddPhoto(ctx context.Context, p Photo) (Photo, bool, error) {
	var x, y *float64
	if p.ExifPoint != nil {
		x, y = &p.ExifPoint[0], &p.ExifPoint[1]
	}
	out, err := scanPhoto(s.db.QueryRow(ctx, `INSERT INTO photos (report_id, sha256, content_type, bytes, width, height, exif_geom, uploader_id)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($7, $8), 4326) END, $9)
		ON CONFLICT (report_id, sha256) DO NOTHING RETURNING `+photoCols,
		p.ReportID, p.SHA256, p.ContentType, p.Bytes, p.Width, p.Height, x, y, p.UploaderID))
	if err == ErrNotFound {
		out, err = scanPhoto(s.db.QueryRow(ctx, `SELECT `+photoCols+` FROM photos WHERE report_id = $1 AND sha256 = $2`, p.ReportID, p.SHA256))
		return out, false, err
	}
	return out, err == nil, err
}

// Photo returns one photo's metadata.
func (s *Store) Photo(ctx context.Context, id int64) (Photo, error) {
	return scanPhoto(s.db.QueryRow(ctx, `SELECT `+photoCols+` FROM photos WHERE id = $1`, id))
}

// PhotosOf lists a report's photos, oldest first.
func (s *Store) PhotosOf(ctx context.Context, reportID int64) ([]Photo, error) {
	rows, err := s.db.Query(ctx, `SELECT `+photoCols+` FROM photos WHERE report_id = $1 ORDER BY id`, reportID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Photo{}
	for rows.Next() {
		p, err := scanPhoto(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, mapErr(rows.Err())
}
