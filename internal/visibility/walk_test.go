package visibility_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"everymeter/domain"
	"everymeter/internal/testapp"
	"everymeter/service"
)

// Two units, far enough apart that no heat cell or hotspot holds both: A (the test app's unit, whose staff
// walks) and B. Every report's description and address carries its unit's marker.
var (
	placeA = orb.Point{114.30, 35.70}
	placeB = orb.Point{114.60, 36.00}
)

const (
	markA = "walk-visible-A"
	markB = "walk-hidden-B"
)

// answer is what the walk checks in one route's answers.
type answer int

const (
	// listsCases: the route lists reports; A's must be there, B's must not.
	listsCases answer = iota
	// noCases: the route shows no report as a record (map data, statistics, documents): nothing of B's.
	noCases
	// published: Open311, the same for everyone; unit staff get exactly what the anonymous public gets.
	published
)

// route is the walk's entry for one GET route: the policy resource its answers come under, how to request
// it, and what to check. Every GET route of the server must have one, so a new read route fails the walk until
// its visibility is decided.
type route struct {
	resource service.Resource
	answer   answer
	query    string // the query string; " | " separates variants (other formats), each requested too
}

// routes is the walk's table, keyed by the route's path as registered.
var routes = map[string]route{
	"/healthz":        {service.MapData, noCases, ""},
	"/readyz":         {service.MapData, noCases, ""},
	"/api/v1/auth/me": {service.MapData, noCases, ""},
	"/api/v1/config":  {service.MapData, noCases, ""},

	"/api/v1/units":                    {service.MapData, noCases, ""},
	"/api/v1/units/:id":                {service.MapData, noCases, ""},
	"/api/v1/assets":                   {service.MapData, noCases, "bbox={bbox}"},
	"/api/v1/assets/:id":               {service.MapData, noCases, ""},
	"/api/v1/zones":                    {service.MapData, noCases, "bbox={bbox}"},
	"/api/v1/zones/:id":                {service.MapData, noCases, ""},
	"/api/v1/assets/:id/assignments":   {service.MapData, noCases, ""},
	"/api/v1/assignments/:id":          {service.MapData, noCases, ""},
	"/api/v1/categories":               {service.MapData, noCases, ""},
	"/api/v1/categories/:code":         {service.MapData, noCases, ""},
	"/api/v1/coverage":                 {service.MapData, noCases, ""},
	"/api/v1/coverage/segments":        {service.MapData, noCases, "bbox={bbox}"},
	"/api/v1/coverage/gaps":            {service.MapData, noCases, "bbox={bbox}"},
	"/api/v1/coverage/overlaps":        {service.MapData, noCases, "bbox={bbox}"},
	"/api/v1/coverage/export":          {service.MapData, noCases, "format=csv"},
	"/api/v1/assets/:id/coverage":      {service.MapData, noCases, ""},
	"/api/v1/assets/:id/patrols":       {service.PatrolAggregates, noCases, ""},
	"/api/v1/patrols/coverage":         {service.PatrolAggregates, noCases, ""},
	"/api/v1/patrols/stale":            {service.PatrolAggregates, noCases, "days=7"},
	"/api/v1/patrols/layer":            {service.PatrolAggregates, noCases, "bbox={bbox}"},
	"/api/v1/patrols/:id/track":        {service.Tracks, noCases, ""}, // another's track: 404 (patrols_test walks every role)
	"/api/v1/patrols/presence":         {service.PatrolAggregates, noCases, ""},
	"/api/v1/patrols/targets":          {service.PatrolAggregates, noCases, ""},
	"/api/v1/patrols/compliance":       {service.PatrolAggregates, noCases, ""},
	"/api/v1/patrols/inspectors":       {service.PatrolAggregates, noCases, ""},
	"/api/v1/patrols/today":            {service.Tracks, noCases, "bbox={bbox}"}, // walkers only (their own route): unit staff get 403
	"/api/v1/owner":                    {service.MapData, noCases, "lon={blon}&lat={blat}"},
	"/api/v1/auth/apikeys":             {service.MapData, noCases, ""},
	"/api/v1/admin/throttles":          {service.MapData, noCases, ""}, // admins only: unit staff get 403
	"/api/v1/openapi.json":             {service.MapData, noCases, ""},
	"/api/v1/reports":                  {service.Cases, listsCases, "bbox={bbox}"},
	"/api/v1/reports/:id":              {service.Cases, listsCases, ""},
	"/api/v1/reports/:id/history":      {service.Cases, listsCases, ""},
	"/api/v1/reports/:id/photos":       {service.Cases, listsCases, ""},
	"/api/v1/reports/:id/shop":         {service.ShopContacts, noCases, ""},
	"/api/v1/parts":                    {service.MapData, noCases, "bbox={bbox}"},
	"/api/v1/parts/:id":                {service.MapData, noCases, ""},
	"/api/v1/imports/:id":              {service.MapData, noCases, ""}, // planners' pending uploads: unit staff get 403
	"/api/v1/imports/:id/preview":      {service.MapData, noCases, ""},
	"/api/v1/shops":                    {service.ShopContacts, noCases, "bbox={bbox}"},
	"/api/v1/shops/:id":                {service.ShopContacts, noCases, ""},
	"/api/v1/shops/:id/agreement.pdf":  {service.ShopContacts, noCases, ""},
	"/api/v1/assets/:id/frontage":      {service.MapData, noCases, " | side=left"},
	"/api/v1/frontage":                 {service.MapData, noCases, ""},
	"/api/v1/shops/repeats":            {service.CaseAggregates, noCases, "from=2020-01-01&to=2030-01-01"},
	"/api/v1/photos/:id":               {service.Cases, listsCases, ""},
	"/api/v1/photos/:id/thumb":         {service.Cases, listsCases, ""},
	"/api/v1/heatmap":                  {service.CaseAggregates, noCases, "bbox={bbox}&zoom=10&status=all | bbox={bbox}&zoom=10&status=all&format=points"},
	"/api/v1/hotspots":                 {service.CaseAggregates, noCases, "from=2020-01-01&to=2030-01-01&min_count=2"},
	"/api/v1/stats/trend":              {service.CaseAggregates, noCases, "from=2020-01-01&to=2030-01-01&interval=month"},
	"/api/v1/stats/units":              {service.UnitStats, noCases, "from=2020-01-01&to=2030-01-01"},
	"/api/v1/stats/inspectors":         {service.UnitStats, noCases, "from=2020-01-01&to=2030-01-01"},
	"/api/v1/briefing":                 {service.Cases, listsCases, "from=2020-01-01&to=2030-01-01 | from=2020-01-01&to=2030-01-01&format=csv | from=2020-01-01&to=2030-01-01&format=json"},
	"/api/v1/briefing/style.css":       {service.MapData, noCases, ""},
	"/ogc":                             {service.MapData, noCases, ""},
	"/ogc/":                            {service.MapData, noCases, ""},
	"/ogc/conformance":                 {service.MapData, noCases, ""},
	"/ogc/api":                         {service.MapData, noCases, ""},
	"/ogc/collections":                 {service.MapData, noCases, ""},
	"/ogc/collections/:cid":            {service.MapData, noCases, ""},
	"/ogc/collections/:cid/items":      {service.Cases, listsCases, "bbox={bbox}&limit=1000 | f=html"},
	"/ogc/collections/:cid/items/:fid": {service.Cases, listsCases, " | f=html"},
	"/ogc/collections/:cid/queryables": {service.MapData, noCases, ""},
	"/tiles":                           {service.MapData, noCases, ""},
	"/tiles/:layer":                    {service.MapData, noCases, ""},
	"/tiles/:layer/:z/:x/:y":           {service.Cases, listsCases, ""},

	"/api/v1/eval/items":              {service.MapData, noCases, ""},
	"/api/v1/eval/sites":              {service.MapData, noCases, ""},
	"/api/v1/eval/rounds":             {service.UnitStats, noCases, ""},
	"/api/v1/eval/rounds/:id":         {service.UnitStats, noCases, ""},
	"/api/v1/eval/rounds/:id/results": {service.UnitStats, noCases, ""},
	"/api/v1/eval/rounds/:id/scores":  {service.UnitStats, noCases, ""},
	"/api/v1/eval/rounds/:id/ledger":  {service.Cases, noCases, " | format=xlsx"},
	"/api/v1/eval/feedback/ledger":    {service.Cases, noCases, " | format=xlsx"},
	"/api/v1/eval/feedback/rows":      {service.Cases, noCases, ""},
	"/api/v1/eval/readiness":          {service.UnitStats, noCases, ""},
	"/api/v1/eval/evaluators":         {service.MapData, noCases, ""}, // admins only: unit staff get 403

	"/open311/v2/discovery.json": {service.Published, published, ""},
	"/open311/v2/discovery.xml":  {service.Published, published, ""},
	"/open311/v2/services.json":  {service.Published, published, ""},
	"/open311/v2/services.xml":   {service.Published, published, ""},
	"/open311/v2/requests.json":  {service.Published, published, "start_date=2000-01-01T00:00:00Z&end_date=2100-01-01T00:00:00Z"},
	"/open311/v2/requests.xml":   {service.Published, published, "start_date=2000-01-01T00:00:00Z&end_date=2100-01-01T00:00:00Z"},
	"/open311/v2/services/:file": {service.Published, published, ""},
	"/open311/v2/requests/:file": {service.Published, published, ""},
	"/open311/v2/tokens/:file":   {service.Published, published, ""},

	// Public reporting (issue 14): the public pages answer everyone alike; the queue and block list are admins'.
	"/report":                                       {service.Published, published, ""},
	"/r/:code":                                      {service.Published, published, ""},
	"/api/v1/public/categories":                     {service.Published, published, ""},
	"/api/v1/public/nearby":                         {service.Published, published, "lon={blon}&lat={blat}"},
	"/api/v1/public/reports/:code":                  {service.Published, published, ""},
	"/api/v1/public/reports/:code/photos/:id":       {service.Published, published, ""},
	"/api/v1/public/reports/:code/photos/:id/thumb": {service.Published, published, ""},
	"/api/v1/moderation/queue":                      {service.Reporters, noCases, ""},
	"/api/v1/moderation/reports/:id":                {service.Reporters, noCases, ""},
	"/api/v1/moderation/photos/:id":                 {service.Reporters, noCases, ""},
	"/api/v1/moderation/photos/:id/thumb":           {service.Reporters, noCases, ""},
	"/api/v1/moderation/blocks":                     {service.Reporters, noCases, ""},
	"/api/v1/moderation/apps":                       {service.Reporters, noCases, ""},
	"/api/v1/signs":                                 {service.SignBoards, noCases, ""},
	"/api/v1/signs.zip":                             {service.SignBoards, noCases, ""},
	"/api/v1/signs/:file":                           {service.SignBoards, noCases, ""},
	"/s/:code":                                      {service.SignBoards, noCases, ""},
}

// reporterShown matches a report naming its reporter (the policy keeps it from unit staff).
var reporterShown = regexp.MustCompile(`"reporter_id":\s*\d`)

// world is what the walk set up.
type world struct {
	a               *testapp.App
	unitB           int64
	reportsA        []int64
	reportsB        []int64
	photoA, photoB  int64
	category        string
	collections     []string
	layers          []string
	tile            maptile.Tile
	tileA, tileB    maptile.Tile
	reporterName    string
	anonymousBodies map[string][]byte
}

func TestUnitStaffSeeNoOtherUnitsCases(t *testing.T) {
	w := setUp(t)
	gets := map[string]bool{}
	for _, rt := range w.a.Echo.Routes() {
		if rt.Method == http.MethodGet {
			gets[rt.Path] = true
		}
	}
	var paths []string
	for p := range gets {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	policy := service.Policy()
	for _, path := range paths {
		spec, ok := routes[path]
		if !ok {
			t.Errorf("GET %s has no entry in the walk: decide which visibility resource it serves and add it", path)
			continue
		}
		if _, ok := policy["unit_staff"][spec.resource]; !ok {
			t.Errorf("GET %s serves %s, which the visibility policy does not decide for unit staff", path, spec.resource)
		}
		t.Run(strings.ReplaceAll(strings.TrimPrefix(path, "/"), "/", "_"), func(t *testing.T) { w.walk(t, path, spec) })
	}
	for p := range routes {
		if !gets[p] {
			t.Errorf("the walk lists %s, which is no GET route of the server", p)
		}
	}
}

// setUp builds the whole server with units A and B, two reports each (one of them with a photo), all overdue.
func setUp(t *testing.T) *world {
	a := testapp.New(t)
	ctx := t.Context()
	w := &world{a: a, reporterName: "inspector1", anonymousBodies: map[string][]byte{}}
	b, err := a.Svc.CreateUnit(ctx, domain.Actor{Name: "test"}, domain.Unit{Code: "WALKB", Name: "乙单位", Kind: "department"})
	if err != nil {
		t.Fatal(err)
	}
	w.unitB = b.ID
	// Nothing is mapped, so each report goes to its category's default unit.
	for _, c := range []struct{ code, unit string }{{"WALK-A", "TEST"}, {"WALK-B", "WALKB"}} {
		if _, err := a.Svc.CreateCategory(ctx, domain.Actor{Name: "test"}, domain.Category{Code: c.code, NameZh: "走查" + c.code,
			Group: "走查", Type: "event", DefaultUnitCode: c.unit, TimeLimitHours: 4, Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	w.category = "WALK-A"
	file := func(cat, mark string, at orb.Point, i int) int64 {
		res := a.Do("inspector", "POST", "/api/v1/reports", map[string]any{
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{at[0] + float64(i)*1e-4, at[1]}},
			"category": cat, "description": fmt.Sprintf("%s description %d", mark, i), "address": fmt.Sprintf("%s address %d", mark, i)})
		res.MustStatus(t, http.StatusCreated)
		var out struct {
			Report struct {
				ID     int64  `json:"id"`
				UnitID *int64 `json:"unit_id"`
			} `json:"report"`
		}
		res.Decode(t, &out)
		return out.Report.ID
	}
	for i := range 2 {
		w.reportsA = append(w.reportsA, file("WALK-A", markA, placeA, i))
		w.reportsB = append(w.reportsB, file("WALK-B", markB, placeB, i))
	}
	// Every report overdue, so that the briefing's overdue list would name them.
	if _, err := a.Store.Pool.Exec(ctx, `UPDATE reports SET deadline = now() - interval '1 hour', dispatched_at = now() - interval '5 hours'`); err != nil {
		t.Fatal(err)
	}
	w.photoA = upload(t, a, w.reportsA[0], 10)
	w.photoB = upload(t, a, w.reportsB[0], 200)
	var cols struct {
		Collections []struct{ ID string } `json:"collections"`
	}
	a.Do("unit_staff", "GET", "/ogc/collections?f=json", nil).MustStatus(t, 200).Decode(t, &cols)
	for _, c := range cols.Collections {
		w.collections = append(w.collections, c.ID)
	}
	var layers struct {
		Items []struct{ Name string } `json:"items"`
	}
	a.Do("unit_staff", "GET", "/tiles", nil).MustStatus(t, 200).Decode(t, &layers)
	for _, l := range layers.Items {
		w.layers = append(w.layers, l.Name)
	}
	// One low-zoom tile holding both places, and one close tile on each.
	w.tile = maptile.At(placeA, 6)
	if maptile.At(placeB, 6) != w.tile {
		t.Fatal("the places should share a zoom-6 tile")
	}
	w.tileA, w.tileB = maptile.At(placeA, 14), maptile.At(placeB, 14)
	return w
}

// upload attaches a small PNG to a report as the inspector and returns the photo's id.
func upload(t *testing.T, a *testapp.App, reportID int64, shade uint8) int64 {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.Set(0, 0, color.RGBA{shade, 0, 0, 255})
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "p.png")
	fw.Write(pic.Bytes())
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/reports/%d/photos", a.URL, reportID), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.Tokens["inspector"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	var p struct{ ID int64 }
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// request is one concrete request of a route, and whether its answer must show A's cases.
type request struct {
	path   string
	wantA  bool // A's cases must appear (the route lists cases and this request asks for A's)
	wantOK bool // the answer must be 200 (else 404 is the only other acceptable answer)
	hidden bool // the request names one of B's cases: the answer must be 404, as if it did not exist
	denied bool // the route is not unit staff's at all (the route table refuses it): the answer must be 403
}

// expand turns a route pattern into concrete requests: ids of B's records (which must not be found) and of A's.
func (w *world) expand(path string) []request {
	var out []request
	ids := func(param string, a, b int64) {
		out = append(out, request{path: strings.Replace(path, param, fmt.Sprint(a), 1), wantA: true, wantOK: true},
			request{path: strings.Replace(path, param, fmt.Sprint(b), 1), hidden: true})
	}
	switch {
	case strings.HasPrefix(path, "/api/v1/moderation/"), strings.HasPrefix(path, "/api/v1/imports/"): // imports: planners' uploads
		out = append(out, request{path: strings.Replace(path, ":id", "1", 1), denied: true})
	case path == "/api/v1/signs.zip", path == "/api/v1/signs/:file": // nothing is assigned: no board exists
		out = append(out, request{path: strings.Replace(path, ":file", "A1.svg", 1)})
	case strings.Contains(path, ":code"): // no public report or stretch exists: an unknown code is not found
		out = append(out, request{path: strings.NewReplacer(":code", "ZZZZZZZZZZ", ":id", "1").Replace(path)})
	case path == "/api/v1/reports/:id/shop":
		// A's case is at no shop's frontage (404 is fine); B's must not be found at all.
		out = append(out, request{path: strings.Replace(path, ":id", fmt.Sprint(w.reportsA[0]), 1)},
			request{path: strings.Replace(path, ":id", fmt.Sprint(w.reportsB[0]), 1), hidden: true})
	case strings.HasPrefix(path, "/api/v1/reports/:id"):
		ids(":id", w.reportsA[0], w.reportsB[0])
	case strings.HasPrefix(path, "/api/v1/photos/:id"):
		ids(":id", w.photoA, w.photoB)
	case path == "/api/v1/units/:id":
		ids(":id", w.a.UnitID, w.unitB) // map data: both are found, neither shows a case
		out[1].wantOK, out[1].hidden = true, false
		out[0].wantA = false
	case strings.Contains(path, ":id"):
		out = append(out, request{path: strings.Replace(path, ":id", "1", 1)})
	case path == "/api/v1/categories/:code":
		out = append(out, request{path: strings.Replace(path, ":code", "WALK-B", 1), wantOK: true})
	case strings.HasPrefix(path, "/ogc/collections/:cid"):
		for _, c := range w.collections {
			p := strings.Replace(path, ":cid", c, 1)
			cases := c == "reports"
			if strings.Contains(p, ":fid") {
				if cases {
					out = append(out, request{path: strings.Replace(p, ":fid", fmt.Sprint(w.reportsA[0]), 1), wantA: true, wantOK: true},
						request{path: strings.Replace(p, ":fid", fmt.Sprint(w.reportsB[0]), 1), hidden: true})
				} else {
					out = append(out, request{path: strings.Replace(p, ":fid", "1", 1)})
				}
				continue
			}
			out = append(out, request{path: p, wantA: cases && strings.HasSuffix(p, "/items"), wantOK: true})
		}
	case path == "/tiles/:layer":
		for _, l := range w.layers {
			out = append(out, request{path: "/tiles/" + l + ".json", wantOK: true})
		}
	case path == "/tiles/:layer/:z/:x/:y":
		for _, l := range w.layers {
			for _, tl := range []maptile.Tile{w.tile, w.tileA, w.tileB} {
				out = append(out, request{path: fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", l, tl.Z, tl.X, tl.Y),
					wantA: l == "reports" && tl != w.tileB, wantOK: true})
			}
		}
	case path == "/open311/v2/services/:file":
		out = append(out, request{path: "/open311/v2/services/WALK-B.json", wantOK: true})
	case path == "/open311/v2/requests/:file":
		out = append(out, request{path: fmt.Sprintf("/open311/v2/requests/%d.json", w.reportsB[0]), wantOK: true},
			request{path: fmt.Sprintf("/open311/v2/requests/%d.xml", w.reportsA[0]), wantOK: true})
	case path == "/api/v1/owner":
		out = append(out, request{path: path}) // nothing is mapped: 404 with candidates, or an owner
	case path == "/api/v1/admin/throttles", path == "/api/v1/eval/evaluators", path == "/api/v1/patrols/today": // not unit staff's
		out = append(out, request{path: path, denied: true})
	case path == "/open311/v2/tokens/:file":
		out = append(out, request{path: "/open311/v2/tokens/x.json"})
	default:
		out = append(out, request{path: path, wantOK: true})
	}
	return out
}

func (w *world) walk(t *testing.T, path string, spec route) {
	bbox := fmt.Sprintf("%g,%g,%g,%g", placeA[0]-1, placeA[1]-1, placeB[0]+1, placeB[1]+1)
	for i, q := range strings.Split(spec.query, " | ") {
		q = strings.NewReplacer("{bbox}", bbox, "{blon}", fmt.Sprint(placeB[0]), "{blat}", fmt.Sprint(placeB[1])).Replace(strings.TrimSpace(q))
		// A's cases must show in the first variant; the others (CSV rankings, other formats) need only hide B's.
		w.walkQuery(t, path, spec, q, i == 0)
	}
}

func (w *world) walkQuery(t *testing.T, path string, spec route, q string, first bool) {
	for _, rq := range w.expand(path) {
		u := rq.path
		if q != "" {
			u += "?" + q
		}
		res := w.a.Do("unit_staff", "GET", u, nil)
		switch {
		case rq.denied:
			if res.Status != http.StatusForbidden {
				t.Errorf("GET %s: %d, want 403: %.300s", u, res.Status, res.Body)
			}
			continue
		case rq.wantOK && res.Status != http.StatusOK:
			t.Errorf("GET %s: %d, want 200: %.300s", u, res.Status, res.Body)
			continue
		case rq.hidden && res.Status != http.StatusNotFound:
			t.Errorf("GET %s: %d, want 404 (the case is B's): %.300s", u, res.Status, res.Body)
			continue
		case !rq.wantOK && res.Status != http.StatusOK && res.Status != http.StatusNotFound:
			t.Errorf("GET %s: %d, want 200 or 404: %.300s", u, res.Status, res.Body)
			continue
		}
		if spec.answer == published {
			w.checkPublished(t, u, res)
			continue
		}
		w.checkNoB(t, u, res)
		if path == "/api/v1/stats/trend" {
			w.checkTrend(t, u, res)
		}
		if spec.answer == listsCases && reporterShown.Match(res.Body) {
			t.Errorf("GET %s: unit staff are told who filed a case: %.300s", u, excerpt(res.Body, "reporter_id"))
		}
		if spec.answer == listsCases && rq.wantA && first {
			w.checkA(t, u, res)
		}
	}
}

// checkNoB fails on any trace of B's cases: their markers in any text, their ids or unit in tile features, a
// coordinate at B's place in JSON (heat cells, hotspots, report geometries).
func (w *world) checkNoB(t *testing.T, u string, res testapp.Response) {
	t.Helper()
	if strings.Contains(res.Header.Get("Content-Type"), "vnd.mapbox-vector-tile") {
		for _, f := range w.features(t, u, res) {
			if id, ok := f.ID.(float64); ok && (int64(id) == w.reportsB[0] || int64(id) == w.reportsB[1]) && strings.Contains(u, "/reports/") {
				t.Errorf("GET %s: the tile holds B's report %v", u, id)
			}
			if uid, ok := f.Properties["unit_id"].(float64); ok && int64(uid) == w.unitB {
				t.Errorf("GET %s: a tile feature of unit B: %v", u, f.Properties)
			}
		}
		return
	}
	if bytes.Contains(res.Body, []byte(markB)) {
		t.Errorf("GET %s: the answer shows B's case: %.400s", u, excerpt(res.Body, markB))
	}
	var doc any
	if json.Unmarshal(res.Body, &doc) == nil {
		if p, ok := nearB(doc); ok {
			t.Errorf("GET %s: the answer places something at B's reports (%v)", u, p)
		}
	}
}

// checkTrend: the trend counts A's reports and no more (B's would make it four).
func (w *world) checkTrend(t *testing.T, u string, res testapp.Response) {
	t.Helper()
	var tr struct {
		Items []struct{ Created int64 } `json:"items"`
	}
	res.Decode(t, &tr)
	var n int64
	for _, it := range tr.Items {
		n += it.Created
	}
	if n != int64(len(w.reportsA)) {
		t.Errorf("GET %s: the trend counts %d reports created, want A's %d", u, n, len(w.reportsA))
	}
}

// checkA fails unless A's cases show in an answer that lists them (so that the walk can fail at all).
func (w *world) checkA(t *testing.T, u string, res testapp.Response) {
	t.Helper()
	ct := res.Header.Get("Content-Type")
	switch {
	case strings.Contains(ct, "vnd.mapbox-vector-tile"):
		n := 0
		for _, f := range w.features(t, u, res) {
			if id, ok := f.ID.(float64); ok && (int64(id) == w.reportsA[0] || int64(id) == w.reportsA[1]) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("GET %s: none of A's reports in the tile", u)
		}
	case strings.HasPrefix(ct, "image/"):
		// The photo itself: A's was served (200 checked), and B's was not.
	case strings.Contains(u, "/history"):
		if !bytes.Contains(res.Body, []byte(`"action"`)) {
			t.Errorf("GET %s: no history of A's report: %.300s", u, res.Body)
		}
	case strings.Contains(u, "/photos"):
		if !bytes.Contains(res.Body, []byte(fmt.Sprintf(`"id":%d`, w.photoA))) {
			t.Errorf("GET %s: A's photo is not listed: %.300s", u, res.Body)
		}
	default:
		if !bytes.Contains(res.Body, []byte(markA)) {
			t.Errorf("GET %s: A's cases do not show: %.300s", u, res.Body)
		}
	}
}

// checkPublished: Open311 answers unit staff exactly as it answers the public, and never names a reporter.
func (w *world) checkPublished(t *testing.T, u string, res testapp.Response) {
	t.Helper()
	anon := w.a.Do("", "GET", u, nil)
	if anon.Status != res.Status || !bytes.Equal(anon.Body, res.Body) {
		t.Errorf("GET %s: unit staff get another answer than the public:\n%.300s\n%.300s", u, res.Body, anon.Body)
	}
	for _, s := range []string{w.reporterName, "reporter"} {
		if bytes.Contains(res.Body, []byte(s)) {
			t.Errorf("GET %s: Open311 names the reporter (%q): %.300s", u, s, res.Body)
		}
	}
}

// features decodes a vector tile's features.
func (w *world) features(t *testing.T, u string, res testapp.Response) []*mvtFeature {
	t.Helper()
	if len(res.Body) == 0 {
		return nil
	}
	layers, err := mvt.Unmarshal(res.Body)
	if err != nil {
		t.Fatalf("GET %s: not a vector tile: %v", u, err)
	}
	var out []*mvtFeature
	for _, l := range layers {
		for _, f := range l.Features {
			out = append(out, &mvtFeature{ID: f.ID, Properties: f.Properties})
		}
	}
	return out
}

type mvtFeature struct {
	ID         any
	Properties map[string]any
}

// nearB finds a coordinate within 0.05° of B's place anywhere in a JSON document: a [lon, lat] pair, a
// {"lon", "lat"} object, or a leaflet.heat [lat, lon, weight] point.
func nearB(v any) ([]float64, bool) {
	near := func(lon, lat float64) bool {
		return math.Abs(lon-placeB[0]) < 0.05 && math.Abs(lat-placeB[1]) < 0.05
	}
	switch x := v.(type) {
	case []any:
		if len(x) == 2 || len(x) == 3 {
			a, ok1 := x[0].(float64)
			b, ok2 := x[1].(float64)
			if ok1 && ok2 && (near(a, b) || near(b, a)) {
				return []float64{a, b}, true
			}
		}
		for _, e := range x {
			if p, ok := nearB(e); ok {
				return p, true
			}
		}
	case map[string]any:
		if lon, ok := x["lon"].(float64); ok {
			if lat, ok := x["lat"].(float64); ok && near(lon, lat) {
				return []float64{lon, lat}, true
			}
		}
		for _, e := range x {
			if p, ok := nearB(e); ok {
				return p, true
			}
		}
	}
	return nil, false
}

func excerpt(b []byte, s string) string {
	i := bytes.Index(b, []byte(s))
	lo, hi := max(0, i-150), min(len(b), i+150)
	return string(b[lo:hi])
}
