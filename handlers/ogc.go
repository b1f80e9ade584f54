package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/tilecache"
)

// OGC API – Features (parts 1 core/geojson/html/oas30, 2 crs, 3 queryables) under /ogc/, for QGIS and GDAL.
// PostGIS writes each Feature's JSON (geometry and properties); Go only frames the page and its links.

// Media types of the OGC API.
const (
	mtJSON    = "application/json"
	mtGeoJSON = "application/geo+json"
	mtOpenAPI = "application/vnd.oai.openapi+json;version=3.0"
	mtHTML    = "text/html"
	mtSchema  = "application/schema+json"
)

// CRS URIs the items can be written in.
const (
	crsCRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	crs4326  = "http://www.opengis.net/def/crs/EPSG/0/4326"
	crs3857  = "http://www.opengis.net/def/crs/EPSG/0/3857"
	crs4490  = "http://www.opengis.net/def/crs/EPSG/0/4490"
)

var supportedCRS = []string{crsCRS84, crs4326, crs3857, crs4490}

// crsInfo maps a CRS to its PostGIS SRID and whether its axis order is lat,lon (EPSG geographic CRSs are;
// CRS84 is lon,lat like GeoJSON and the database).
func crsInfo(uri string) (srid int, flip bool, ok bool) {
	switch strings.TrimSuffix(strings.TrimPrefix(uri, "["), "]") {
	case crsCRS84, "OGC:CRS84", "CRS84":
		return 4326, false, true
	case crs4326, "EPSG:4326":
		return 4326, true, true
	case crs3857, "EPSG:3857":
		return 3857, false, true
	case crs4490, "EPSG:4490":
		return 4490, true, true
	}
	return 0, false, false
}

// OGC limits on a page of items.
const (
	ogcDefaultLimit = 100
	ogcMaxLimit     = 10000
)

var ogcConformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
	"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
}

// reservedItemParams are the query parameters of /items that are not property filters.
var reservedItemParams = map[string]bool{"f": true, "limit": true, "bbox": true, "bbox-crs": true, "crs": true,
	"datetime": true, "after": true, "before": true, "api_key": true}

// ogcAPI serves OGC API – Features, the vector tiles and the OpenAPI document.
type ogcAPI struct {
	h     *Handler
	tiles *tilecache.Cache
	// bufs recycles the buffers pages of items are copied into: a page of a thousand roads is most of a
	// megabyte, and allocating and zeroing one per request showed in profiles.
	bufs sync.Pool
}

// OGC registers OGC API – Features (/ogc), vector tiles (/tiles), the OpenAPI document of /api/v1 and API keys
// (the API-key authentication desktop clients use is middleware set up by New). tiles caches built tiles (nil:
// none); whoever builds the server keeps it current after writes.
func OGC(tiles *tilecache.Cache) func(r *Router) {
	return func(r *Router) {
		h := r.Handler()
		if tiles == nil {
			tiles = tilecache.New(0)
		}
		o := &ogcAPI{h: h, tiles: tiles}

		r.Add(http.MethodGet, "/ogc", o.landing, Signedin)
		r.Add(http.MethodGet, "/ogc/", o.landing, Signedin)
		r.Add(http.MethodGet, "/ogc/conformance", o.conformance, Signedin)
		r.Add(http.MethodGet, "/ogc/api", o.apiDoc, Signedin)
		r.Add(http.MethodGet, "/ogc/collections", o.collections, Signedin)
		r.Add(http.MethodGet, "/ogc/collections/:cid", o.collection, Signedin)
		r.Add(http.MethodGet, "/ogc/collections/:cid/items", o.items, Signedin)
		r.Add(http.MethodGet, "/ogc/collections/:cid/items/:fid", o.item, Signedin)
		r.Add(http.MethodGet, "/ogc/collections/:cid/queryables", o.queryables, Signedin)

		r.Add(http.MethodGet, "/tiles", o.tileIndex, Signedin)
		r.Add(http.MethodGet, "/tiles/:layer", o.tileJSON, Signedin)
		// Tiles also to volunteers (Account): the policy decides per layer — the base map for every signed-in
		// user, the others as their resource says (a volunteer's tile of the network is empty).
		r.Add(http.MethodGet, "/tiles/:layer/:z/:x/:y", o.tile, Account)
		// HEAD runs the GET handler (net/http drops the body): map clients and caches ask for the ETag and
		// size of a tile without fetching it.
		r.Add(http.MethodHead, "/tiles/:layer", o.tileJSON, Signedin)
		r.Add(http.MethodHead, "/tiles/:layer/:z/:x/:y", o.tile, Account)

		r.Add(http.MethodGet, "/api/v1/openapi.json", o.openAPI, Public)
		r.Add(http.MethodPost, "/api/v1/auth/apikeys", o.createAPIKey, Signedin)
		r.Add(http.MethodGet, "/api/v1/auth/apikeys", o.listAPIKeys, Signedin)
		r.Add(http.MethodDelete, "/api/v1/auth/apikeys/:id", o.revokeAPIKey, Signedin)
	}
}

type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// href builds an absolute link to path on this server, carrying the api_key of the request (QGIS users
// paste a URL with ?api_key= and follow the links) and the given parameters.
func (o *ogcAPI) href(c echo.Context, path string, q url.Values) string {
	if q == nil {
		q = url.Values{}
	}
	if k := c.QueryParam("api_key"); k != "" && q.Get("api_key") == "" {
		q.Set("api_key", k)
	}
	u := url.URL{Scheme: c.Scheme(), Host: c.Request().Host, Path: path, RawQuery: q.Encode()}
	return u.String()
}

func fq(f string) url.Values { return url.Values{"f": {f}} }

// wantHTML decides the representation: ?f= wins, then an Accept header that prefers HTML (browsers).
func wantHTML(c echo.Context) (bool, error) {
	switch c.QueryParam("f") {
	case "html":
		return true, nil
	case "json", "geojson", "":
	default:
		return false, badRequest("f", "f must be json or html")
	}
	if c.QueryParam("f") != "" {
		return false, nil
	}
	acc := c.Request().Header.Get("Accept")
	h := strings.Index(acc, "text/html")
	j := strings.Index(acc, "json")
	return h >= 0 && (j < 0 || h < j), nil
}

// render writes v as JSON with content type ct, or as an HTML page.
func (o *ogcAPI) render(c echo.Context, ct, title string, v any) error {
	html, err := wantHTML(c)
	if err != nil {
		return err
	}
	if html {
		return renderOGCHTML(c, title, v)
	}
	c.Response().Header().Set(echo.HeaderContentType, ct)
	c.Response().WriteHeader(http.StatusOK)
	return jsonEncode(c.Response(), v)
}

func (o *ogcAPI) landing(c echo.Context) error {
	doc := map[string]any{
		"title":       "everymeter",
		"description": "Streets, zones, assignments, coverage gaps and overlaps, and outstanding reports of civilized-city grid management.",
		"links": []ogcLink{
			{Href: o.href(c, "/ogc/", fq("json")), Rel: "self", Type: mtJSON, Title: "This document"},
			{Href: o.href(c, "/ogc/", fq("html")), Rel: "alternate", Type: mtHTML, Title: "This document as HTML"},
			{Href: o.href(c, "/ogc/api", nil), Rel: "service-desc", Type: mtOpenAPI, Title: "The API definition"},
			{Href: o.href(c, "/ogc/api", fq("html")), Rel: "service-doc", Type: mtHTML, Title: "The API documentation"},
			{Href: o.href(c, "/ogc/conformance", nil), Rel: "conformance", Type: mtJSON, Title: "Conformance classes"},
			{Href: o.href(c, "/ogc/collections", nil), Rel: "data", Type: mtJSON, Title: "Collections"},
		},
	}
	return o.render(c, mtJSON, "everymeter OGC API – Features", doc)
}

func (o *ogcAPI) conformance(c echo.Context) error {
	return o.render(c, mtJSON, "Conformance", map[string]any{"conformsTo": ogcConformance})
}

func (o *ogcAPI) collectionDoc(c echo.Context, col *domain.OGCCollection) (map[string]any, error) {
	ext, err := o.h.Svc.OGCExtent(c.Request().Context(), principal(c), col.ID)
	if err != nil {
		return nil, err
	}
	bbox := []float64{-180, -90, 180, 90}
	if ext.BBox != nil {
		bbox = []float64{ext.BBox.Min[0], ext.BBox.Min[1], ext.BBox.Max[0], ext.BBox.Max[1]}
	}
	extent := map[string]any{"spatial": map[string]any{"bbox": [][]float64{bbox}, "crs": crsCRS84}}
	if col.Temporal {
		extent["temporal"] = map[string]any{"interval": [][]*time.Time{{ext.Start, ext.End}},
			"trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
	}
	base := "/ogc/collections/" + col.ID
	return map[string]any{
		"id": col.ID, "title": col.Title, "description": col.Description, "itemType": "feature",
		"extent": extent,
		"crs":    supportedCRS,
		// The database keeps lon/lat (SRID 4326 in PostGIS, axis order of GeoJSON): that is CRS84 in OGC terms.
		"storageCrs": crsCRS84,
		"links": []ogcLink{
			{Href: o.href(c, base, fq("json")), Rel: "self", Type: mtJSON, Title: col.Title},
			{Href: o.href(c, base, fq("html")), Rel: "alternate", Type: mtHTML, Title: col.Title + " as HTML"},
			{Href: o.href(c, base+"/items", nil), Rel: "items", Type: mtGeoJSON, Title: "Features"},
			{Href: o.href(c, base+"/items", fq("html")), Rel: "items", Type: mtHTML, Title: "Features as HTML"},
			{Href: o.href(c, base+"/queryables", nil), Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: mtSchema, Title: "Queryables"},
		},
	}, nil
}

func (o *ogcAPI) collections(c echo.Context) error {
	cols, err := o.h.Svc.OGCCollections(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	docs := make([]map[string]any, 0, len(cols))
	for i := range cols {
		d, err := o.collectionDoc(c, &cols[i])
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	return o.render(c, mtJSON, "Collections", map[string]any{
		"links": []ogcLink{
			{Href: o.href(c, "/ogc/collections", fq("json")), Rel: "self", Type: mtJSON},
			{Href: o.href(c, "/ogc/collections", fq("html")), Rel: "alternate", Type: mtHTML},
		},
		"collections": docs,
		"crs":         supportedCRS,
	})
}

// collectionParam resolves :cid to a collection whose table exists (404 otherwise).
func (o *ogcAPI) collectionParam(c echo.Context) (*domain.OGCCollection, error) {
	col, err := o.h.Svc.OGCCollection(c.Request().Context(), principal(c), c.Param("cid"))
	if err == nil {
		return &col, nil
	} else if !errors.Is(err, domain.ErrNotFound) {
		return nil, err
	}
	ids := o.h.Svc.OGCCollectionIDs()
	return nil, problemf(http.StatusNotFound, "Not found", "no collection %q; the collections are %s", c.Param("cid"), strings.Join(ids, ", "))
}

func (o *ogcAPI) collection(c echo.Context) error {
	col, err := o.collectionParam(c)
	if err != nil {
		return err
	}
	d, err := o.collectionDoc(c, col)
	if err != nil {
		return err
	}
	return o.render(c, mtJSON, col.Title, d)
}

func (o *ogcAPI) queryables(c echo.Context) error {
	col, err := o.collectionParam(c)
	if err != nil {
		return err
	}
	props := map[string]any{"geometry": map[string]any{"format": "geometry-" + strings.ToLower(col.GeometryType)}}
	for _, p := range col.Props {
		if !p.Filter {
			continue
		}
		props[p.Name] = map[string]any{"type": p.Type, "title": p.Name}
	}
	doc := map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     o.href(c, "/ogc/collections/"+col.ID+"/queryables", nil),
		"type":    "object", "title": col.Title, "properties": props,
		"additionalProperties": false,
	}
	return o.render(c, mtSchema, col.Title+" queryables", doc)
}

// crsParam parses ?crs= (default CRS84).
func crsParam(c echo.Context) (uri string, srid int, flip bool, err error) {
	uri = c.QueryParam("crs")
	if uri == "" {
		uri = crsCRS84
	}
	srid, flip, ok := crsInfo(uri)
	if !ok {
		return "", 0, false, badRequestf("crs", "crs must be one of %s", strings.Join(supportedCRS, ", "))
	}
	return strings.TrimSuffix(strings.TrimPrefix(uri, "["), "]"), srid, flip, nil
}

// ogcBBox parses ?bbox= in ?bbox-crs= (default CRS84) into a lon/lat bound.
func ogcBBox(c echo.Context) (*orb.Bound, error) {
	s := c.QueryParam("bbox")
	if s == "" {
		if c.QueryParam("bbox-crs") != "" {
			return nil, badRequest("bbox-crs", "bbox-crs needs a bbox")
		}
		return nil, nil
	}
	bcrs := c.QueryParam("bbox-crs")
	if bcrs == "" {
		bcrs = crsCRS84
	}
	srid, flip, ok := crsInfo(bcrs)
	if !ok {
		return nil, badRequestf("bbox-crs", "bbox-crs must be one of %s", strings.Join(supportedCRS, ", "))
	}
	parts := strings.Split(s, ",")
	if len(parts) == 6 { // 3D bbox: drop the heights
		parts = []string{parts[0], parts[1], parts[3], parts[4]}
	}
	if srid != 4326 || flip {
		if len(parts) != 4 {
			return nil, badRequest("bbox", "bbox must be 4 comma-separated numbers")
		}
		var v [4]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, badRequestf("bbox", "bbox value %d is not a finite number", i+1)
			}
			v[i] = f
		}
		if flip { // lat,lon axis order
			v = [4]float64{v[1], v[0], v[3], v[2]}
		}
		if srid == 3857 {
			lo := project.Mercator.ToWGS84(orb.Point{v[0], v[1]})
			hi := project.Mercator.ToWGS84(orb.Point{v[2], v[3]})
			v = [4]float64{lo[0], lo[1], hi[0], hi[1]}
		}
		parts = make([]string, 4)
		for i, f := range v {
			parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	b, err := geo.ParseBBox(strings.Join(parts, ","))
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// datetimeParam parses ?datetime= as an instant or an interval "start/end" with ".." or "" for open ends.
func datetimeParam(c echo.Context) (start, end *time.Time, err error) {
	s := c.QueryParam("datetime")
	if s == "" {
		return nil, nil, nil
	}
	parse := func(v string) (*time.Time, error) {
		if v == "" || v == ".." {
			return nil, nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return &t, nil
			}
		}
		return nil, badRequestf("datetime", "%q is not an RFC 3339 date-time such as 2024-05-01T00:00:00Z", v)
	}
	a, b, interval := strings.Cut(s, "/")
	if start, err = parse(a); err != nil {
		return nil, nil, err
	}
	if !interval {
		if start == nil {
			return nil, nil, badRequest("datetime", "datetime must be an instant or an interval start/end")
		}
		return start, start, nil
	}
	if end, err = parse(b); err != nil {
		return nil, nil, err
	}
	if start != nil && end != nil && end.Before(*start) {
		return nil, nil, badRequest("datetime", "the interval ends before it starts")
	}
	return start, end, nil
}

func (o *ogcAPI) items(c echo.Context) error {
	col, err := o.collectionParam(c)
	if err != nil {
		return err
	}
	html, err := wantHTML(c)
	if err != nil {
		return err
	}
	q := domain.OGCQuery{Filters: map[string]string{}}
	if q.Limit, err = intParam(c, "limit", ogcDefaultLimit, 1, math.MaxInt32); err != nil {
		return err
	}
	q.Limit = min(q.Limit, ogcMaxLimit) // the standard asks to clamp, not to refuse
	if q.BBox, err = ogcBBox(c); err != nil {
		return err
	}
	crsURI, srid, flip, err := crsParam(c)
	if err != nil {
		return err
	}
	q.SRID, q.FlipAxes = srid, flip
	if q.Start, q.End, err = datetimeParam(c); err != nil {
		return err
	}
	if (q.Start != nil || q.End != nil) && !col.Temporal {
		return badRequest("datetime", "collection "+col.ID+" has no time to filter on")
	}
	for name, vals := range c.QueryParams() {
		if reservedItemParams[name] {
			continue
		}
		p := col.Prop(name)
		if p == nil || !p.Filter {
			return badRequestf(name, "unknown parameter %q; %s can be filtered by %s (see %s)", name, col.ID,
				strings.Join(filterNames(col), ", "), "/ogc/collections/"+col.ID+"/queryables")
		}
		if len(vals) != 1 {
			return badRequest(name, name+" may be given once")
		}
		q.Filters[name] = vals[0]
	}
	for _, dir := range []string{"after", "before"} {
		if s := c.QueryParam(dir); s != "" {
			k, ok := col.ParseKey(s)
			if !ok {
				return badRequest(dir, dir+" must be a feature id of this collection (from a next or prev link)")
			}
			if dir == "after" {
				q.After = &k
			} else {
				q.Before = &k
			}
		}
	}
	if q.After != nil && q.Before != nil {
		return badRequest("after", "give after or before, not both")
	}
	features, _ := o.bufs.Get().(*bytes.Buffer)
	if features == nil {
		features = new(bytes.Buffer)
	}
	defer func() {
		if features.Cap() <= maxPooledItems {
			features.Reset()
			o.bufs.Put(features)
		}
	}()
	page, err := o.h.Svc.OGCItems(c.Request().Context(), principal(c), col.ID, q, features)
	if errors.Is(err, domain.ErrInvalid) {
		return badRequestf("", "%v", err)
	} else if err != nil {
		return err
	}

	path := "/ogc/collections/" + col.ID + "/items"
	self := c.QueryParams()
	delete(self, "f")
	with := func(set map[string]string) url.Values {
		v := url.Values{}
		for k, x := range self {
			v[k] = x
		}
		delete(v, "after")
		delete(v, "before")
		for k, x := range set {
			v.Set(k, x)
		}
		return v
	}
	links := []ogcLink{
		{Href: o.href(c, path, with(map[string]string{"f": "json", "after": c.QueryParam("after"), "before": c.QueryParam("before")})), Rel: "self", Type: mtGeoJSON},
		{Href: o.href(c, path, with(map[string]string{"f": "html", "after": c.QueryParam("after"), "before": c.QueryParam("before")})), Rel: "alternate", Type: mtHTML},
		{Href: o.href(c, "/ogc/collections/"+col.ID, nil), Rel: "collection", Type: mtJSON},
	}
	cleanEmpty(links[:2])
	hasNext := (q.Before == nil && page.More) || (q.Before != nil && page.Returned > 0)
	hasPrev := page.Returned > 0 && ((q.After != nil) || (q.Before != nil && page.More))
	f := "json"
	if html {
		f = "html"
	}
	if hasNext {
		links = append(links, ogcLink{Href: o.href(c, path, with(map[string]string{"after": col.KeyString(page.Last), "f": f})), Rel: "next", Type: mtGeoJSON, Title: "Next page"})
	}
	if hasPrev {
		links = append(links, ogcLink{Href: o.href(c, path, with(map[string]string{"before": col.KeyString(page.First), "f": f})), Rel: "prev", Type: mtGeoJSON, Title: "Previous page"})
	}

	// The frame around the features PostGIS wrote: a head, the features' bytes as they came, a tail.
	var head bytes.Buffer
	head.WriteString(`{"type":"FeatureCollection",`)
	if page.Matched >= 0 {
		head.WriteString(`"numberMatched":` + strconv.FormatInt(page.Matched, 10) + `,`)
	}
	head.WriteString(`"numberReturned":` + strconv.Itoa(page.Returned))
	head.WriteString(`,"timeStamp":"` + time.Now().UTC().Format(time.RFC3339) + `","links":`)
	_ = jsonEncode(&head, links)
	head.Truncate(head.Len() - 1) // the encoder's newline
	head.WriteString(`,"features":[`)
	const tail = "]}\n"
	c.Response().Header().Set("Content-Crs", "<"+crsURI+">")
	if html {
		doc := append(append(head.Bytes(), features.Bytes()...), tail...)
		return renderOGCHTML(c, col.Title, rawJSON(doc))
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, mtGeoJSON)
	hd.Set(echo.HeaderContentLength, strconv.Itoa(head.Len()+features.Len()+len(tail)))
	c.Response().WriteHeader(http.StatusOK)
	w := c.Response()
	if _, err := w.Write(head.Bytes()); err != nil {
		return nil // the client went away; nothing more to say to it
	}
	if _, err := w.Write(features.Bytes()); err != nil {
		return nil
	}
	_, _ = io.WriteString(w, tail)
	return nil
}

// maxPooledItems is the largest page buffer kept for reuse; rarer, bigger pages go to the collector.
const maxPooledItems = 8 << 20

// cleanEmpty drops empty after/before parameters from self links.
func cleanEmpty(links []ogcLink) {
	for i := range links {
		u, err := url.Parse(links[i].Href)
		if err != nil {
			continue
		}
		q := u.Query()
		for _, k := range []string{"after", "before"} {
			if q.Get(k) == "" {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		links[i].Href = u.String()
	}
}

func filterNames(col *domain.OGCCollection) []string {
	var out []string
	for _, p := range col.Props {
		if p.Filter {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

func (o *ogcAPI) item(c echo.Context) error {
	col, err := o.collectionParam(c)
	if err != nil {
		return err
	}
	k, ok := col.ParseKey(c.Param("fid"))
	if !ok {
		return problemf(http.StatusNotFound, "Not found", "%q is not a feature id of %s", c.Param("fid"), col.ID)
	}
	crsURI, srid, flip, err := crsParam(c)
	if err != nil {
		return err
	}
	f, err := o.h.Svc.OGCItem(c.Request().Context(), principal(c), col.ID, k, srid, flip)
	if errors.Is(err, domain.ErrNotFound) {
		return problemf(http.StatusNotFound, "Not found", "%s has no feature %q", col.ID, c.Param("fid"))
	} else if err != nil {
		return err
	}
	// Add the links the standard asks for to the Feature PostGIS wrote.
	links := []ogcLink{
		{Href: o.href(c, "/ogc/collections/"+col.ID+"/items/"+url.PathEscape(c.Param("fid")), nil), Rel: "self", Type: mtGeoJSON},
		{Href: o.href(c, "/ogc/collections/"+col.ID, nil), Rel: "collection", Type: mtJSON},
	}
	var buf bytes.Buffer
	buf.Write(f[:len(f)-1])
	buf.WriteString(`, "links":`)
	_ = jsonEncode(&buf, links)
	buf.Truncate(buf.Len() - 1)
	buf.WriteString("}\n")
	c.Response().Header().Set("Content-Crs", "<"+crsURI+">")
	html, err := wantHTML(c)
	if err != nil {
		return err
	}
	if html {
		return renderOGCHTML(c, col.Title, rawJSON(buf.Bytes()))
	}
	return c.Blob(http.StatusOK, mtGeoJSON, buf.Bytes())
}

// rawJSON is a JSON document already encoded.
type rawJSON []byte

// ogcPage is the HTML view of any OGC document: its title, its links, a table of features when it has
// them, and the JSON itself. Plain HTML, no script (the CSP forbids inline script anyway).
var ogcPage = template.Must(template.New("ogc").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}pre{background:#f6f6f6;padding:1em;overflow:auto}</style>
</head><body><h1>{{.Title}}</h1>
{{if .Links}}<ul>{{range .Links}}<li><a href="{{.Href}}">{{.Rel}}</a> {{.Title}} <small>{{.Type}}</small></li>{{end}}</ul>{{end}}
{{if .Collections}}<h2>Collections</h2><ul>{{range .Collections}}<li><a href="{{.Href}}">{{.Title}}</a></li>{{end}}</ul>{{end}}
{{if .Columns}}<h2>{{len .Rows}} features</h2><table><tr><th>id</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
<details><summary>JSON</summary><pre>{{.JSON}}</pre></details>
</body></html>`))

// renderOGCHTML renders an OGC document (a value, or rawJSON) as an HTML page.
func renderOGCHTML(c echo.Context, title string, v any) error {
	var raw []byte
	if r, ok := v.(rawJSON); ok {
		raw = r
	} else {
		var b bytes.Buffer
		if err := jsonEncode(&b, v); err != nil {
			return err
		}
		raw = b.Bytes()
	}
	var doc struct {
		Links       []ogcLink `json:"links"`
		Collections []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"collections"`
		Features []struct {
			ID         any            `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	_ = json.Unmarshal(raw, &doc)
	type colLink struct{ Href, Title string }
	data := struct {
		Title       string
		Links       []ogcLink
		Collections []colLink
		Columns     []string
		Rows        [][]string
		JSON        string
	}{Title: title, Links: doc.Links}
	for _, col := range doc.Collections {
		data.Collections = append(data.Collections, colLink{Href: "/ogc/collections/" + url.PathEscape(col.ID) + "?f=html", Title: col.Title})
	}
	if len(doc.Features) > 0 {
		seen := map[string]bool{}
		for _, f := range doc.Features {
			for k := range f.Properties {
				if !seen[k] {
					seen[k] = true
					data.Columns = append(data.Columns, k)
				}
			}
		}
		sort.Strings(data.Columns)
		for _, f := range doc.Features {
			row := []string{fmt.Sprint(f.ID)}
			for _, k := range data.Columns {
				if v, ok := f.Properties[k]; ok && v != nil {
					row = append(row, fmt.Sprint(v))
				} else {
					row = append(row, "")
				}
			}
			data.Rows = append(data.Rows, row)
		}
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") == nil {
		data.JSON = pretty.String()
	} else {
		data.JSON = string(raw)
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/html; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	return ogcPage.Execute(c.Response(), data)
}
