package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/vocab"
)

const publicReportCols = `p.id, p.code, p.status, p.category_code, COALESCE(c.name_zh, ''), p.description, p.address,
	ST_X(p.geom), ST_Y(p.geom), p.nickname, p.phone, p.device, p.addr, p.app_id, p.original, p.report_id, p.reason,
	p.moderator_id, p.moderated_at, p.created_at, p.updated_at`

const publicReportFrom = ` FROM public_reports p LEFT JOIN categories c ON c.code = p.category_code`

func scanPublicReport(r interface{ Scan(...any) error }) (domain.PublicReport, error) {
	var p domain.PublicReport
	var orig []byte
	err := r.Scan(&p.ID, &p.Code, &p.Status, &p.CategoryCode, &p.CategoryName, &p.Description, &p.Address,
		&p.Geom[0], &p.Geom[1], &p.Nickname, &p.Phone, &p.Device, &p.Addr, &p.AppID, &orig, &p.ReportID, &p.Reason,
		&p.ModeratorID, &p.ModeratedAt, &p.CreatedAt, &p.UpdatedAt)
	if orig != nil {
		p.Original = orig
	}
	return p, mapErr(err)
}

func (s *Store) publicReports(ctx context.Context, sql string, args ...any) ([]domain.PublicReport, error) {
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PublicReport, error) { return scanPublicReport(r) })
	if out == nil {
		out = []domain.PublicReport{}
	}
	return out, mapErr(err)
}

// InsertPublicReport queues a public report and returns it.
func (s *Store) InsertPublicReport(ctx context.Context, p domain.PublicReport) (domain.PublicReport, error) {
	return scanPublicReport(s.db.QueryRow(ctx, `WITH p AS (
			INSERT INTO public_reports (code, category_code, description, address, geom, nickname, phone, device, addr, app_id)
			VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7, $8, $9, $10, $11) RETURNING *)
		SELECT `+publicReportCols+` FROM p LEFT JOIN categories c ON c.code = p.category_code`,
		p.Code, p.CategoryCode, p.Description, p.Address, p.Geom[0], p.Geom[1], p.Nickname, p.Phone, p.Device, p.Addr, p.AppID))
}

// PublicReport returns one public report by id.
func (s *Store) PublicReport(ctx context.Context, id int64) (domain.PublicReport, error) {
	return scanPublicReport(s.db.QueryRow(ctx, `SELECT `+publicReportCols+publicReportFrom+` WHERE p.id = $1`, id))
}

// PublicReportForUpdate returns one public report, locking it for the rest of the transaction.
func (s *Store) PublicReportForUpdate(ctx context.Context, id int64) (domain.PublicReport, error) {
	return scanPublicReport(s.db.QueryRow(ctx, `SELECT `+publicReportCols+publicReportFrom+` WHERE p.id = $1 FOR UPDATE OF p`, id))
}

// PublicReportByCode returns one public report by its tracking code.
func (s *Store) PublicReportByCode(ctx context.Context, code string) (domain.PublicReport, error) {
	return scanPublicReport(s.db.QueryRow(ctx, `SELECT `+publicReportCols+publicReportFrom+` WHERE p.code = $1`, code))
}

// PublicReportsByStatus lists public reports of a status, oldest first (the queue), at most limit.
func (s *Store) PublicReportsByStatus(ctx context.Context, status string, limit int) ([]domain.PublicReport, error) {
	return s.publicReports(ctx, `SELECT `+publicReportCols+publicReportFrom+` WHERE p.status = $1 ORDER BY p.id LIMIT $2`, status, limit)
}

// PublicReportsOfCase lists the public reports that follow a case (the accepted one and those merged into it).
func (s *Store) PublicReportsOfCase(ctx context.Context, reportID int64) ([]domain.PublicReport, error) {
	return s.publicReports(ctx, `SELECT `+publicReportCols+publicReportFrom+` WHERE p.report_id = $1 ORDER BY p.id`, reportID)
}

// CountPublicReports counts the public reports (all statuses).
func (s *Store) CountPublicReports(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM public_reports`).Scan(&n)
	return n, mapErr(err)
}

// ModeratePublicReport records a moderator's decision.
func (s *Store) ModeratePublicReport(ctx context.Context, id int64, status string, reportID *int64, reason string, moderatorID *int64) error {
	_, err := s.db.Exec(ctx, `UPDATE public_reports SET status = $2, report_id = $3, reason = $4, moderator_id = $5,
		moderated_at = now(), updated_at = now() WHERE id = $1`, id, status, reportID, reason, moderatorID)
	return mapErr(err)
}

// EditPublicReport writes a moderator's correction; the first edit keeps the submission as filed in original.
func (s *Store) EditPublicReport(ctx context.Context, p domain.PublicReport) error {
	_, err := s.db.Exec(ctx, `UPDATE public_reports SET
			original = COALESCE(original, jsonb_build_object('category', category_code, 'description', description,
				'address', address, 'geometry', ST_AsGeoJSON(geom)::jsonb,
				'photos', (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', id, 'hidden', hidden) ORDER BY id), '[]'::jsonb)
					FROM public_photos WHERE public_report_id = $1))),
			category_code = $2, description = $3, address = $4, geom = ST_SetSRID(ST_MakePoint($5, $6), 4326), updated_at = now()
		WHERE id = $1`, p.ID, p.CategoryCode, p.Description, p.Address, p.Geom[0], p.Geom[1])
	return mapErr(err)
}

const publicPhotoCols = `id, public_report_id, sha256, content_type, bytes, width, height, ST_X(exif_geom), ST_Y(exif_geom), hidden, photo_id, created_at`

func scanPublicPhoto(r interface{ Scan(...any) error }) (domain.PublicPhoto, error) {
	var p domain.PublicPhoto
	var x, y *float64
	err := r.Scan(&p.ID, &p.PublicReportID, &p.SHA256, &p.ContentType, &p.Bytes, &p.Width, &p.Height, &x, &y, &p.Hidden, &p.PhotoID, &p.CreatedAt)
	if x != nil && y != nil {
		p.ExifPoint = &orb.Point{*x, *y}
	}
	return p, mapErr(err)
}

// AddPublicPhoto records a photo of a public report (the same file twice is kept once).
func (s *Store) AddPublicPhoto(ctx context.Context, p domain.PublicPhoto) error {
	var x, y *float64
	if p.ExifPoint != nil {
		x, y = &p.ExifPoint[0], &p.ExifPoint[1]
	}
	_, err := s.db.Exec(ctx, `INSERT INTO public_photos (public_report_id, sha256, content_type, bytes, width, height, exif_geom)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($7, $8), 4326) END)
		ON CONFLICT (public_report_id, sha256) DO NOTHING`, p.PublicReportID, p.SHA256, p.ContentType, p.Bytes, p.Width, p.Height, x, y)
	return mapErr(err)
}

// PublicPhotos lists the photos of a public report, oldest first.
func (s *Store) PublicPhotos(ctx context.Context, publicReportID int64) ([]domain.PublicPhoto, error) {
	rows, err := s.db.Query(ctx, `SELECT `+publicPhotoCols+` FROM public_photos WHERE public_report_id = $1 ORDER BY id`, publicReportID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PublicPhoto, error) { return scanPublicPhoto(r) })
	if out == nil {
		out = []domain.PublicPhoto{}
	}
	return out, mapErr(err)
}

// PublicPhoto returns one photo of a public report.
func (s *Store) PublicPhoto(ctx context.Context, id int64) (domain.PublicPhoto, error) {
	return scanPublicPhoto(s.db.QueryRow(ctx, `SELECT `+publicPhotoCols+` FROM public_photos WHERE id = $1`, id))
}

// LinkPublicPhoto records the case photo made of a public photo.
func (s *Store) LinkPublicPhoto(ctx context.Context, id, photoID int64) error {
	_, err := s.db.Exec(ctx, `UPDATE public_photos SET photo_id = $2 WHERE id = $1`, id, photoID)
	return mapErr(err)
}

// HidePublicPhoto hides a public photo, and deletes the case photo made of it (a hidden photo is never served).
func (s *Store) HidePublicPhoto(ctx context.Context, id int64) (domain.PublicPhoto, error) {
	p, err := scanPublicPhoto(s.db.QueryRow(ctx, `UPDATE public_photos SET hidden = true WHERE id = $1 RETURNING `+publicPhotoCols, id))
	if err != nil || p.PhotoID == nil {
		return p, err
	}
	_, err = s.db.Exec(ctx, `DELETE FROM photos WHERE id = $1`, *p.PhotoID)
	return p, mapErr(err)
}

// PublishedPhotoIDs lists the photos of a case a tracking page shows: those made of the residents' photos
// (never hidden ones: hiding deletes them) and the after photos of its resolutions.
func (s *Store) PublishedPhotoIDs(ctx context.Context, reportID int64) ([]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT ph.id FROM photos ph
		WHERE ph.report_id = $1 AND (
			EXISTS (SELECT 1 FROM public_photos pp WHERE pp.photo_id = ph.id AND NOT pp.hidden)
			OR EXISTS (SELECT 1 FROM report_events e WHERE e.report_id = $1 AND e.action = 'resolve' AND e.photo_id = ph.id))
		ORDER BY ph.id`, reportID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if out == nil {
		out = []int64{}
	}
	return out, mapErr(err)
}

// NearbyOpenCases lists open cases within radius meters of a point, nearest first, with their distance in
// meters on the ellipsoid (the suggestions shown before a resident submits).
func (s *Store) NearbyOpenCases(ctx context.Context, p orb.Point, radius float64, category string, limit int) ([]domain.NearbyCase, error) {
	rows, err := s.db.Query(ctx, `WITH pin AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g)
		SELECT c.name_zh, r.status, ST_Distance(r.geom::geography, pin.g::geography), r.created_at
		FROM pin, reports r JOIN categories c ON c.code = r.category_code
		WHERE r.geom && ST_Expand(pin.g, $3 / 110000.0 / GREATEST(cos(radians($2)), 0.01))
			AND ST_DWithin(r.geom::geography, pin.g::geography, $3)
			AND r.status IN `+openStatusList+` AND ($4 = '' OR r.category_code = $4)
		ORDER BY 3, r.id LIMIT $5`, p[0], p[1], radius, category, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.NearbyCase, error) {
		var n domain.NearbyCase
		err := r.Scan(&n.CategoryName, &n.Status, &n.DistanceM, &n.CreatedAt)
		return n, err
	})
	if out == nil {
		out = []domain.NearbyCase{}
	}
	return out, mapErr(err)
}

// Blocked reports whether any of the (kind, value) pairs is on the block list (empty values never are).
func (s *Store) Blocked(ctx context.Context, phone, device string) (bool, error) {
	var b bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM public_blocks
		WHERE (kind = $3 AND value = $1 AND $1 <> '') OR (kind = $4 AND value = $2 AND $2 <> ''))`,
		phone, device, vocab.BlockPhone, vocab.BlockDevice).Scan(&b)
	return b, mapErr(err)
}

// AddBlock puts a phone or device on the block list (again: the existing entry).
func (s *Store) AddBlock(ctx context.Context, b domain.PublicBlock, by *int64) (domain.PublicBlock, error) {
	err := s.db.QueryRow(ctx, `INSERT INTO public_blocks (kind, value, reason, created_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind, value) DO UPDATE SET reason = EXCLUDED.reason RETURNING id, kind, value, reason, created_at`,
		b.Kind, b.Value, b.Reason, by).Scan(&b.ID, &b.Kind, &b.Value, &b.Reason, &b.CreatedAt)
	return b, mapErr(err)
}

// Blocks lists the block list, newest first.
func (s *Store) Blocks(ctx context.Context) ([]domain.PublicBlock, error) {
	rows, err := s.db.Query(ctx, `SELECT id, kind, value, reason, created_at FROM public_blocks ORDER BY id DESC LIMIT 1000`)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PublicBlock, error) {
		var b domain.PublicBlock
		err := r.Scan(&b.ID, &b.Kind, &b.Value, &b.Reason, &b.CreatedAt)
		return b, err
	})
	if out == nil {
		out = []domain.PublicBlock{}
	}
	return out, mapErr(err)
}

// DeleteBlock removes a block list entry; ErrNotFound if there is none.
func (s *Store) DeleteBlock(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM public_blocks WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return mapErr(err)
}

// Rating is one stored satisfaction rating.
type Rating struct {
	Rating   string
	ClosedAt time.Time
	At       time.Time
}

// Ratings lists the ratings a public report gave, oldest first.
func (s *Store) Ratings(ctx context.Context, publicReportID int64) ([]Rating, error) {
	rows, err := s.db.Query(ctx, `SELECT rating, closed_at, at FROM satisfaction WHERE public_report_id = $1 ORDER BY id`, publicReportID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Rating, error) {
		var x Rating
		err := r.Scan(&x.Rating, &x.ClosedAt, &x.At)
		return x, err
	})
	return out, mapErr(err)
}

// AddRating records a rating of one closing; ErrConflict when that closing was rated already.
func (s *Store) AddRating(ctx context.Context, publicReportID, reportID int64, unitID *int64, rating string, closedAt time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO satisfaction (public_report_id, report_id, unit_id, rating, closed_at)
		VALUES ($1, $2, $3, $4, $5)`, publicReportID, reportID, unitID, rating, closedAt)
	return mapErr(err)
}

// UnitSatisfaction counts, per unit, the ratings given in [from, to): all of them and the satisfied or basically
// satisfied ones.
func (s *Store) UnitSatisfaction(ctx context.Context, from, to time.Time) (map[int64][2]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT unit_id, count(*), count(*) FILTER (WHERE rating = ANY($3))
		FROM satisfaction WHERE unit_id IS NOT NULL AND at >= $1 AND at < $2 GROUP BY unit_id`, from, to, vocab.Strings(vocab.ContentRatings))
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[int64][2]int64{}
	for rows.Next() {
		var id, n, ok int64
		if err := rows.Scan(&id, &n, &ok); err != nil {
			return nil, mapErr(err)
		}
		out[id] = [2]int64{n, ok}
	}
	return out, mapErr(rows.Err())
}

// CreateCitizenApp records a citizen app with the hash of its key.
func (s *Store) CreateCitizenApp(ctx context.Context, name string, keyHash []byte) (domain.CitizenApp, error) {
	var a domain.CitizenApp
	err := s.db.QueryRow(ctx, `INSERT INTO citizen_apps (name, key_hash) VALUES ($1, $2) RETURNING id, name, revoked_at, created_at`,
		name, keyHash).Scan(&a.ID, &a.Name, &a.RevokedAt, &a.CreatedAt)
	return a, mapErr(err)
}

// CitizenAppByKey returns the unrevoked app whose key has this hash; ErrNotFound otherwise.
func (s *Store) CitizenAppByKey(ctx context.Context, keyHash []byte) (domain.CitizenApp, error) {
	var a domain.CitizenApp
	err := s.db.QueryRow(ctx, `SELECT id, name, revoked_at, created_at FROM citizen_apps WHERE key_hash = $1 AND revoked_at IS NULL`,
		keyHash).Scan(&a.ID, &a.Name, &a.RevokedAt, &a.CreatedAt)
	return a, mapErr(err)
}

// CitizenApps lists the citizen apps, newest first.
func (s *Store) CitizenApps(ctx context.Context) ([]domain.CitizenApp, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name, revoked_at, created_at FROM citizen_apps ORDER BY id DESC`)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.CitizenApp, error) {
		var a domain.CitizenApp
		err := r.Scan(&a.ID, &a.Name, &a.RevokedAt, &a.CreatedAt)
		return a, err
	})
	if out == nil {
		out = []domain.CitizenApp{}
	}
	return out, mapErr(err)
}

// RevokeCitizenApp revokes an app's key; ErrNotFound for an unknown or already revoked app.
func (s *Store) RevokeCitizenApp(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, `UPDATE citizen_apps SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return mapErr(err)
}
