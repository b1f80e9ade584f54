package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"everymeter/domain"
)

// Shop is domain.Shop.
type Shop = domain.Shop

// Frontage is domain.Frontage.
type Frontage = domain.Frontage

// Agreement is domain.Agreement.
type Agreement = domain.Agreement

// ContactScope is whose shop contacts a read may show (the visibility policy's decision, applied in SQL): all, or
// only those of shops whose agreement is with Unit; neither blanks every contact.
type ContactScope struct {
	All  bool
	Unit *int64
}

// shopCols reads a shop s with its frontage f (on asset a), its agreement g (valid on $3, else the latest) and
// its case count; $1/$2 are the ContactScope, $3 the day agreements are judged on.
const shopCols = `s.id, s.name, s.licence,
	CASE WHEN $1::bool OR s.unit_id = $2::bigint THEN s.contact_person ELSE '' END,
	CASE WHEN $1::bool OR s.unit_id = $2::bigint THEN s.phone ELSE '' END,
	s.address, ST_AsBinary(s.geom), s.unit_id, COALESCE(su.name, ''), s.source, s.source_id,
	f.asset_id, COALESCE(a.name, ''), f.side, f.from_m, f.to_m, f.adjusted,
	g.id, g.unit_id, COALESCE(gu.name, ''), g.duties, g.signed_on::text, g.valid_from::text, g.valid_to::text, g.signed_by,
	COALESCE(g.valid_from <= $3::date AND $3::date <= g.valid_to, false),
	(SELECT count(DISTINCT e.report_id) FROM report_events e WHERE e.details ? 'shop_id' AND (e.details ->> 'shop_id')::bigint = s.id)`

const shopFrom = ` FROM shops s LEFT JOIN units su ON su.id = s.unit_id
	LEFT JOIN frontages f ON f.shop_id = s.id LEFT JOIN assets a ON a.id = f.asset_id
	LEFT JOIN LATERAL (SELECT * FROM agreements x WHERE x.shop_id = s.id
		ORDER BY (x.valid_from <= $3::date AND $3::date <= x.valid_to) DESC, x.valid_to DESC, x.id DESC LIMIT 1) g ON true
	LEFT JOIN units gu ON gu.id = g.unit_id`

func scanShop(r interface{ Scan(...any) error }) (Shop, error) {
	var sh Shop
	var g []byte
	var fAsset *int64
	var fSide *string
	var fFrom, fTo *float64
	var fAdj *bool
	var aID, aUnit *int64
	var aDuties []string
	var aSigned, aFrom, aTo, aBy *string
	var valid bool
	var street, signer string
	err := r.Scan(&sh.ID, &sh.Name, &sh.Licence, &sh.ContactPerson, &sh.Phone, &sh.Address, &g, &sh.UnitID, &sh.UnitName, &sh.Source, &sh.SourceID,
		&fAsset, &street, &fSide, &fFrom, &fTo, &fAdj, &aID, &aUnit, &signer, &aDuties, &aSigned, &aFrom, &aTo, &aBy, &valid, &sh.Cases)
	if err != nil {
		return sh, mapErr(err)
	}
	if sh.Geom, err = wkb.Unmarshal(g); err != nil {
		return sh, err
	}
	if fAsset != nil {
		sh.Frontage = &Frontage{ShopID: sh.ID, AssetID: *fAsset, Side: *fSide, FromM: *fFrom, ToM: *fTo, LengthM: *fTo - *fFrom, Adjusted: *fAdj, AssetName: street}
	}
	if aID != nil {
		sh.Agreement = &Agreement{ID: *aID, ShopID: sh.ID, UnitID: *aUnit, Duties: aDuties, SignedOn: *aSigned, ValidFrom: *aFrom, ValidTo: *aTo, SignedBy: *aBy, Valid: valid, UnitName: signer}
	}
	return sh, nil
}

func collectShops(rows pgx.Rows) ([]Shop, error) {
	out := []Shop{}
	for rows.Next() {
		sh, err := scanShop(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

// Shop returns one shop as of day (YYYY-MM-DD), its contact as sc allows.
func (s *Store) Shop(ctx context.Context, sc ContactScope, day string, id int64) (Shop, error) {
	rows, err := s.db.Query(ctx, `SELECT `+shopCols+shopFrom+` WHERE s.id = $4`, sc.All, sc.Unit, day, id)
	if err != nil {
		return Shop{}, mapErr(err)
	}
	shops, err := collectShops(rows)
	if err != nil {
		return Shop{}, err
	}
	if len(shops) == 0 {
		return Shop{}, ErrNotFound
	}
	return shops[0], nil
}

// ShopFilter selects shops: in a bbox, or fronting one street; at most Limit, by id.
type ShopFilter struct {
	BBox    *orb.Bound
	AssetID *int64
	Limit   int
}

// Shops lists shops as of day, their contacts as sc allows.
func (s *Store) Shops(ctx context.Context, sc ContactScope, day string, f ShopFilter) ([]Shop, error) {
	var env []float64
	if f.BBox != nil {
		env = []float64{f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1]}
	}
	rows, err := s.db.Query(ctx, `SELECT `+shopCols+shopFrom+`
		WHERE ($4::float8[] IS NULL OR s.geom && ST_MakeEnvelope($4[1], $4[2], $4[3], $4[4], 4326))
			AND ($5::bigint IS NULL OR f.asset_id = $5) ORDER BY s.id LIMIT $6`, sc.All, sc.Unit, day, env, f.AssetID, f.Limit)
	if err != nil {
		return nil, mapErr(err)
	}
	return collectShops(rows)
}

// SaveShop inserts a shop (ID 0) or overwrites one, and returns its id; a known source and source id updates.
func (s *Store) SaveShop(ctx context.Context, sh Shop) (int64, error) {
	var id int64
	var err error
	if sh.ID == 0 {
		err = s.db.QueryRow(ctx, `INSERT INTO shops AS t (name, licence, contact_person, phone, address, geom, unit_id, source, source_id)
			VALUES ($1, $2, $3, $4, $5, ST_GeomFromWKB($6, 4326), $7, $8, $9)
			ON CONFLICT (source, source_id) WHERE source <> '' DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom, updated_at = now()
			RETURNING t.id`, sh.Name, sh.Licence, sh.ContactPerson, sh.Phone, sh.Address, WKB(sh.Geom), sh.UnitID, sh.Source, sh.SourceID).Scan(&id)
	} else {
		err = s.db.QueryRow(ctx, `UPDATE shops SET name = $2, licence = $3, contact_person = $4, phone = $5, address = $6,
			geom = ST_GeomFromWKB($7, 4326), unit_id = $8, updated_at = now() WHERE id = $1 RETURNING id`,
			sh.ID, sh.Name, sh.Licence, sh.ContactPerson, sh.Phone, sh.Address, WKB(sh.Geom), sh.UnitID).Scan(&id)
	}
	return id, mapErr(err)
}

// DeleteShop deletes a shop (its frontage and agreements with it).
func (s *Store) DeleteShop(ctx context.Context, id int64) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM shops WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return mapErr(err)
}

// SetFrontage writes a shop's frontage (one per shop); a derived one never replaces one adjusted by hand.
func (s *Store) SetFrontage(ctx context.Context, f Frontage) error {
	_, err := s.db.Exec(ctx, `INSERT INTO frontages (shop_id, asset_id, side, from_m, to_m, adjusted) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (shop_id) DO UPDATE SET asset_id = EXCLUDED.asset_id, side = EXCLUDED.side, from_m = EXCLUDED.from_m,
			to_m = EXCLUDED.to_m, adjusted = EXCLUDED.adjusted, updated_at = now()
		WHERE EXCLUDED.adjusted OR NOT frontages.adjusted`, f.ShopID, f.AssetID, f.Side, f.FromM, f.ToM, f.Adjusted)
	return mapErr(err)
}

// CreateAgreement inserts an agreement and returns its id.
func (s *Store) CreateAgreement(ctx context.Context, a Agreement) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `INSERT INTO agreements (shop_id, unit_id, duties, signed_on, valid_from, valid_to, signed_by)
		VALUES ($1, $2, $3, $4::date, $5::date, $6::date, $7) RETURNING id`, a.ShopID, a.UnitID, a.Duties, a.SignedOn, a.ValidFrom, a.ValidTo, a.SignedBy).Scan(&id)
	return id, mapErr(err)
}

// FrontageRow is one frontage of a street with whether its shop has an agreement valid on the day asked.
type FrontageRow struct {
	AssetID int64
	ShopID  int64
	Name    string
	UnitID  *int64 // the unit of the valid agreement
	Side    string
	FromM   float64
	ToM     float64
	Valid   bool
	Cases   int
}

// FrontageRows lists the frontages of the given streets (nil: all) with their shops' validity on day, by street,
// side and start.
func (s *Store) FrontageRows(ctx context.Context, assetIDs []int64, day string) ([]FrontageRow, error) {
	rows, err := s.db.Query(ctx, `SELECT f.asset_id, s.id, s.name, g.unit_id, f.side, f.from_m, f.to_m, g.id IS NOT NULL,
			(SELECT count(DISTINCT e.report_id) FROM report_events e WHERE e.details ? 'shop_id' AND (e.details ->> 'shop_id')::bigint = s.id)
		FROM frontages f JOIN shops s ON s.id = f.shop_id
		LEFT JOIN LATERAL (SELECT x.id, x.unit_id FROM agreements x WHERE x.shop_id = s.id AND x.valid_from <= $2::date AND $2::date <= x.valid_to
			ORDER BY x.valid_to DESC, x.id DESC LIMIT 1) g ON true
		WHERE $1::bigint[] IS NULL OR f.asset_id = ANY($1)
		ORDER BY f.asset_id, f.side, f.from_m, s.id`, assetIDs, day)
	if err != nil {
		return nil, mapErr(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (FrontageRow, error) {
		var f FrontageRow
		err := r.Scan(&f.AssetID, &f.ShopID, &f.Name, &f.UnitID, &f.Side, &f.FromM, &f.ToM, &f.Valid, &f.Cases)
		return f, err
	})
}

// FrontageAt returns the id of the shop whose frontage on the street's side contains measure m (the one whose
// middle is nearest m), or ErrNotFound.
func (s *Store) FrontageAt(ctx context.Context, assetID int64, side string, m float64) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT shop_id FROM frontages WHERE asset_id = $1 AND side = $2 AND from_m <= $3 AND $3 <= to_m
		ORDER BY abs((from_m + to_m) / 2 - $3), shop_id LIMIT 1`, assetID, side, m).Scan(&id)
	return id, mapErr(err)
}

// ReportShopID returns the shop a report was filed at the frontage of (from its filing's step), or ErrNotFound.
func (s *Store) ReportShopID(ctx context.Context, reportID int64) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, `SELECT (details ->> 'shop_id')::bigint FROM report_events
		WHERE report_id = $1 AND details ? 'shop_id' ORDER BY id LIMIT 1`, reportID).Scan(&id)
	return id, mapErr(err)
}

// StreetLength is a linear asset's name and length.
type StreetLength struct {
	ID      int64
	Name    string
	LengthM float64
}

// StreetLengths returns the linear assets of the given kinds with their lengths, by id.
func (s *Store) StreetLengths(ctx context.Context, kinds []string) ([]StreetLength, error) {
	rows, err := s.db.Query(ctx, `SELECT id, name, length_m FROM assets WHERE kind = ANY($1) ORDER BY id`, kinds)
	if err != nil {
		return nil, mapErr(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StreetLength, error) {
		var x StreetLength
		return x, r.Scan(&x.ID, &x.Name, &x.LengthM)
	})
}

// LeadLengths returns, per unit, the meters of street it leads now (stored coverage pieces naming it).
func (s *Store) LeadLengths(ctx context.Context) (map[int64]float64, error) {
	rows, err := s.db.Query(ctx, `SELECT u, sum(to_m - from_m) FROM coverage_pieces, unnest(unit_ids) u
		WHERE status = ANY($1) GROUP BY u`, ownedCoverages)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[int64]float64{}
	for rows.Next() {
		var u int64
		var m float64
		if err := rows.Scan(&u, &m); err != nil {
			return nil, mapErr(err)
		}
		out[u] = m
	}
	return out, mapErr(rows.Err())
}

// LeadPiece is a stored coverage piece with lead owners: a stretch of a street and the units leading it.
type LeadPiece struct {
	AssetID    int64
	FromM, ToM float64
	UnitIDs    []int64
}

// FrontedLeadPieces returns the stored coverage pieces that have a lead owner (covered or overlap) on the streets
// some shop fronts, by street and start (a street no shop fronts adds nothing to a unit's covered meters).
func (s *Store) FrontedLeadPieces(ctx context.Context) ([]LeadPiece, error) {
	return s.leadPieces(ctx, `asset_id IN (SELECT asset_id FROM frontages)`, nil)
}

// LeadPiecesOf returns the stored coverage pieces with a lead owner on the given streets, by street and start.
func (s *Store) LeadPiecesOf(ctx context.Context, ids []int64) ([]LeadPiece, error) {
	return s.leadPieces(ctx, `asset_id = ANY($2)`, ids)
}

// OneSidedLines returns the streets on which a lead responsibility interval valid now holds on one side only
// (left or right): the stored coverage pieces, computed as one line, do not tell those sides apart.
func (s *Store) OneSidedLines(ctx context.Context) ([]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT asset_id FROM assignments WHERE side <> 'both' AND role = 'lead'
		AND (valid_from IS NULL OR valid_from <= now()) AND (valid_to IS NULL OR valid_to > now()) ORDER BY asset_id`)
	if err != nil {
		return nil, mapErr(err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// leadPieces reads the lead pieces matching where (a fixed condition; $2 is ids when given).
func (s *Store) leadPieces(ctx context.Context, where string, ids []int64) ([]LeadPiece, error) {
	args := []any{ownedCoverages}
	if ids != nil {
		args = append(args, ids)
	}
	rows, err := s.db.Query(ctx, `SELECT asset_id, from_m, to_m, unit_ids FROM coverage_pieces
		WHERE status = ANY($1) AND `+where+` ORDER BY asset_id, from_m`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (LeadPiece, error) {
		var p LeadPiece
		return p, r.Scan(&p.AssetID, &p.FromM, &p.ToM, &p.UnitIDs)
	})
}

// FrontageDuty is a shop under 门前三包 along a stretch: its frontage, the duties of its agreement valid on the
// day asked, and the street's bearing at its frontage's middle (degrees clockwise from north; nil where unknown).
type FrontageDuty struct {
	ShopID     int64
	Name, Side string
	FromM, ToM float64
	Duties     []string
	ValidTo    string
	Bearing    *float64
}

// FrontageDuties lists the shops whose frontage on the street overlaps [from, to] and whose agreement is valid
// on day, by side and start.
func (s *Store) FrontageDuties(ctx context.Context, assetID int64, from, to float64, day string) ([]FrontageDuty, error) {
	rows, err := s.db.Query(ctx, `SELECT s.id, s.name, f.side, f.from_m, f.to_m, g.duties, g.valid_to::text,
			CASE WHEN GeometryType(l.g) = 'LINESTRING' AND a.length_m > 0 THEN degrees(ST_Azimuth(
				ST_LineInterpolatePoint(l.g, GREATEST(0, LEAST(1, (f.from_m + f.to_m) / 2 / a.length_m - 0.001)))::geography,
				ST_LineInterpolatePoint(l.g, GREATEST(0, LEAST(1, (f.from_m + f.to_m) / 2 / a.length_m + 0.001)))::geography)) END
		FROM frontages f JOIN shops s ON s.id = f.shop_id JOIN assets a ON a.id = f.asset_id
		CROSS JOIN LATERAL (SELECT ST_LineMerge(a.geom) AS g) l
		JOIN LATERAL (SELECT x.duties, x.valid_to FROM agreements x WHERE x.shop_id = s.id AND x.valid_from <= $4::date AND $4::date <= x.valid_to
			ORDER BY x.valid_to DESC, x.id DESC LIMIT 1) g ON true
		WHERE f.asset_id = $1 AND f.from_m < $3 AND f.to_m > $2
		ORDER BY f.side, f.from_m, s.id`, assetID, from, to, day)
	if err != nil {
		return nil, mapErr(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (FrontageDuty, error) {
		var d FrontageDuty
		return d, r.Scan(&d.ShopID, &d.Name, &d.Side, &d.FromM, &d.ToM, &d.Duties, &d.ValidTo, &d.Bearing)
	})
}

// StreetShopRepeat is one shop's cases at its frontage, with its street.
type StreetShopRepeat struct {
	AssetID int64
	Street  string
	domain.ShopRepeat
}

// ShopRepeats counts, per shop, the reports created in [from, to) filed at its frontage (named by their filing
// step), not voided or duplicate, of unit only (nil: all); shops with at least min of them, by street, most
// first. Contacts as sc allows; agreements judged on day.
func (s *Store) ShopRepeats(ctx context.Context, sc ContactScope, day string, q domain.RepeatQuery, only *int64) ([]StreetShopRepeat, error) {
	rows, err := s.db.Query(ctx, `WITH c AS (
			SELECT (e.details ->> 'shop_id')::bigint AS shop_id, count(DISTINCT r.id) AS n
			FROM report_events e JOIN reports r ON r.id = e.report_id
			WHERE e.details ? 'shop_id' AND r.created_at >= $4 AND r.created_at < $5 AND r.status <> ALL($6)
				AND ($7::bigint IS NULL OR r.unit_id = $7)
			GROUP BY 1)
		SELECT f.asset_id, a.name, s.id, s.name,
			CASE WHEN $1::bool OR s.unit_id = $2::bigint THEN s.contact_person ELSE '' END,
			CASE WHEN $1::bool OR s.unit_id = $2::bigint THEN s.phone ELSE '' END,
			f.side, f.from_m, f.to_m, c.n, g.id
		FROM c JOIN shops s ON s.id = c.shop_id JOIN frontages f ON f.shop_id = s.id JOIN assets a ON a.id = f.asset_id
		LEFT JOIN LATERAL (SELECT x.id FROM agreements x WHERE x.shop_id = s.id AND x.valid_from <= $3::date AND $3::date <= x.valid_to
			ORDER BY x.valid_to DESC, x.id DESC LIMIT 1) g ON true
		WHERE c.n >= $8 AND ($9::bigint IS NULL OR f.asset_id = $9)
		ORDER BY f.asset_id, c.n DESC, s.id`, sc.All, sc.Unit, day, q.From, q.To, discardedStatuses, only, q.MinCount, q.AssetID)
	if err != nil {
		return nil, mapErr(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (StreetShopRepeat, error) {
		var x StreetShopRepeat
		err := r.Scan(&x.AssetID, &x.Street, &x.ShopID, &x.Name, &x.ContactPerson, &x.Phone, &x.Side, &x.FromM, &x.ToM, &x.Cases, &x.AgreementID)
		x.AgreementValid = x.AgreementID != nil
		return x, err
	})
}
