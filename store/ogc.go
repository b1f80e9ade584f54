package store

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"

	"everymeter/domain"
)

// OGCCollection is one OGC API – Features collection: what clients see of it (domain.OGCCollection) and the SQL
// that reads it. Its SQL parts are constants written in this file; nothing of them comes from a request.
type OGCCollection struct {
	domain.OGCCollection
	exprs []string // SQL expression of each of Props, in order

	from string // FROM clause; the row alias is t, the geometry (EPSG:4326) is column g of it or a lateral
	cond string // constant condition
	geom string // geometry expression in EPSG:4326
	idx  string // expression for the && bbox test that an index can serve (defaults to geom)
	unit string // the unit column of a collection of cases, for the visibility policy's unit limit
}

// ogcProp is a property with its SQL expression, as the table below writes it.
type ogcProp struct {
	Name   string
	Type   string
	Filter bool
	expr   string
}

// ogcDef is a collection as the table below writes it.
type ogcDef struct {
	ID, Title, Description, GeometryType string
	Props                                []ogcProp
	Temporal, StringIDs, Patrols         bool
	from, cond, geom, idx, unit          string
}

func (d ogcDef) collection() *OGCCollection {
	c := &OGCCollection{OGCCollection: domain.OGCCollection{ID: d.ID, Title: d.Title, Description: d.Description,
		GeometryType: d.GeometryType, Temporal: d.Temporal, StringIDs: d.StringIDs, Cases: d.unit != "", Patrols: d.Patrols},
		from: d.from, cond: d.cond, geom: d.geom, idx: d.idx, unit: d.unit}
	for _, p := range d.Props {
		c.Props = append(c.Props, domain.OGCProp{Name: p.Name, Type: p.Type, Filter: p.Filter})
		c.exprs = append(c.exprs, p.expr)
	}
	return c
}

// Feature property expressions shared by the asset collections.
var assetProps = []ogcProp{
	{Name: "name", Type: "string", Filter: true, expr: "t.name"},
	{Name: "kind", Type: "string", expr: "t.kind"},
	{Name: "length_m", Type: "number", expr: "t.length_m"},
	{Name: "area_m", Type: "number", expr: "t.area_m"},
	{Name: "source", Type: "string", Filter: true, expr: "t.source"},
	{Name: "source_id", Type: "string", Filter: true, expr: "t.source_id"},
	{Name: "attributes", Type: "object", expr: "t.attributes"},
	{Name: "created_at", Type: "date-time", expr: "t.created_at"},
	{Name: "updated_at", Type: "date-time", expr: "t.updated_at"},
}

var pieceProps = []ogcProp{
	{Name: "asset_id", Type: "integer", Filter: true, expr: "t.asset_id"},
	{Name: "asset_name", Type: "string", Filter: true, expr: "a.name"},
	{Name: "kind", Type: "string", Filter: true, expr: "a.kind"},
	{Name: "from_m", Type: "number", expr: "t.from_m"},
	{Name: "to_m", Type: "number", expr: "t.to_m"},
	{Name: "length_m", Type: "number", expr: "t.to_m - t.from_m"},
	{Name: "status", Type: "string", expr: "t.status"},
	{Name: "unit_ids", Type: "array", expr: "t.unit_ids"},
}

// outstandingReports keeps the reports still waiting for someone (vocab.OpenStatuses), written out like the
// duplicate search's so reports_open_dup_idx serves the layers' bbox scans as well.
var outstandingReports = `t.status IN ` + openStatusList

// OGCCollections lists the collections in the order the landing page shows them.
var OGCCollections = collections([]ogcDef{
	assetCollection("road", "Roads (主次干道)", "LineString"),
	assetCollection("alley", "Back alleys (背街小巷)", "LineString"),
	assetCollection("market", "Markets (集贸市场)", "Polygon"),
	assetCollection("park", "Parks (小游园)", "Polygon"),
	{
		ID: "zones", Title: "Responsibility zones (责任区)", GeometryType: "MultiPolygon", Temporal: true,
		Description: "Polygons drawn by planners: inside a zone its unit leads (or supports) every linear asset.",
		from:        "zones t JOIN units u ON u.id = t.unit_id", cond: "true", geom: "t.geom",
		Props: []ogcProp{
			{Name: "name", Type: "string", Filter: true, expr: "t.name"},
			{Name: "unit_id", Type: "integer", Filter: true, expr: "t.unit_id"},
			{Name: "unit_name", Type: "string", Filter: true, expr: "u.name"},
			{Name: "role", Type: "string", Filter: true, expr: "t.role"},
			{Name: "kind", Type: "string", Filter: true, expr: "t.kind"},
			{Name: "valid_from", Type: "date-time", expr: "t.valid_from"},
			{Name: "valid_to", Type: "date-time", expr: "t.valid_to"},
			{Name: "created_at", Type: "date-time", expr: "t.created_at"},
			{Name: "updated_at", Type: "date-time", expr: "t.updated_at"},
		},
	},
	{
		ID: "assignments", Title: "Assignments (路段分包)", GeometryType: "LineString", Temporal: true,
		Description: "Meter ranges of roads and alleys given to a unit, drawn as the stretch of the centreline they cover.",
		from: `assignments t JOIN assets a ON a.id = t.asset_id JOIN units u ON u.id = t.unit_id
			CROSS JOIN LATERAL (SELECT em_line_sub(a.geom, t.from_m, t.to_m) AS g) s`,
		cond: "ST_Dimension(a.geom) = 1", geom: "s.g", idx: "a.geom",
		Props: []ogcProp{
			{Name: "asset_id", Type: "integer", Filter: true, expr: "t.asset_id"},
			{Name: "asset_name", Type: "string", Filter: true, expr: "a.name"},
			{Name: "kind", Type: "string", Filter: true, expr: "a.kind"},
			{Name: "unit_id", Type: "integer", Filter: true, expr: "t.unit_id"},
			{Name: "unit_name", Type: "string", Filter: true, expr: "u.name"},
			{Name: "from_m", Type: "number", expr: "t.from_m"},
			{Name: "to_m", Type: "number", expr: "t.to_m"},
			{Name: "role", Type: "string", Filter: true, expr: "t.role"},
			{Name: "person", Type: "string", Filter: true, expr: "t.person"},
			{Name: "phone", Type: "string", expr: "t.phone"},
			{Name: "valid_from", Type: "date-time", expr: "t.valid_from"},
			{Name: "valid_to", Type: "date-time", expr: "t.valid_to"},
			{Name: "created_at", Type: "date-time", expr: "t.created_at"},
			{Name: "updated_at", Type: "date-time", expr: "t.updated_at"},
		},
	},
	{
		ID: "gaps", Title: "Coverage gaps (无人负责)", GeometryType: "LineString", StringIDs: true,
		Description: "Stretches of roads and alleys that no unit leads, as computed by the coverage engine.",
		from:        "coverage_pieces t JOIN assets a ON a.id = t.asset_id", cond: "t.status = 'gap'", geom: "t.geom",
		Props: pieceProps,
	},
	{
		ID: "overlaps", Title: "Coverage overlaps (多头负责)", GeometryType: "LineString", StringIDs: true,
		Description: "Stretches of roads and alleys that two or more units lead.",
		from:        "coverage_pieces t JOIN assets a ON a.id = t.asset_id", cond: "t.status = 'overlap'", geom: "t.geom",
		Props: pieceProps,
	},
	{
		ID: "reports", Title: "Outstanding reports (待办案卷)", GeometryType: "Point", Temporal: true,
		Description: "Problems reported and not yet closed, voided or merged as duplicates.",
		from:        "reports t LEFT JOIN units u ON u.id = t.unit_id", cond: outstandingReports, geom: "t.geom", unit: "t.unit_id",
		Props: []ogcProp{
			{Name: "category", Type: "string", Filter: true, expr: "t.category_code"},
			{Name: "status", Type: "string", Filter: true, expr: "t.status"},
			{Name: "urgency", Type: "string", Filter: true, expr: "t.urgency"},
			{Name: "description", Type: "string", expr: "t.description"},
			{Name: "address", Type: "string", expr: "t.address"},
			{Name: "asset_id", Type: "integer", Filter: true, expr: "t.asset_id"},
			{Name: "unit_id", Type: "integer", Filter: true, expr: "t.unit_id"},
			{Name: "unit_name", Type: "string", Filter: true, expr: "u.name"},
			{Name: "deadline", Type: "date-time", expr: "t.deadline"},
			{Name: "created_at", Type: "date-time", expr: "t.created_at"},
			{Name: "updated_at", Type: "date-time", expr: "t.updated_at"},
		},
	},
	staleCollection,
})

// collections builds the list.
func collections(defs []ogcDef) []*OGCCollection {
	out := make([]*OGCCollection, len(defs))
	for i, d := range defs {
		out[i] = d.collection()
	}
	return out
}

func assetCollection(kind, title, geomType string) ogcDef {
	return ogcDef{
		ID: kind, Title: title, GeometryType: geomType, Temporal: true,
		Description: "Assets of kind " + kind + ".",
		from:        "assets t", cond: "t.kind = '" + kind + "'", geom: "t.geom", Props: assetProps,
	}
}

// OGCCollectionByID returns a collection, or nil.
func OGCCollectionByID(id string) *OGCCollection {
	for _, c := range OGCCollections {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// OGCKey is domain.OGCKey (the definition moved to package domain).
type OGCKey = domain.OGCKey

func (c *OGCCollection) keyCols() string {
	if c.StringIDs {
		return "t.asset_id, t.from_m"
	}
	return "t.id"
}

func (c *OGCCollection) idExpr() string {
	if c.StringIDs {
		return "t.asset_id::text || '_' || t.from_m::text"
	}
	return "t.id"
}

// keyCond adds "key op cursor" to w.
func (c *OGCCollection) keyCond(w *where, op string, k OGCKey) {
	if c.StringIDs {
		w.add("(t.asset_id, t.from_m) "+op+" ($%d, $%d)", k.ID, k.FromM)
	} else {
		w.add("t.id "+op+" $%d", k.ID)
	}
}

// OGCQuery is domain.OGCQuery (the definition moved to package domain).
type OGCQuery = domain.OGCQuery

// OGCPage is domain.OGCPage (the definition moved to package domain).
type OGCPage = domain.OGCPage

func (c *OGCCollection) filters(q OGCQuery) (*where, error) {
	w := &where{}
	w.conds = append(w.conds, c.cond)
	c.limitUnit(w, q.OnlyUnit)
	if q.BBox != nil {
		idx := c.idx
		if idx == "" {
			idx = c.geom
		}
		w.add(idx+" && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", q.BBox.Min[0], q.BBox.Min[1], q.BBox.Max[0], q.BBox.Max[1])
		if c.idx != "" {
			w.add(c.geom+" && ST_MakeEnvelope($%d, $%d, $%d, $%d, 4326)", q.BBox.Min[0], q.BBox.Min[1], q.BBox.Max[0], q.BBox.Max[1])
		}
	}
	if q.Start != nil || q.End != nil {
		if !c.Temporal {
			return nil, fmt.Errorf("%w: collection %s has no time", ErrInvalid, c.ID)
		}
		if q.End != nil {
			w.add("t.created_at <= $%d", *q.End)
		}
		if q.Start != nil {
			w.add("t.updated_at >= $%d", *q.Start)
		}
	}
	for name := range q.Filters {
		if p := c.Prop(name); p == nil || !p.Filter {
			return nil, fmt.Errorf("%w: %s is not a filterable property of %s", ErrInvalid, name, c.ID)
		}
	}
	// In the collection's property order, so that the same filters always make the same SQL text (one
	// prepared statement per shape on each connection).
	for i, p := range c.Props {
		expr := c.exprs[i]
		v, ok := q.Filters[p.Name]
		if !ok {
			continue
		}
		switch p.Type {
		case "integer":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %s must be an integer", ErrInvalid, p.Name)
			}
			w.add(expr+" = $%d", n)
		case "number":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %s must be a number", ErrInvalid, p.Name)
			}
			w.add(expr+" = $%d", f)
		default:
			w.add(expr+" = $%d", v)
		}
	}
	return w, nil
}

// featureSQL is the expression that makes PostGIS write a row's GeoJSON Feature as text. The frame is
// concatenated rather than built by json_build_object, which would parse ST_AsGeoJSON's text back into
// json (a second pass over every coordinate) only to print it again.
func (c *OGCCollection) featureSQL(w *where, srid int, flip bool) string {
	g := c.geom
	if srid != 4326 {
		g = fmt.Sprintf("ST_Transform(%s, $%d::int)", g, len(w.args)+1)
		w.args = append(w.args, srid)
	}
	if flip {
		g = "ST_FlipCoordinates(" + g + ")"
	}
	var props strings.Builder
	for i, p := range c.Props {
		if i > 0 {
			props.WriteString(", ")
		}
		props.WriteString("'" + p.Name + "', " + c.exprs[i])
	}
	id := c.idExpr() + "::text"
	if c.StringIDs { // digits, '_', '.', '-', 'e': nothing to escape
		id = `'"' || ` + c.idExpr() + ` || '"'`
	}
	return `'{"type":"Feature","id":' || ` + id + ` || ',"geometry":' || coalesce(ST_AsGeoJSON(` + g +
		`, 9), 'null') || ',"properties":' || json_build_object(` + props.String() + `)::text || '}'`
}

// OGCItemsSQL returns the one statement OGCItems runs and its arguments (exported so that benchmarks run
// the bare SQL). Its single row is: the number of features read (at most limit+1: more than limit means
// there are more), numberMatched (-1 when q.NoMatched), the first key of the page (ID, FromM), its last
// key, and the page's features as GeoJSON texts joined by commas in key order — the inside of the answer's
// "features" array, which Go copies through without decoding.
func (c *OGCCollection) OGCItemsSQL(q OGCQuery) (string, []any, error) {
	w, err := c.filters(q)
	if err != nil {
		return "", nil, err
	}
	count := "-1::bigint"
	if !q.NoMatched {
		// The same filters, without the cursor: a count of index entries, small beside writing the page.
		count = `(SELECT count(*) FROM ` + c.from + ` WHERE ` + w.sql() + `)`
		if q.After == nil && q.Before == nil {
			// A first page that holds every feature has counted them already: no second scan.
			count = `CASE WHEN p.n <= $%[1]d THEN p.n ELSE ` + count + ` END`
		}
	}
	// rn numbers the rows in reading order; keyOrder and backOrder sort them in key order and against it.
	order, keyOrder, backOrder := "ASC", "rn", "rn DESC"
	switch {
	case q.After != nil:
		c.keyCond(w, ">", *q.After)
	case q.Before != nil:
		c.keyCond(w, "<", *q.Before)
		order, keyOrder, backOrder = "DESC", "rn DESC", "rn" // read backwards from the cursor, write in key order
	}
	feature := c.featureSQL(w, q.SRID, q.FlipAxes)
	orderBy := strings.ReplaceAll(c.keyCols(), ",", " "+order+",") + " " + order
	w.args = append(w.args, q.Limit)
	// end is a key column of the first feature of the page in the given order.
	end := func(col, order string) string {
		return `(array_agg(` + col + ` ORDER BY ` + order + `) FILTER (WHERE rn <= $%[1]d))[1]`
	}
	cols, ends := "t.id AS k1", end("k1", keyOrder)+", 0::float8, "+end("k1", backOrder)+", 0::float8"
	if c.StringIDs {
		cols = "t.asset_id AS k1, t.from_m AS k2"
		ends = end("k1", keyOrder) + ", " + end("k2", keyOrder) + ", " + end("k1", backOrder) + ", " + end("k2", backOrder)
	}
	sql := `SELECT p.n, ` + count + `, p.a1, p.a2, p.z1, p.z2, p.features FROM (
		SELECT count(*), ` + ends + `, string_agg(f, ',' ORDER BY ` + keyOrder + `) FILTER (WHERE rn <= $%[1]d)
		FROM (SELECT ` + cols + `, row_number() OVER (ORDER BY ` + orderBy + `) AS rn, ` + feature + ` AS f
			FROM ` + c.from + ` WHERE ` + w.sql() + ` ORDER BY ` + orderBy + ` LIMIT $%[1]d + 1) s
	) p(n, a1, a2, z1, z2, features)`
	return fmt.Sprintf(sql, len(w.args)), w.args, nil
}

// OGCItems appends one page of a collection's features, in key order, to features: their GeoJSON texts
// as PostGIS wrote them, joined by commas (the inside of a "features" array). It returns what the page's
// frame and links need.
func (s *Store) OGCItems(ctx context.Context, c *OGCCollection, q OGCQuery, features *bytes.Buffer) (OGCPage, error) {
	page := OGCPage{Matched: -1}
	sql, args, err := c.OGCItemsSQL(q)
	if err != nil {
		return page, err
	}
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return page, mapErr(err)
	}
	defer rows.Close()
	if !rows.Next() {
		return page, mapErr(rows.Err())
	}
	var n int64
	var a1, z1 *int64
	var a2, z2 *float64
	var body pgtype.DriverBytes // pgx's read buffer, valid until the next row: copied once, into features
	if err := rows.Scan(&n, &page.Matched, &a1, &a2, &z1, &z2, &body); err != nil {
		return page, mapErr(err)
	}
	features.Write(body)
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, mapErr(err)
	}
	page.Returned = int(min(n, int64(q.Limit)))
	page.More = n > int64(q.Limit)
	if a1 != nil && a2 != nil && z1 != nil && z2 != nil {
		page.First, page.Last = OGCKey{ID: *a1, FromM: *a2}, OGCKey{ID: *z1, FromM: *z2}
	}
	return page, nil
}

// limitUnit adds the visibility policy's unit limit to a query of a collection of cases (only nil: no limit).
func (c *OGCCollection) limitUnit(w *where, only *int64) {
	if only != nil && c.unit != "" {
		w.add(c.unit+" = $%d", *only)
	}
}

// OGCItem returns one feature of a collection as GeoJSON, or ErrNotFound; only limits a collection of cases to
// one unit's reports (nil: every unit).
func (s *Store) OGCItem(ctx context.Context, c *OGCCollection, k OGCKey, srid int, flip bool, only *int64) ([]byte, error) {
	w := &where{}
	w.conds = append(w.conds, c.cond)
	c.limitUnit(w, only)
	if c.StringIDs {
		w.add("t.asset_id = $%d AND t.from_m = $%d", k.ID, k.FromM)
	} else {
		w.add("t.id = $%d", k.ID)
	}
	feature := c.featureSQL(w, srid, flip)
	var f []byte
	err := s.db.QueryRow(ctx, `SELECT `+feature+` FROM `+c.from+` WHERE `+w.sql(), w.args...).Scan(&f)
	return f, mapErr(err)
}

// OGCExtent is domain.OGCExtent (the definition moved to package domain).
type OGCExtent = domain.OGCExtent

// OGCExtent computes a collection's extent; only limits a collection of cases to one unit's reports.
func (s *Store) OGCExtent(ctx context.Context, c *OGCCollection, only *int64) (OGCExtent, error) {
	var e OGCExtent
	var minx, miny, maxx, maxy *float64
	temporal := "NULL::timestamptz, NULL::timestamptz"
	if c.Temporal {
		temporal = "min(t.created_at), max(t.updated_at)"
	}
	w := &where{}
	w.conds = append(w.conds, c.cond)
	c.limitUnit(w, only)
	err := s.db.QueryRow(ctx, `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x), s, e FROM (
		SELECT ST_Extent(`+c.geom+`)::box2d AS x, `+temporal+` FROM `+c.from+` WHERE `+w.sql()+`) q(x, s, e)`, w.args...).
		Scan(&minx, &miny, &maxx, &maxy, &e.Start, &e.End)
	if err != nil {
		return e, mapErr(err)
	}
	if minx != nil {
		e.BBox = &orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}
	}
	return e, nil
}

// OGCTableExists reports whether the table a collection reads exists (collections of features not yet
// migrated in are hidden rather than failing).
func (s *Store) OGCTableExists(ctx context.Context, c *OGCCollection) (bool, error) {
	table, _, _ := strings.Cut(c.from, " ")
	var ok bool
	err := s.db.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&ok)
	return ok, mapErr(err)
}

// ---- API keys

// APIKey is domain.APIKey (the definition moved to package domain).
type APIKey = domain.APIKey

// CreateAPIKey stores the hash of a new key for a user.
func (s *Store) CreateAPIKey(ctx context.Context, userID int64, name string, hash []byte) (APIKey, error) {
	var k APIKey
	err := s.db.QueryRow(ctx, `INSERT INTO api_keys (user_id, key_hash, name) VALUES ($1, $2, $3)
		RETURNING id, user_id, name, created_at, revoked_at`, userID, hash, name).
		Scan(&k.ID, &k.UserID, &k.Name, &k.CreatedAt, &k.RevokedAt)
	return k, mapErr(err)
}

// APIKeys lists a user's keys, newest first.
func (s *Store) APIKeys(ctx context.Context, userID int64) ([]APIKey, error) {
	rows, err := s.db.Query(ctx, `SELECT id, user_id, name, created_at, revoked_at FROM api_keys WHERE user_id = $1 ORDER BY id DESC`, userID)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIKey, error) {
		var k APIKey
		err := r.Scan(&k.ID, &k.UserID, &k.Name, &k.CreatedAt, &k.RevokedAt)
		return k, err
	})
	return out, mapErr(err)
}

// RevokeAPIKey revokes one of a user's keys and returns its hash; ErrNotFound when the user has no such live key.
func (s *Store) RevokeAPIKey(ctx context.Context, userID, id int64) ([]byte, error) {
	var h []byte
	err := s.db.QueryRow(ctx, `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
		RETURNING key_hash`, id, userID).Scan(&h)
	return h, mapErr(err)
}

// APIKeyUser returns the enabled user owning a live key with this hash.
func (s *Store) APIKeyUser(ctx context.Context, hash []byte) (User, error) {
	return scanUser(s.db.QueryRow(ctx, `SELECT u.id, u.username, u.password_hash, u.role, u.unit_id, u.disabled, u.created_at
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND NOT u.disabled`, hash))
}
