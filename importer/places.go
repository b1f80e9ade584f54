package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/schollz/progressbar/v3"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/i18n"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// Zones and units come from the same county files as roads (File reads them: every coordinate system and encoding
// the road import handles), but unlike roads a zone names a unit, so a file is read whole first (Places or
// ReadPlaces): each feature's unit is resolved, its polygon validated, and any problem refuses the whole file with
// the features named. Only a file without problems is written, in one transaction (service.ImportPlaces).

// PlaceOptions say how to read a zone or unit file.
type PlaceOptions struct {
	Options
	domain.ImportOptions
	Warn io.Writer // warnings as they come (they are in the summary too); nil drops them
}

// ErrRefused is a zone or unit file with problems; nothing of it was written.
var ErrRefused = errors.New("importer: file refused")

// maxProblems is how many problems a refused file lists.
const maxProblems = 50

// Attribute names tried when no flag names the attribute (county files use English, pinyin initials or Chinese).
var (
	unitKeys    = []string{"unit", "unit_code", "UNIT", "Unit", "责任单位", "单位", "单位编码", "DWDM", "DWMC"}
	codeKeys    = []string{"code", "CODE", "Code", "unit_code", "编码", "代码", "单位编码", "DM", "BM"}
	kindKeys    = []string{"kind", "KIND", "unit_kind", "类型", "单位类型", "LX"}
	contactKeys = []string{"contact_person", "duty_person", "contact", "负责人", "联系人", "值班人", "FZR", "LXR"}
	phoneKeys   = []string{"phone", "duty_phone", "PHONE", "tel", "TEL", "电话", "联系电话", "值班电话", "DH", "LXDH"}
)

// roleWords maps what a file may say of a zone's role to the role.
var roleWords = map[string]vocab.ZoneRole{"lead": vocab.Lead, "牵头": vocab.Lead, "主责": vocab.Lead, "主要": vocab.Lead,
	"support": vocab.Support, "配合": vocab.Support, "协助": vocab.Support, "协同": vocab.Support}

// unitKindWords maps a unit kind's code and its Chinese names to the kind.
var unitKindWords = func() map[string]vocab.UnitKind {
	m := map[string]vocab.UnitKind{"乡镇": vocab.Town, "街道": vocab.Town, "镇": vocab.Town, "部门": vocab.Department}
	for _, k := range vocab.UnitKinds {
		m[string(k)] = k
		m[k.Label().Zh] = k
	}
	return m
}()

// ReadPlaces reads a zone file (kind "zone") or a unit file (kind "unit") and says what importing it would write;
// the summary's Errors list every feature it cannot be imported with. The preview holds each feature in WGS84 with
// what it becomes (name, unit, role) and its problem, for the web app's map.
func ReadPlaces(ctx context.Context, svc *service.Service, path, kind string, opt PlaceOptions) (service.PlaceImport, domain.ImportSummary, *geojson.FeatureCollection, error) {
	base := filepath.Base(path)
	imp := service.PlaceImport{Source: "file:" + base, File: base, Kind: kind}
	sum := domain.ImportSummary{Kind: kind, File: base, Warnings: []string{}, Errors: []domain.ImportProblem{}, BBox: []float64{}}
	if kind != "zone" && kind != "unit" {
		return imp, sum, nil, fileErr("kind \"%s\" is not zone or unit", kind)
	}
	var warn strings.Builder
	fopt := FileOptions{NameField: opt.NameField, Encoding: opt.Encoding, SRS: opt.SRS, Layer: opt.Layer, Warn: &warn}
	fc, srid, proj, err := readFile(ctx, path, fopt)
	if err != nil {
		return imp, sum, nil, err
	}
	if err := toWGS84(ctx, svc.Store, fc, srid, proj); err != nil {
		return imp, sum, nil, err
	}
	for _, line := range strings.Split(strings.TrimSpace(warn.String()), "\n") {
		if line = strings.TrimPrefix(line, "warning: "); line != "" {
			sum.Warnings = append(sum.Warnings, line)
		}
	}
	if opt.Warn != nil && warn.Len() > 0 {
		io.WriteString(opt.Warn, warn.String()) //nolint:errcheck // warnings only
	}
	for _, f := range []string{opt.NameField, opt.UnitField, opt.RoleField, opt.CodeField, opt.UnitKindField} {
		if f != "" && !hasProperty(fc, f) {
			return imp, sum, nil, fileErr("%s: no feature has the attribute \"%s\"", base, f)
		}
	}
	r := placeReader{svc: svc, opt: opt, fc: fc, sum: &sum, imp: &imp}
	if kind == "zone" {
		err = r.zones(ctx)
	} else {
		err = r.units(ctx)
	}
	if err != nil {
		return imp, sum, nil, err
	}
	if err := overlapWarnings(ctx, svc.Store, imp.Zones, &sum); err != nil {
		return imp, sum, nil, err
	}
	sum.Features = len(fc.Features)
	sum.Units, sum.Zones = len(imp.Units), len(imp.Zones)
	var bound *orb.Bound
	for _, f := range fc.Features {
		if f.Geometry != nil {
			b := f.Geometry.Bound()
			if bound != nil {
				b = bound.Union(b)
			}
			bound = &b
		}
	}
	if bound != nil {
		sum.BBox = []float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}
	}
	return imp, sum, r.preview, nil
}

// maxOverlapWarnings is how many overlapping pairs of lead zones a summary names.
const maxOverlapWarnings = 20

// overlapWarnings warns of lead zones of different units in the file that overlap (by more than 1 m²). The model
// allows them — the streets under both become overlaps on the coverage map, which planners look for — so they
// warn and do not refuse.
func overlapWarnings(ctx context.Context, st *store.Store, zs []service.ImportedZone, sum *domain.ImportSummary) error {
	var lead []service.ImportedZone
	var wkbs [][]byte
	for _, z := range zs {
		if z.Zone.Role == string(vocab.Lead) {
			lead, wkbs = append(lead, z), append(wkbs, store.WKB(z.Zone.Geom))
		}
	}
	if len(lead) < 2 {
		return nil
	}
	pairs, areas, err := st.LeadOverlaps(ctx, wkbs, 1, 4*maxOverlapWarnings)
	if err != nil {
		return err
	}
	n := 0
	for k, p := range pairs {
		a, b := lead[p[0]], lead[p[1]]
		if a.UnitCode == b.UnitCode || n == maxOverlapWarnings {
			continue
		}
		n++
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s and %s are lead zones of different units (%s, %s) that overlap by %.0f m²; the streets in both will count as overlaps",
			a.Feature, b.Feature, a.UnitCode, b.UnitCode, areas[k]))
	}
	return nil
}

// placeReader turns the features of one file into units and zones.
type placeReader struct {
	svc     *service.Service
	opt     PlaceOptions
	fc      *geojson.FeatureCollection
	sum     *domain.ImportSummary
	imp     *service.PlaceImport
	preview *geojson.FeatureCollection
}

// problem records why feature i cannot be imported, and shows it on the preview. The message keeps its parts, so
// that the web app shows it in the user's language.
func (r *placeReader) problem(i int, label, format string, args ...string) {
	m := i18n.M(format, args...)
	if len(r.sum.Errors) < maxProblems {
		r.sum.Errors = append(r.sum.Errors, domain.ImportProblem{Index: i + 1, Feature: label, Detail: m.String(), Msg: m})
	}
	if i < len(r.preview.Features) {
		r.preview.Features[i].Properties["error"] = m.String()
	}
}

// begin starts the preview with one feature per feature of the file and returns the features' labels and ids.
func (r *placeReader) begin() ([]string, []string) {
	r.preview = geojson.NewFeatureCollection()
	labels, ids := make([]string, len(r.fc.Features)), make([]string, len(r.fc.Features))
	seen := map[string]bool{}
	for i, f := range r.fc.Features {
		pf := geojson.NewFeature(f.Geometry)
		pf.Properties = geojson.Properties{"feature": i + 1}
		r.preview.Features = append(r.preview.Features, pf)
		ids[i] = featureID(f.ID)
		if ids[i] == "" {
			ids[i] = "feature/" + strconv.Itoa(i)
		}
		labels[i] = "feature " + strconv.Itoa(i+1)
		if id := featureID(f.ID); id != "" {
			labels[i] += " id " + id
		}
		if n := r.name(f.Properties); n != "" {
			labels[i] += " (" + n + ")"
		}
		if seen[ids[i]] {
			r.problem(i, labels[i], "the feature id %s is used twice in the file", ids[i])
		}
		seen[ids[i]] = true
	}
	return labels, ids
}

func (r *placeReader) name(p geojson.Properties) string {
	if r.opt.NameField != "" {
		return attr(p, r.opt.NameField)
	}
	return featureName(p)
}

// polygon returns feature i's polygon, or records why it has none that a zone can be.
func (r *placeReader) polygon(i int, label string) orb.Geometry {
	g := r.fc.Features[i].Geometry
	if c, ok := g.(orb.Collection); ok && len(c) == 1 {
		g = c[0]
	}
	switch {
	case g == nil:
		r.problem(i, label, "the feature has no geometry")
	case geo.ClassOf(g) != geo.Polygonal:
		r.problem(i, label, "a zone must be a Polygon or MultiPolygon, not %s", g.GeoJSONType())
	default:
		if err := geo.ValidateGeometry(g); err != nil {
			r.problem(i, label, "invalid polygon: %s", err.Error())
			return nil
		}
		return g
	}
	return nil
}

// zones reads a zone file: each feature a zone of the unit its attribute names (by code, else by name).
func (r *placeReader) zones(ctx context.Context) error {
	units, err := r.svc.Store.Units(ctx)
	if err != nil {
		return err
	}
	byCode, byName := map[string]store.Unit{}, map[string][]store.Unit{}
	for _, u := range units {
		byCode[u.Code] = u
		byName[u.Name] = append(byName[u.Name], u)
	}
	unitField := r.opt.UnitField
	if unitField == "" && r.opt.Unit == "" {
		if unitField = firstKey(r.fc, unitKeys); unitField == "" {
			return fileErr("%s: say which attribute names each zone's unit (its code or name) with --unit-field, or give one unit for all with --unit (tried %s)",
				r.imp.File, strings.Join(unitKeys, ", "))
		}
	}
	role := vocab.Lead
	if r.opt.Role != "" {
		if role = vocab.ZoneRole(r.opt.Role); !role.Valid() {
			return fileErr("--role \"%s\": give lead or support", r.opt.Role)
		}
	}
	kind := r.opt.ZoneKind
	if kind == "" {
		kind = "网格"
	}
	labels, ids := r.begin()
	for i, f := range r.fc.Features {
		g := r.polygon(i, labels[i])
		ref := r.opt.Unit
		if unitField != "" {
			ref = attr(f.Properties, unitField)
		}
		u, ok := byCode[ref]
		if !ok {
			switch named := byName[ref]; {
			case ref == "":
				r.problem(i, labels[i], "no unit: the attribute %s is empty", unitField)
				continue
			case len(named) == 1:
				u = named[0]
			case len(named) > 1:
				r.problem(i, labels[i], "the unit name \"%s\" is not unique; name the unit by its code", ref)
				continue
			default:
				r.problem(i, labels[i], "unknown unit \"%s\": no unit has this code or name", ref)
				continue
			}
		}
		zr := role
		if r.opt.RoleField != "" {
			if zr, ok = roleWords[strings.ToLower(attr(f.Properties, r.opt.RoleField))]; !ok {
				r.problem(i, labels[i], "role \"%s\" is not lead or support (牵头/配合)", attr(f.Properties, r.opt.RoleField))
				continue
			}
		}
		name := r.name(f.Properties)
		p := r.preview.Features[i].Properties
		p["name"], p["unit_id"], p["unit_code"], p["unit_name"], p["role"] = name, u.ID, u.Code, u.Name, string(zr)
		if g == nil {
			continue
		}
		r.imp.Zones = append(r.imp.Zones, service.ImportedZone{Feature: labels[i], SourceID: ids[i], UnitCode: u.Code,
			Zone: store.Zone{Name: name, Role: string(zr), Kind: kind, Geom: g}})
	}
	return nil
}

// units reads a unit file: each feature a unit (code, name, kind, duty person and phone), and with --territory its
// polygon the unit's lead zone.
func (r *placeReader) units(ctx context.Context) error {
	codeField := r.opt.CodeField
	if codeField == "" {
		if codeField = firstKey(r.fc, codeKeys); codeField == "" {
			return fileErr("%s: say which attribute holds the unit code with --code-field (tried %s)", r.imp.File, strings.Join(codeKeys, ", "))
		}
	}
	kindField := r.opt.UnitKindField
	if kindField == "" {
		kindField = firstKey(r.fc, kindKeys)
	}
	if r.opt.UnitKind != "" && !vocab.UnitKind(r.opt.UnitKind).Valid() {
		return fileErr("--unit-kind \"%s\" is not one of %s", r.opt.UnitKind, strings.Join(service.UnitKinds, ", "))
	}
	contactField, phoneField := firstKey(r.fc, contactKeys), firstKey(r.fc, phoneKeys)
	labels, ids := r.begin()
	seen := map[string]string{}
	for i, f := range r.fc.Features {
		code := attr(f.Properties, codeField)
		if code == "" {
			r.problem(i, labels[i], "no unit code: the attribute %s is empty", codeField)
			continue
		}
		if other, dup := seen[code]; dup {
			r.problem(i, labels[i], "the unit code %s is also %s's", code, other)
			continue
		}
		seen[code] = labels[i]
		kind := vocab.UnitKind(r.opt.UnitKind)
		if kindField != "" && attr(f.Properties, kindField) != "" {
			var ok bool
			if kind, ok = unitKindWords[attr(f.Properties, kindField)]; !ok {
				r.problem(i, labels[i], "unit kind \"%s\" is not one of %s", attr(f.Properties, kindField), strings.Join(service.UnitKinds, ", "))
				continue
			}
		}
		if kind == "" {
			r.problem(i, labels[i], "no unit kind: give --unit-kind or an attribute %s", strings.Join(kindKeys, "/"))
			continue
		}
		u := store.Unit{Code: code, Name: r.name(f.Properties), Kind: string(kind),
			ContactPerson: attr(f.Properties, contactField), Phone: attr(f.Properties, phoneField)}
		p := r.preview.Features[i].Properties
		p["code"], p["name"], p["kind"], p["unit_code"], p["unit_name"] = u.Code, u.Name, u.Kind, u.Code, u.Name
		var g orb.Geometry
		if r.opt.Territory {
			if g = r.polygon(i, labels[i]); g == nil {
				continue
			}
			p["role"] = string(vocab.Lead)
		}
		r.imp.Units = append(r.imp.Units, service.ImportedUnit{Feature: labels[i], Unit: u})
		if g != nil {
			kind := r.opt.ZoneKind
			if kind == "" {
				kind = "网格"
			}
			r.imp.Zones = append(r.imp.Zones, service.ImportedZone{Feature: labels[i], SourceID: "unit/" + ids[i], UnitCode: code,
				Zone: store.Zone{Name: u.Name, Role: string(vocab.Lead), Kind: kind, Geom: g}})
		}
	}
	return nil
}

// attr is a feature's attribute as trimmed text ("" when absent or null).
func attr(p geojson.Properties, key string) string {
	v, ok := p[key]
	if !ok || v == nil || key == "" {
		return ""
	}
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return trimName(fmt.Sprint(v))
}

// firstKey is the first of keys some feature of fc has ("" none).
func firstKey(fc *geojson.FeatureCollection, keys []string) string {
	for _, k := range keys {
		if hasProperty(fc, k) {
			return k
		}
	}
	return ""
}

// Places imports a zone or unit file: it reads it (ReadPlaces), refuses it with ErrRefused and the problems named
// when any feature cannot be imported, and otherwise writes it in one transaction with a progress bar.
func Places(ctx context.Context, svc *service.Service, path, kind string, opt PlaceOptions) (domain.ImportApplied, domain.ImportSummary, error) {
	imp, sum, _, err := ReadPlaces(ctx, svc, path, kind, opt)
	if err != nil {
		return domain.ImportApplied{Kind: kind, File: imp.File, Source: imp.Source}, sum, err
	}
	if len(sum.Errors) > 0 {
		return domain.ImportApplied{Kind: kind, File: imp.File, Source: imp.Source}, sum, refusal(sum)
	}
	out, err := apply(ctx, svc, imp, opt.Options)
	return out, sum, err
}

// refusal is the error of a file with problems, listing them.
func refusal(sum domain.ImportSummary) error {
	var b strings.Builder
	for _, p := range sum.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", p.Feature, p.Detail)
	}
	return fmt.Errorf("%w: %s has %d problem(s) in its features, so nothing was written:%s", ErrRefused, sum.File, len(sum.Errors), b.String())
}

// apply writes a read file through the service, with a progress bar over its rows.
func apply(ctx context.Context, svc *service.Service, imp service.PlaceImport, opt Options) (domain.ImportApplied, error) {
	actor := opt.Actor
	if actor.Name == "" {
		actor.Name = "import"
	}
	var step func()
	if opt.Progress != nil {
		bar := progressbar.NewOptions(len(imp.Units)+len(imp.Zones), progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("writing "+imp.Kind+"s"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		defer bar.Finish()           //nolint:errcheck // progress output only
		step = func() { bar.Add(1) } //nolint:errcheck // progress output only
	}
	return svc.ImportPlaces(ctx, actor, imp, step)
}
