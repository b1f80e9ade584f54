package handlers_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"everymeter/internal/shared"
	"everymeter/internal/testapp"
	"everymeter/store"
)

// open311Schemas compiles the published GeoReport v2 JSON Schemas (open311/schema-validation) from the shared
// data directory, skipping when it is absent.
func open311Schemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	dir := filepath.Dir(shared.Path(t, "open311-schemas/request.json"))
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time and uri are checked, not just annotated
	out := map[string]*jsonschema.Schema{}
	for _, name := range []string{"services", "service", "service-definition", "requests", "request"} {
		s, err := c.Compile(filepath.Join(abs, name+".json"))
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}

// validate checks a JSON body against a schema.
func validate(t *testing.T, s *jsonschema.Schema, what string, body []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not JSON: %v: %s", what, err, body)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s does not validate: %v\n%s", what, err, body)
	}
}

// xmlElements checks that body is well-formed XML and returns the element paths it contains ("a/b/c").
func xmlElements(t *testing.T, what string, body []byte) map[string]int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(body))
	seen := map[string]int{}
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: malformed XML: %v\n%s", what, err, body)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			stack = append(stack, e.Name.Local)
			seen[strings.Join(stack, "/")]++
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Fatalf("%s: unclosed elements %v", what, stack)
	}
	return seen
}

func wantElements(t *testing.T, what string, seen map[string]int, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if seen[p] == 0 {
			t.Errorf("%s: no <%s> (elements: %v)", what, p, seen)
		}
	}
}

// open311Town is a hand-made road owned by a lead zone, and an API key for the inspector.
type open311Town struct {
	a    *testapp.App
	key  string
	unit int64
	road int64
}

func newOpen311Town(t *testing.T) *open311Town {
	t.Helper()
	a := testapp.New(t)
	u := a.Do("admin", "POST", "/api/v1/units", map[string]any{"code": "CGZ", "name": "城关镇", "kind": "town"}).MustStatus(t, 201).JSON()
	uid := int64(u["id"].(float64))
	road := a.Do("planner", "POST", "/api/v1/assets", feature(`{"type":"LineString","coordinates":[[114.30,35.75],[114.31,35.75]]}`,
		map[string]any{"kind": "road", "name": "朝阳路"})).MustStatus(t, 201).JSON()
	// The zone covers the road's western half (about 450 m of its ~905 m).
	a.Do("planner", "POST", "/api/v1/zones", feature(`{"type":"Polygon","coordinates":[[[114.299,35.749],[114.305,35.749],[114.305,35.751],[114.299,35.751],[114.299,35.749]]]}`,
		map[string]any{"name": "朝阳路西段", "unit_id": uid, "role": "lead", "kind": "路段"})).MustStatus(t, 201)
	key, _, err := a.Svc.CreateAPIKey(t.Context(), store.Actor{Name: "test"}, a.Users["inspector"].ID, "open311 app")
	if err != nil {
		t.Fatal(err)
	}
	return &open311Town{a: a, key: key, unit: uid, road: int64(road["id"].(float64))}
}

// post sends a form-encoded POST requests.{format}.
func (o *open311Town) post(t *testing.T, format string, form url.Values, headers ...string) testapp.Response {
	t.Helper()
	return o.a.Do("", "POST", "/open311/v2/requests."+format, form.Encode(),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

func (o *open311Town) form(code string, lat, lon float64, desc string) url.Values {
	return url.Values{"api_key": {o.key}, "service_code": {code}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lon)},
		"description": {desc}, "email": {"someone@example.org"}, "first_name": {"张"}, "jurisdiction_id": {"everymeter"}}
}

type created struct {
	ID     string  `json:"service_request_id"`
	Notice *string `json:"service_notice"`
}

func TestOpen311PostIsRoutedAndListed(t *testing.T) {
	o := newOpen311Town(t)
	res := o.post(t, "json", o.form("SRHJ-01", 35.75002, 114.302, "垃圾堆在路边")).MustStatus(t, 201)
	var got []created
	res.Decode(t, &got)
	if len(got) != 1 || got[0].ID == "" || got[0].Notice == nil || !strings.Contains(*got[0].Notice, "城关镇") {
		t.Fatalf("POST answer %s: want one request with a notice naming 城关镇", res.Body)
	}

	// The same report, routed, in the app's own API.
	fc := o.a.Do("admin", "GET", "/api/v1/reports", nil).MustStatus(t, 200).JSON()
	feats := fc["features"].([]any)
	if len(feats) != 1 {
		t.Fatalf("%d reports in /api/v1/reports, want 1", len(feats))
	}
	p := feats[0].(map[string]any)["properties"].(map[string]any)
	routing := p["routing"].(map[string]any)
	if fmt.Sprint(p["id"]) != got[0].ID || p["source"] != "open311" || p["unit_id"] != float64(o.unit) ||
		p["status"] != "dispatched" || routing["decided_by"] != "nearest_meter" || !strings.Contains(routing["reason"].(string), "朝阳路") {
		t.Fatalf("report as the API shows it: %v", p)
	}
	if strings.Contains(string(o.a.Do("admin", "GET", "/api/v1/reports/"+got[0].ID, nil).Body), "someone@example.org") {
		t.Errorf("the submitter's email was kept; personal fields must be dropped")
	}

	// On the gap (eastern half) the category's default unit (城关镇 again, by its code CGZ) takes it, and the notice says why.
	res = o.post(t, "json", o.form("SRHJ-01", 35.75002, 114.308, "gap")).MustStatus(t, 201)
	res.Decode(t, &got)
	one := o.a.Do("", "GET", "/open311/v2/requests/"+got[0].ID+".json", nil).MustStatus(t, 200)
	var reqs []map[string]any
	one.Decode(t, &reqs)
	if n := fmt.Sprint(reqs[0]["service_notice"]); len(reqs) != 1 || !strings.Contains(n, "a gap") || !strings.Contains(n, "default unit") {
		t.Fatalf("a request on the gap: %s", one.Body)
	}
}

func TestOpen311ResponsesValidate(t *testing.T) {
	schemas := open311Schemas(t)
	o := newOpen311Town(t)
	var ids []string
	for i, f := range []url.Values{
		o.form("SRHJ-01", 35.75002, 114.302, "垃圾"),
		o.form("JMZX-01", 35.75001, 114.301, ""), // no description: null, not ""
		o.form("BJ-02", 35.75003, 114.3025, "路灯不亮"),
	} {
		if i == 2 {
			f.Set("media_url", "https://example.org/p/1.jpg")
		}
		var got []created
		o.post(t, "json", f).MustStatus(t, 201).Decode(t, &got)
		ids = append(ids, got[0].ID)
	}
	// Close one by voiding it, so both open and closed appear, with a status note.
	o.a.Do("admin", "POST", "/api/v1/reports/"+ids[1]+"/transitions", map[string]any{"action": "void", "note": "已核实为误报"}).MustStatus(t, 200)

	get := func(path string) []byte { t.Helper(); return o.a.Do("", "GET", path, nil).MustStatus(t, 200).Body }
	validate(t, schemas["services"], "services.json", get("/open311/v2/services.json"))
	validate(t, schemas["service-definition"], "services/SRHJ-01.json", get("/open311/v2/services/SRHJ-01.json"))
	list := get("/open311/v2/requests.json")
	validate(t, schemas["requests"], "requests.json", list)
	var reqs []map[string]any
	if err := json.Unmarshal(list, &reqs); err != nil || len(reqs) != 3 {
		t.Fatalf("requests.json: %v %s", err, list)
	}
	byID := map[string]map[string]any{}
	for _, r := range reqs {
		b, _ := json.Marshal(r)
		validate(t, schemas["request"], "a request", b)
		byID[r["service_request_id"].(string)] = r
	}
	for _, id := range ids {
		validate(t, schemas["requests"], "requests/"+id+".json", get("/open311/v2/requests/"+id+".json"))
	}
	if r := byID[ids[1]]; r["status"] != "closed" || r["status_notes"] != "已核实为误报" || r["description"] != nil {
		t.Errorf("voided request: %v", r)
	}
	if r := byID[ids[0]]; r["status"] != "open" || r["agency_responsible"] != "城关镇" || r["expected_datetime"] == nil ||
		!strings.Contains(fmt.Sprint(r["address"]), "朝阳路") || r["lat"] != 35.75002 || r["long"] != 114.302 {
		t.Errorf("open request: %v", r)
	}
	if r := byID[ids[2]]; r["media_url"] != "https://example.org/p/1.jpg" || r["description"] != "路灯不亮" {
		t.Errorf("media_url round trip: %v", r)
	}
	for _, r := range reqs {
		ts, err := time.Parse(time.RFC3339, r["requested_datetime"].(string))
		if err != nil || time.Since(ts) > time.Hour || !strings.ContainsAny(r["requested_datetime"].(string)[19:], "+-") {
			t.Errorf("requested_datetime %v: want ISO 8601 with a numeric offset", r["requested_datetime"])
		}
	}

	var svcs []map[string]any
	json.Unmarshal(get("/open311/v2/services.json"), &svcs)
	active, err := o.a.Store.Categories(t.Context(), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != len(active) || svcs[0]["service_code"] != "JMZX-01" || svcs[0]["group"] != "街面秩序" ||
		svcs[0]["service_name"] != "占道经营/流动摊贩 (Street vending / hawkers)" || svcs[0]["type"] != "realtime" || svcs[0]["metadata"] != false {
		t.Errorf("services: %d, first %v", len(svcs), svcs[0])
	}
	var tok []map[string]any
	json.Unmarshal(get("/open311/v2/tokens/t-"+ids[0]+".json"), &tok)
	if len(tok) != 1 || tok[0]["service_request_id"] != ids[0] || tok[0]["token"] != "t-"+ids[0] {
		t.Errorf("token lookup: %v", tok)
	}
	var disc map[string]any
	json.Unmarshal(get("/open311/v2/discovery.json"), &disc)
	eps, _ := disc["endpoints"].([]any)
	if len(eps) != 1 || !strings.HasSuffix(eps[0].(map[string]any)["url"].(string), "/open311/v2") {
		t.Errorf("discovery: %v", disc)
	}

	// XML: well-formed, with the spec's element names.
	for _, tc := range []struct {
		path  string
		elems []string
	}{
		{"/open311/v2/discovery.xml", []string{"discovery/changeset", "discovery/endpoints/endpoint/url", "discovery/endpoints/endpoint/formats/format"}},
		{"/open311/v2/services.xml", []string{"services/service/service_code", "services/service/service_name", "services/service/metadata", "services/service/type", "services/service/group", "services/service/keywords", "services/service/description"}},
		{"/open311/v2/services/BJ-02.xml", []string{"service_definition/service_code", "service_definition/attributes"}},
		{"/open311/v2/requests.xml", []string{"service_requests/request/service_request_id", "service_requests/request/status", "service_requests/request/status_notes",
			"service_requests/request/service_code", "service_requests/request/service_name", "service_requests/request/agency_responsible", "service_requests/request/service_notice",
			"service_requests/request/requested_datetime", "service_requests/request/updated_datetime", "service_requests/request/expected_datetime",
			"service_requests/request/address", "service_requests/request/lat", "service_requests/request/long", "service_requests/request/media_url"}},
		{"/open311/v2/requests/" + ids[0] + ".xml", []string{"service_requests/request/service_request_id"}},
		{"/open311/v2/tokens/t-" + ids[0] + ".xml", []string{"service_requests/request/token", "service_requests/request/service_request_id"}},
	} {
		res := o.a.Do("", "GET", tc.path, nil).MustStatus(t, 200)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
			t.Errorf("%s: content type %q", tc.path, ct)
		}
		wantElements(t, tc.path, xmlElements(t, tc.path, res.Body), tc.elems...)
	}
	res := o.post(t, "xml", o.form("SRHJ-02", 35.75001, 114.303, "<脏> & 乱")).MustStatus(t, 201)
	wantElements(t, "POST requests.xml", xmlElements(t, "POST requests.xml", res.Body), "service_requests/request/service_request_id", "service_requests/request/service_notice")
}

func TestOpen311Errors(t *testing.T) {
	o := newOpen311Town(t)
	plannerKey, _, err := o.a.Svc.CreateAPIKey(t.Context(), store.Actor{Name: "test"}, o.a.Users["planner"].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	with := func(f url.Values, k, v string) url.Values {
		g := url.Values{}
		for kk, vv := range f {
			g[kk] = vv
		}
		if v == "" {
			g.Del(k)
		} else {
			g.Set(k, v)
		}
		return g
	}
	good := o.form("SRHJ-01", 35.75002, 114.302, "x")
	posts := []struct {
		name string
		form url.Values
		want int
		says string
	}{
		{"no api_key", with(good, "api_key", ""), 403, "api_key"},
		{"unknown api_key", with(good, "api_key", "emk_nope"), 403, "api_key"},
		{"a planner's key", with(good, "api_key", plannerKey), 403, "may not file"},
		{"no service_code", with(good, "service_code", ""), 400, "service_code"},
		{"unknown service_code", with(good, "service_code", "NOPE-1"), 400, "NOPE-1"},
		{"address only", with(with(with(good, "lat", ""), "long", ""), "address_string", "朝阳路12号"), 400, "address_string"},
		{"no location", with(with(good, "lat", ""), "long", ""), 400, "lat and long"},
		{"latitude out of range", with(good, "lat", "95"), 400, "lat must be"},
		{"description too long", with(good, "description", strings.Repeat("长", 4001)), 400, "4000"},
		{"media_url not a URL", with(good, "media_url", "javascript:alert(1)"), 400, "media_url"},
	}
	for _, tc := range posts {
		t.Run(tc.name, func(t *testing.T) {
			res := o.post(t, "json", tc.form, "Accept-Language", "en").MustStatus(t, tc.want)
			var errs []struct {
				Code        int    `json:"code"`
				Description string `json:"description"`
			}
			res.Decode(t, &errs)
			if len(errs) == 0 || errs[0].Code != tc.want || !strings.Contains(errs[0].Description, tc.says) {
				t.Fatalf("errors %s: want code %d mentioning %q", res.Body, tc.want, tc.says)
			}
		})
	}
	gets := []struct {
		name, path string
		want       int
	}{
		{"unknown request", "/open311/v2/requests/999999.json", 404},
		{"malformed request id", "/open311/v2/requests/abc.json", 404},
		{"unknown service", "/open311/v2/services/NOPE.json", 404},
		{"unknown token", "/open311/v2/tokens/t-999999.json", 404},
		{"foreign token", "/open311/v2/tokens/abc.json", 404},
		{"no format", "/open311/v2/requests/1", 404},
		{"bad start_date", "/open311/v2/requests.json?start_date=yesterday", 400},
		{"end before start", "/open311/v2/requests.json?start_date=2024-05-02&end_date=2024-05-01", 400},
		{"bad status", "/open311/v2/requests.json?status=pending", 400},
		{"bad id list", "/open311/v2/requests.json?service_request_id=1,x", 400},
	}
	for _, tc := range gets {
		t.Run(tc.name, func(t *testing.T) {
			res := o.a.Do("", "GET", tc.path, nil).MustStatus(t, tc.want)
			var errs []map[string]any
			res.Decode(t, &errs)
			if len(errs) != 1 || errs[0]["code"] != float64(tc.want) || errs[0]["description"] == "" {
				t.Fatalf("errors %s", res.Body)
			}
		})
	}
	t.Run("errors in XML", func(t *testing.T) {
		res := o.post(t, "xml", with(good, "api_key", "")).MustStatus(t, 403)
		wantElements(t, "XML error", xmlElements(t, "XML error", res.Body), "errors/error/code", "errors/error/description")
	})
	t.Run("JSON body", func(t *testing.T) {
		o.a.Do("", "POST", "/open311/v2/requests.json", `{"service_code":"SRHJ-01"}`).MustStatus(t, 400)
	})
}

func TestOpen311Filters(t *testing.T) {
	o := newOpen311Town(t)
	ctx := t.Context()
	file := func(code string, lon float64) string {
		var got []created
		o.post(t, "json", o.form(code, 35.75002, lon, "")).MustStatus(t, 201).Decode(t, &got)
		return got[0].ID
	}
	a1, a2, b1 := file("SRHJ-01", 114.301), file("SRHJ-01", 114.302), file("JMZX-04", 114.303)
	o.a.Do("admin", "POST", "/api/v1/reports/"+a2+"/transitions", map[string]any{"action": "void", "note": "误报"}).MustStatus(t, 200)
	// An imported report from half a year ago: outside the default 90 days.
	old := time.Now().AddDate(0, -6, 0)
	oldR, _, err := o.a.Store.UpsertReportBySource(ctx, store.Report{CategoryCode: "SRHJ-01", Status: "reported", Urgency: "normal",
		Geom: [2]float64{114.302, 35.75}, Source: "import311", SourceID: "LA-1", DecidedBy: "import", CreatedAt: old, UpdatedAt: old})
	if err != nil {
		t.Fatal(err)
	}
	oldID := fmt.Sprint(oldR.ID)

	ids := func(q string) string {
		var reqs []map[string]any
		o.a.Do("", "GET", "/open311/v2/requests.json"+q, nil).MustStatus(t, 200).Decode(t, &reqs)
		var out []string
		for _, r := range reqs {
			out = append(out, r["service_request_id"].(string))
		}
		return strings.Join(out, ",")
	}
	day := func(d time.Time) string { return url.QueryEscape(d.Format(time.RFC3339)) }
	for _, tc := range []struct{ name, q, want string }{
		{"default: last 90 days, newest first", "", strings.Join([]string{b1, a2, a1}, ",")},
		{"service_code", "?service_code=SRHJ-01", a2 + "," + a1},
		{"two service codes", "?service_code=JMZX-04,SRHJ-01", strings.Join([]string{b1, a2, a1}, ",")},
		{"open", "?status=open", b1 + "," + a1},
		{"closed", "?status=closed", a2},
		{"open and closed", "?status=open,closed", strings.Join([]string{b1, a2, a1}, ",")},
		{"start_date reaches back", "?start_date=" + day(old.AddDate(0, 0, -1)), strings.Join([]string{b1, a2, a1, oldID}, ",")},
		{"end_date alone: 90 days before it", "?end_date=" + day(old.AddDate(0, 0, 1)), oldID},
		{"window with nothing", "?start_date=2001-01-01&end_date=2001-02-01", ""},
		{"ids ignore the other filters", "?service_request_id=" + a1 + "," + oldID + "&status=closed", a1 + "," + oldID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.q); got != tc.want {
				t.Fatalf("requests%s → [%s], want [%s]", tc.q, got, tc.want)
			}
		})
	}
	// Idempotency-Key works through Open311 too: a retry answers 200 with the same id.
	f := o.form("SRHJ-03", 35.75002, 114.3015, "retry")
	var first, again []created
	o.post(t, "json", f, "Idempotency-Key", "k-1").MustStatus(t, 201).Decode(t, &first)
	o.post(t, "json", f, "Idempotency-Key", "k-1").MustStatus(t, http.StatusOK).Decode(t, &again)
	if first[0].ID != again[0].ID {
		t.Fatalf("a retry with the same Idempotency-Key made a second report: %s, %s", first[0].ID, again[0].ID)
	}
}
