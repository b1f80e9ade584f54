package store

import (
	"context"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"everymeter/domain"
	"everymeter/vocab"
)

// BaseFeature is one feature of the base map (base_features): land use, water, a building or a place label.
type BaseFeature struct {
	Layer, Class, Name string
	Geom               orb.Geometry
	Source, SourceID   string
}

// UpsertBaseFeatures writes base-map features in one statement, keyed by (source, source_id): new ones are
// inserted, changed ones updated, unchanged ones left alone. It returns how many rows it wrote (0 when the same
// features are loaded again).
func (s *Store) UpsertBaseFeatures(ctx context.Context, fs []BaseFeature) (int64, error) {
	if len(fs) == 0 {
		return 0, nil
	}
	layer, class, name, src, sid := make([]string, len(fs)), make([]string, len(fs)), make([]string, len(fs)), make([]string, len(fs)), make([]string, len(fs))
	geom := make([][]byte, len(fs))
	for i, f := range fs {
		layer[i], class[i], name[i], src[i], sid[i], geom[i] = f.Layer, f.Class, f.Name, f.Source, f.SourceID, WKB(f.Geom)
	}
	tag, err := s.db.Exec(ctx, `INSERT INTO base_features AS b (layer, class, name, geom, area_m2, source, source_id)
		SELECT l, c, n, g, CASE WHEN ST_Dimension(g) = 2 THEN ST_Area(g::geography) ELSE 0 END, s, i
		FROM (SELECT l, c, n, ST_GeomFromWKB(w, 4326) AS g, s, i
			FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[]) AS u(l, c, n, w, s, i)) x
		ON CONFLICT (source, source_id) DO UPDATE SET layer = EXCLUDED.layer, class = EXCLUDED.class, name = EXCLUDED.name,
			geom = EXCLUDED.geom, area_m2 = EXCLUDED.area_m2
		WHERE (b.layer, b.class, b.name) IS DISTINCT FROM (EXCLUDED.layer, EXCLUDED.class, EXCLUDED.name)
			OR NOT ST_Equals(b.geom, EXCLUDED.geom)`, layer, class, name, geom, src, sid)
	if err != nil {
		return 0, mapErr(err)
	}
	return tag.RowsAffected(), nil
}

// BaseFeatureCounts returns how many base-map features each layer holds.
func (s *Store) BaseFeatureCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT layer, count(*) FROM base_features GROUP BY 1`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var l string
		var n int64
		if err := rows.Scan(&l, &n); err != nil {
			return nil, mapErr(err)
		}
		out[l] = n
	}
	return out, mapErr(rows.Err())
}

// basePart is one MVT layer of the basemap tile.
func basePart(name, geomType, cond string, minZoom int) *TileLayer {
	return &TileLayer{
		TileLayer: domain.TileLayer{Name: name, GeomType: geomType, MinZoom: minZoom, MaxZoom: 22,
			Fields: map[string]string{"class": "String", "name": "String"}},
		from: "base_features t", cond: cond, geom: "t.geom", props: "t.class, t.name", order: "t.id",
		simplifyOK: geomType != "Point",
	}
}

// baseMapParts are the layers of the basemap tile, drawn in this order: land use and green areas, water,
// buildings (from zoom 14: below that they are specks), the network's names for labels along the lines
// (roads from zoom 13, alleys from 15), and place names.
var baseMapParts = []*TileLayer{
	basePart("landuse", "Polygon", "t.layer = 'landuse'", 0),
	basePart("water", "Polygon", "t.layer = 'water'", 0),
	basePart("building", "Polygon", "t.layer = 'building'", 14),
	{
		TileLayer: domain.TileLayer{Name: "roads", GeomType: "LineString", MinZoom: 13, MaxZoom: 22,
			Fields: map[string]string{"class": "String", "name": "String"}},
		from: "assets t", cond: "t.kind IN " + sqlIn(vocab.LinearKinds) + " AND t.name <> ''", geom: "t.geom", order: "t.id", simplifyOK: true,
		props: `t.kind AS class, CASE WHEN t.kind = 'road' AND COALESCE(t.attributes->>'road', '') <> '' THEN t.attributes->>'road' ELSE t.name END AS name`,
	},
	basePart("place", "Point", "t.layer = 'place'", 0),
}

// baseMapLayer is the basemap tile layer: every part above, one MVT layer each, in one tile.
var baseMapLayer = func() *TileLayer {
	l := &TileLayer{
		TileLayer: domain.TileLayer{Name: "basemap", GeomType: "Mixed", MinZoom: 0, MaxZoom: 22, Base: true,
			Fields: map[string]string{"class": "String", "name": "String"}},
		parts: baseMapParts,
	}
	for _, p := range baseMapParts {
		l.Parts = append(l.Parts, p.TileLayer)
	}
	return l
}()

// partsQuery concatenates the parts' tiles (an MVT tile is a sequence of layers, so concatenated tiles are one
// tile); parts below their minimum zoom are left out.
func (l *TileLayer) partsQuery(t maptile.Tile, only *int64) (string, []any) {
	var sqls []string
	var args []any
	for _, p := range l.parts {
		if int(t.Z) < p.MinZoom {
			continue
		}
		q, a := p.TileQuery(t, only)
		// Every part takes the same arguments for the same tile (zoom, x, y, margin, tolerance).
		if len(a) > len(args) {
			args = a
		}
		sqls = append(sqls, "COALESCE(("+q+"), ''::bytea)")
	}
	if len(sqls) == 0 {
		return `SELECT ''::bytea WHERE $1::int IS NOT NULL`, []any{int(t.Z)}
	}
	// $5 (the tolerance) is only used by parts that simplify; a part that does not still gets it typed.
	return "SELECT " + strings.Join(sqls, " || "), args
}
