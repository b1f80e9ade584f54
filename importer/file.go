package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"everymeter/i18n"
	"everymeter/service"
	"everymeter/store"
)

// A county's own files (shapefile, GeoPackage, GeoJSON) are read with GDAL's ogr2ogr, a run dependency
// (scripts/install-deps.sh). No maintained pure-Go shapefile reader is served by the module proxy, and GDAL is what
// the counties' GIS offices use themselves: it reads .shp/.shx/.dbf with .prj and .cpg, GeoPackage and GeoJSON alike,
// decodes GBK/GB18030 attribute text through iconv and names the coordinate system by its EPSG code. ogr2ogr only
// converts: it writes GeoJSON in the file's own coordinates, and PostGIS does every reprojection (TransformToWGS84).

// FileOptions say how to read one file.
type FileOptions struct {
	Options
	Kind      string    // the asset kind of every feature: road, alley, market or park
	NameField string    // the attribute holding the name; "" tries name, NAME, Name, 名称, DLMC, MC
	Encoding  string    // attribute text of a shapefile (GBK, GB18030, UTF-8 …); "" reads the .cpg, else sniffs
	SRS       string    // "EPSG:N": the file's coordinate system, standing in for a missing or wrong .prj
	Layer     string    // the layer of a GeoPackage with several; "" takes the only one
	Warn      io.Writer // where warnings go (coordinates assumed lon/lat, encoding guessed); nil drops them
}

// ErrNoSRS refuses a file whose coordinates are not longitude/latitude and whose coordinate system is unknown.
var ErrNoSRS = errors.New("importer: no coordinate system")

// noSRSMessage is ErrNoSRS's text (one literal, so that the test of translations finds it).
const noSRSMessage = "%s has no coordinate system (.prj) and its coordinates (e.g. %s, %s) are not longitude/latitude; say what they are with --srs EPSG:N (e.g. --srs EPSG:4548 for CGCS2000 / 3-degree Gauss–Krüger CM 117E; in the web upload, the coordinate system field)"

// fileError refuses a file (or an option for reading it), kept in its parts: the CLI prints the English text, a
// web upload answers in the user's language (readProblem).
type fileError struct {
	msg  i18n.Msg
	kind error // what errors.Is matches (ErrNoSRS), or nil
}

func (e *fileError) Error() string { return e.msg.String() }
func (e *fileError) Unwrap() error { return e.kind }

// fileErr builds a fileError; the format takes only %s (numbers formatted by the caller).
func fileErr(format string, args ...string) error { return &fileError{msg: i18n.M(format, args...)} }

// passThrough are the coordinate systems taken as they are: WGS84 and CGCS2000 geographic (they differ by
// centimetres, below what a street inventory measures).
var passThrough = map[int]bool{4326: true, 4490: true}

var (
	epsgArg   = regexp.MustCompile(`^(?i:EPSG):(\d{1,6})$`)
	crsName   = regexp.MustCompile(`EPSG::?(\d{1,6})$`)
	encodings = regexp.MustCompile(`^[A-Za-z0-9_-]{1,20}$`)
)

// IsFile reports whether path names a file File reads (by its extension).
func IsFile(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".shp", ".gpkg", ".geojson", ".json":
		return true
	}
	return false
}

// transformBatch is how many geometries one ST_Transform statement takes.
const transformBatch = 2000

// File imports a shapefile (.shp with its .shx and .dbf, and .prj and .cpg when present), a GeoPackage (.gpkg) or a
// GeoJSON file as assets of one kind. The source is "file:<base name>" and each feature's source id its id or its
// index, so importing the same file again changes nothing.
func File(ctx context.Context, svc *service.Service, path string, opt FileOptions) (Result, error) {
	start := time.Now()
	base := filepath.Base(path)
	res := Result{Source: "file:" + base, File: base}
	if err := checkKind(opt.Kind); err != nil {
		return res, err
	}
	fc, srid, proj, err := readFile(ctx, path, opt)
	if err != nil {
		return res, err
	}
	if err := toWGS84(ctx, svc.Store, fc, srid, proj); err != nil {
		return res, err
	}
	if opt.NameField != "" && !hasProperty(fc, opt.NameField) {
		return res, fileErr("%s: no feature has the attribute %s given as --name-field", base, strconv.Quote(opt.NameField))
	}
	assets, sk := featureAssets(fc, opt.Kind, res.Source, opt.NameField)
	res.Skipped = sk.sorted()
	err = write(ctx, svc, assets, opt.Options, &res)
	res.Duration = time.Since(start)
	return res, err
}

// readFile converts the file to GeoJSON in its own coordinates and says what they are: an EPSG code (srid), a PROJ
// definition GDAL could not name (proj), or WGS84 when the coordinates look like lon/lat and nothing says otherwise.
func readFile(ctx context.Context, path string, opt FileOptions) (*geojson.FeatureCollection, int, string, error) {
	base := filepath.Base(path)
	ext := strings.ToLower(filepath.Ext(path))
	args := []string{"-f", "GeoJSON", "-dim", "XY", "/vsistdout/", path}
	switch ext {
	case ".shp":
		stem := strings.TrimSuffix(path, filepath.Ext(path))
		for _, side := range []string{".shx", ".dbf"} {
			if !exists(stem, side) {
				return nil, 0, "", fileErr("%s: the shapefile's %s is missing; copy the .shp, .shx, .dbf (and .prj, .cpg) together", base, side)
			}
		}
		enc, err := shapeEncoding(stem, opt)
		if err != nil {
			return nil, 0, "", err
		}
		if enc != "" {
			args = append(args, "-oo", "ENCODING="+enc)
		}
	default:
		if !IsFile(path) {
			return nil, 0, "", fileErr("%s: not a shapefile (.shp), GeoPackage (.gpkg) or GeoJSON (.geojson, .json)", base)
		}
	}
	if opt.Layer != "" {
		// The layer is ogr2ogr's last argument; one that starts with "-" would be read as an option (a web upload
		// passes the client's text here).
		if strings.HasPrefix(opt.Layer, "-") || strings.ContainsAny(opt.Layer, "\x00\n") {
			return nil, 0, "", fileErr("--layer %s is not a layer name", strconv.Quote(opt.Layer))
		}
		args = append(args, opt.Layer)
	}
	out, err := ogr(ctx, "ogr2ogr", args...)
	if err != nil {
		return nil, 0, "", fmt.Errorf("%s: %w", base, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(out)
	if err != nil {
		return nil, 0, "", fileErr("%s: ogr2ogr wrote no FeatureCollection: %s", base, err.Error())
	}
	if opt.SRS != "" {
		m := epsgArg.FindStringSubmatch(strings.TrimSpace(opt.SRS))
		if m == nil {
			return nil, 0, "", fileErr("--srs %s: give the coordinate system as EPSG:N, e.g. EPSG:4548", strconv.Quote(opt.SRS))
		}
		srid, _ := strconv.Atoi(m[1])
		return fc, srid, "", nil
	}
	if srid := fileSRID(fc); srid != 0 {
		return fc, srid, "", nil
	}
	// GDAL read a coordinate system but could not name it by an EPSG code (a hand-written .prj): its PROJ form.
	if proj, err := ogr(ctx, "gdalsrsinfo", "--single-line", "-o", "proj4", path); err == nil {
		if p := strings.Trim(strings.TrimSpace(string(proj)), "'"); strings.HasPrefix(p, "+proj") {
			return fc, 0, p, nil
		}
	}
	if x, y, ok := projectedLooking(fc); ok {
		return nil, 0, "", &fileError{kind: ErrNoSRS, msg: i18n.M(noSRSMessage,
			base, strconv.FormatFloat(x, 'f', 0, 64), strconv.FormatFloat(y, 'f', 0, 64))}
	}
	if opt.Warn != nil {
		fmt.Fprintf(opt.Warn, "warning: %s has no coordinate system (.prj); its coordinates look like longitude/latitude, read as WGS84 (EPSG:4326) — pass --srs to say otherwise\n", base)
	}
	return fc, 4326, "", nil
}

// shapeEncoding is the encoding to read a shapefile's attributes with: the one asked for, else none (GDAL reads the
// .cpg), else UTF-8 or GB18030 as the .dbf's bytes show (a county's shapefile without .cpg is GBK more often than
// not, and GB18030 reads every GBK text).
func shapeEncoding(stem string, opt FileOptions) (string, error) {
	if opt.Encoding != "" {
		if !encodings.MatchString(opt.Encoding) {
			return "", fileErr("--encoding %s is not an encoding name such as GBK, GB18030 or UTF-8", strconv.Quote(opt.Encoding))
		}
		return strings.ToUpper(opt.Encoding), nil
	}
	if exists(stem, ".cpg") {
		return "", nil
	}
	dbf, err := os.ReadFile(sidePath(stem, ".dbf"))
	if err != nil {
		return "", err
	}
	if len(dbf) >= 32 {
		// The header (its length at bytes 8–9) holds binary field descriptors; the records after it are text.
		if h := int(dbf[8]) | int(dbf[9])<<8; h <= len(dbf) {
			dbf = dbf[h:]
		}
	}
	if utf8.Valid(dbf) {
		return "UTF-8", nil
	}
	if opt.Warn != nil {
		fmt.Fprintf(opt.Warn, "warning: %s.dbf has no .cpg and its text is not UTF-8; read as GB18030 (GBK) — pass --encoding to say otherwise\n", filepath.Base(stem))
	}
	return "GB18030", nil
}

// toWGS84 reprojects every geometry of fc to WGS84 in PostGIS unless its coordinate system passes through.
func toWGS84(ctx context.Context, st *store.Store, fc *geojson.FeatureCollection, srid int, proj string) error {
	if passThrough[srid] {
		return nil
	}
	if srid != 0 {
		if ok, err := st.KnownSRID(ctx, srid); err != nil {
			return err
		} else if !ok {
			return fileErr("EPSG:%s is not a coordinate system PostGIS knows (spatial_ref_sys)", strconv.Itoa(srid))
		}
	}
	var idx []int
	for i, f := range fc.Features {
		if f.Geometry != nil {
			idx = append(idx, i)
		}
	}
	for start := 0; start < len(idx); start += transformBatch {
		part := idx[start:min(start+transformBatch, len(idx))]
		in := make([][]byte, len(part))
		for j, i := range part {
			b, err := wkb.Marshal(fc.Features[i].Geometry)
			if err != nil {
				return fmt.Errorf("feature %d: %w", i, err)
			}
			in[j] = b
		}
		out, err := st.TransformToWGS84(ctx, in, srid, proj)
		if err != nil {
			return fmt.Errorf("reproject to WGS84: %w", err)
		}
		for j, i := range part {
			g, err := wkb.Unmarshal(out[j])
			if err != nil {
				return fmt.Errorf("feature %d: %w", i, err)
			}
			fc.Features[i].Geometry = g
		}
	}
	return nil
}

// fileSRID is the EPSG code of the "crs" member ogr2ogr writes for a file in another system than WGS84 (0: none).
func fileSRID(fc *geojson.FeatureCollection) int {
	crs, _ := fc.ExtraMembers["crs"].(map[string]any)
	props, _ := crs["properties"].(map[string]any)
	name, _ := props["name"].(string)
	if strings.HasSuffix(name, "CRS84") {
		return 4326
	}
	if m := crsName.FindStringSubmatch(name); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// projectedLooking reports a coordinate outside longitude/latitude ranges (meters of a projection), with it.
func projectedLooking(fc *geojson.FeatureCollection) (float64, float64, bool) {
	for _, f := range fc.Features {
		if f.Geometry == nil {
			continue
		}
		b := f.Geometry.Bound()
		for _, p := range []orb.Point{b.Min, b.Max} {
			if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
				return p[0], p[1], true
			}
		}
	}
	return 0, 0, false
}

func hasProperty(fc *geojson.FeatureCollection, key string) bool {
	for _, f := range fc.Features {
		if _, ok := f.Properties[key]; ok {
			return true
		}
	}
	return false
}

// ogr runs a GDAL program and returns its standard output; its error output becomes the error.
func ogr(ctx context.Context, name string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, fmt.Errorf("%s is needed to read shapefiles and GeoPackages (apt-get install gdal-bin, or scripts/install-deps.sh): %w", name, err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s: %s", name, msg)
	}
	return stdout.Bytes(), nil
}

// exists reports whether the side file stem+ext is there, in lower or upper case (COUNTY.SHP, COUNTY.DBF).
func exists(stem, ext string) bool {
	_, err := os.Stat(sidePath(stem, ext))
	return err == nil
}

func sidePath(stem, ext string) string {
	for _, e := range []string{ext, strings.ToUpper(ext)} {
		if _, err := os.Stat(stem + e); err == nil {
			return stem + e
		}
	}
	return stem + ext
}
