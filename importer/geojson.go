package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"everymeter/service"
	"everymeter/store"
)

// nameKeys are the properties a feature's name is taken from, in order.
var nameKeys = []string{"name", "NAME", "Name", "名称", "DLMC", "MC"} // DLMC, MC: 道路名称, 名称 in Chinese GIS exports

// GeoJSON imports a FeatureCollection of lines or polygons as assets of one kind (road, alley, market,
// park). Each feature keeps its properties as attributes; its name comes from properties name, NAME or
// 名称. The source is "geojson:<file base name>" and the source id the feature's id, or "feature/<index>"
// for features without one, so importing the same file again updates instead of duplicating.
func GeoJSON(ctx context.Context, svc *service.Service, path, kind string, opt Options) (Result, error) {
	start := time.Now()
	base := filepath.Base(path)
	res := Result{Source: "geojson:" + base, File: base}
	if err := checkKind(kind); err != nil {
		return res, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return res, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(b)
	if err != nil {
		return res, fmt.Errorf("%s is not a GeoJSON FeatureCollection: %w", base, err)
	}
	assets, sk := featureAssets(fc, kind, res.Source, "")
	res.Skipped = sk.sorted()
	err = write(ctx, svc, assets, opt, &res)
	res.Duration = time.Since(start)
	return res, err
}

// checkKind refuses a kind that is not an asset kind, naming the kinds.
func checkKind(kind string) error {
	if _, ok := service.AssetKinds[kind]; ok {
		return nil
	}
	kinds := make([]string, 0, len(service.AssetKinds))
	for k := range service.AssetKinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return fmt.Errorf("kind %q is not one of %s", kind, strings.Join(kinds, ", "))
}

// featureAssets turns the features of fc into assets of one kind from source; nameField, when set, is the property
// holding the name (else nameKeys). Features without a geometry, with a duplicate id or an invalid geometry are
// skipped with their reason.
func featureAssets(fc *geojson.FeatureCollection, kind, source, nameField string) ([]store.Asset, skips) {
	class := service.AssetKinds[kind]
	sk := skips{}
	var assets []store.Asset
	seen := map[string]bool{}
	for i, f := range fc.Features {
		sid := featureID(f.ID)
		if sid == "" {
			sid = "feature/" + strconv.Itoa(i)
		}
		if seen[sid] {
			sk.add("duplicate feature id", sid)
			continue
		}
		seen[sid] = true
		if f.Geometry == nil {
			sk.add("feature has no geometry", sid)
			continue
		}
		g := f.Geometry
		if c, ok := g.(orb.Collection); ok && len(c) == 1 {
			g = c[0]
		}
		name := featureName(f.Properties)
		if nameField != "" {
			name = trimName(fmt.Sprint(f.Properties[nameField]))
			if f.Properties[nameField] == nil {
				name = ""
			}
		}
		a := store.Asset{Kind: kind, Name: name, Geom: g, Attributes: map[string]any(f.Properties),
			Source: source, SourceID: sid}
		if a.Attributes == nil {
			a.Attributes = map[string]any{}
		}
		if err := checkGeometry(a); err != nil {
			reason := "invalid geometry"
			if _, isPoint := g.(orb.Point); isPoint {
				reason = fmt.Sprintf("point where kind %s needs %s geometry", kind, class)
			}
			sk.add(reason, sid+" ("+err.Error()+")")
			continue
		}
		assets = append(assets, a)
	}
	return assets, sk
}

// featureID turns a GeoJSON feature id (string or number) into a source id.
func featureID(id any) string {
	switch v := id.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case nil:
		return ""
	}
	return fmt.Sprint(id)
}

func featureName(p geojson.Properties) string {
	for _, k := range nameKeys {
		if s, ok := p[k].(string); ok && strings.TrimSpace(s) != "" {
			return trimName(s)
		}
	}
	return ""
}

// trimName trims a name to what an asset may carry.
func trimName(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxNameRunes {
		s = string([]rune(s)[:maxNameRunes])
	}
	return s
}
