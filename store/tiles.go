package store

import (
	"context"
	"math"
	"strconv"

	"github.com/paulmach/orb/maptile"

	"everymeter/domain"
)

// TileExtent and TileBuffer are the MVT grid size and the buffer around a tile, in tile units.
const (
	TileExtent = domain.TileExtent
	TileBuffer = domain.TileBuffer
)

// GeneraliseBelow is the zoom below which geometries are simplified and short alleys dropped.
const GeneraliseBelow = 14

// ShortAlleyM is the length under which alleys are left out of tiles below zoom 13 (they would be a
// few pixels long and there are thousands of them).
const ShortAlleyM = 100

// TileLayer is one vector tile layer: what clients see of it (domain.TileLayer) and its SQL parts, constants
// written in this file.
type TileLayer struct {
	domain.TileLayer
	from       string
	cond       string
	lowZoom    string // extra condition below zoom 13
	geom       string
	id         string       // integer feature id expression, or "" for none
	props      string       // select list of attributes
	order      string       // a unique order of the features (see TileQuery)
	simplifyOK bool         // polygons and lines are simplified at low zoom; points are not
	unit       string       // the unit column of a layer of cases, for the visibility policy's unit limit
	parts      []*TileLayer // a layer made of several MVT layers in one tile (the basemap, store/basemap.go)
}

var assetTileFields = map[string]string{"name": "String", "kind": "String", "length_m": "Number", "area_m": "Number"}

func assetTileLayer(kind string, geomType string) *TileLayer {
	l := &TileLayer{
		TileLayer: domain.TileLayer{Name: kind, GeomType: geomType, MinZoom: 0, MaxZoom: 22, Fields: assetTileFields},
		from:      "assets t", cond: "t.kind = '" + kind + "'", geom: "t.geom", id: "t.id",
		props: "t.name, t.kind, t.length_m, t.area_m", order: "t.id", simplifyOK: true,
	}
	if kind == "alley" {
		l.lowZoom = "t.length_m >= " + strconv.Itoa(ShortAlleyM)
	}
	return l
}

var pieceTileFields = map[string]string{"asset_id": "Number", "name": "String", "kind": "String", "status": "String"}

// TileLayers lists the vector tile layers.
var TileLayers = []*TileLayer{
	assetTileLayer("road", "LineString"),
	assetTileLayer("alley", "LineString"),
	assetTileLayer("market", "Polygon"),
	assetTileLayer("park", "Polygon"),
	{
		TileLayer: domain.TileLayer{Name: "gaps", GeomType: "LineString", MaxZoom: 22, Fields: pieceTileFields},
		from:      "coverage_pieces t JOIN assets a ON a.id = t.asset_id", cond: "t.status = 'gap'", geom: "t.geom",
		props: "t.asset_id, a.name, a.kind, t.status", order: "t.asset_id, t.from_m", simplifyOK: true,
	},
	{
		TileLayer: domain.TileLayer{Name: "overlaps", GeomType: "LineString", MaxZoom: 22, Fields: pieceTileFields},
		from:      "coverage_pieces t JOIN assets a ON a.id = t.asset_id", cond: "t.status = 'overlap'", geom: "t.geom",
		props: "t.asset_id, a.name, a.kind, t.status", order: "t.asset_id, t.from_m", simplifyOK: true,
	},
	{
		TileLayer: domain.TileLayer{Name: "reports", GeomType: "Point", MaxZoom: 22, Cases: true,
			Fields: map[string]string{"category": "String", "status": "String", "urgency": "String", "unit_id": "Number"}},
		from: "reports t", cond: outstandingReports, geom: "t.geom", id: "t.id", unit: "t.unit_id",
		props: "t.category_code AS category, t.status, t.urgency, t.unit_id", order: "t.id",
	},
	baseMapLayer,
	staleTileLayer,
}

// TileLayerByName returns a layer, or nil.
func TileLayerByName(name string) *TileLayer {
	for _, l := range TileLayers {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// TileQuery returns the SQL and arguments that make PostGIS build the layer's MVT for one tile (exported so
// benchmarks can compare the server with the bare query); only limits a layer of cases to one unit's reports.
// Features come in a fixed order: the same data then always makes the same bytes (and ETag), whatever order
// the index scan happens to return rows in after unrelated writes, so a cached tile can be checked against a
// fresh build byte for byte.
func (l *TileLayer) TileQuery(t maptile.Tile, only *int64) (string, []any) {
	if l.parts != nil {
		return l.partsQuery(t, only)
	}
	z := int(t.Z)
	geom := "ST_Transform(" + l.geom + ", 3857)"
	args := []any{z, int(t.X), int(t.Y), float64(TileBuffer) / TileExtent}
	if z < GeneraliseBelow && l.simplifyOK {
		// One tile unit in meters: finer detail disappears in ST_AsMVTGeom's snapping anyway.
		tol := 2 * math.Pi * 6378137 / math.Exp2(float64(z)) / TileExtent
		args = append(args, tol)
		geom = "ST_Simplify(" + geom + ", $5, true)"
	}
	cond := l.cond
	if z < 13 && l.lowZoom != "" {
		cond += " AND " + l.lowZoom
	}
	if only != nil && l.unit != "" {
		args = append(args, *only)
		cond += " AND " + l.unit + " = $" + strconv.Itoa(len(args))
	}
	id, idName := "", "NULL"
	if l.id != "" {
		id, idName = l.id+" AS id, ", "'id'"
	}
	sql := `SELECT ST_AsMVT(q, '` + l.Name + `', ` + strconv.Itoa(TileExtent) + `, 'geom', ` + idName + `) FROM (
		SELECT ` + id + l.props + `, ST_AsMVTGeom(` + geom + `, ST_TileEnvelope($1, $2, $3), ` +
		strconv.Itoa(TileExtent) + `, ` + strconv.Itoa(TileBuffer) + `, true) AS geom
		FROM ` + l.from + `
		WHERE ` + cond + ` AND ` + l.geom + ` && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $4), 4326)
		ORDER BY ` + l.order + `
	) q WHERE q.geom IS NOT NULL`
	return sql, args
}

// Tile builds one layer's MVT for a tile; an empty tile is a zero-length slice. only limits a layer of cases to
// one unit's reports (nil: every unit).
func (s *Store) Tile(ctx context.Context, l *TileLayer, t maptile.Tile, only *int64) ([]byte, error) {
	sql, args := l.TileQuery(t, only)
	var b []byte
	err := s.db.QueryRow(ctx, sql, args...).Scan(&b)
	return b, mapErr(err)
}
