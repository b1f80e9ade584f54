package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"everymeter/internal/testapp"
)

// zoneShapefileZip makes a zip of a CGCS2000 Gauss–Krüger (EPSG:4548) shapefile of n square zones near 116.35°E
// 40°N whose "unit" attribute is unit(i), as a county's GIS office would send it.
func zoneShapefileZip(t *testing.T, n int, unit func(i int) string, leaveOut ...string) []byte {
	t.Helper()
	var feats []string
	for i := 0; i < n; i++ {
		x := 116.35 + 0.01*float64(i)
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","properties":{"name":"上传网格%d","unit":%q},"geometry":{"type":"Polygon","coordinates":[[[%g,40],[%g,40],[%g,40.01],[%g,40.01],[%g,40]]]}}`,
			i+1, unit(i), x, x+0.01, x+0.01, x, x))
	}
	data, ok := testapp.ShapefileZip(t, []byte(`{"type":"FeatureCollection","features":[`+strings.Join(feats, ",")+`]}`), "EPSG:4548", "县网格", leaveOut...)
	if !ok {
		t.FailNow()
	}
	return data
}

// upload posts a file as multipart/form-data with form fields, as role (headers: name, value pairs).
func upload(t *testing.T, a *testapp.App, role, path, name string, data []byte, fields map[string]string, headers ...string) testapp.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v) //nolint:errcheck // in memory
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data) //nolint:errcheck // in memory
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, a.URL+path, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if tok := a.Tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return send(t, req)
}

type importSummary struct {
	ID       int64     `json:"id"`
	Features int       `json:"features"`
	Zones    int       `json:"zones"`
	BBox     []float64 `json:"bbox"`
	Errors   []struct {
		Index   int    `json:"index"`
		Feature string `json:"feature"`
		Detail  string `json:"detail"`
	} `json:"errors"`
}

// TestImportsUploadPreviewConfirm drives the web app's zone upload: a planner uploads a zipped shapefile, sees its
// zones with their units in the preview and confirms; the zones are then in the database, exactly once even when
// confirmed again. A file naming an unknown unit previews with the feature named (in Chinese by default) and cannot
// be confirmed; unit staff may not upload; a file that is no zone file, an expired import and an oversized upload
// are refused with problem+json, and none of it writes a zone.
func TestImportsUploadPreviewConfirm(t *testing.T) {
	a := testapp.New(t)
	ctx := t.Context()
	zones := func() int {
		var n int
		if err := a.Store.DB().QueryRow(ctx, `SELECT count(*) FROM zones`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	good := zoneShapefileZip(t, 3, func(i int) string { return []string{"TEST", "测试单位", "TEST"}[i] })
	bad := zoneShapefileZip(t, 3, func(i int) string { return []string{"TEST", "NOPE", "TEST"}[i] })

	if r := upload(t, a, "unit_staff", "/api/v1/imports?kind=zone", "zones.zip", good, nil); r.Status != http.StatusForbidden {
		t.Errorf("unit staff upload: %d, want 403", r.Status)
	}
	for _, c := range []struct {
		name, file, query string
		data              []byte
		fields            map[string]string
		status            int
	}{
		{"not a zone file", "notes.txt", "kind=zone", []byte("hello"), nil, http.StatusBadRequest},
		{"a broken zip", "zones.zip", "kind=zone", []byte("PK\x03\x04 broken"), nil, http.StatusBadRequest},
		{"a kind that is not zone or unit", "zones.zip", "kind=road", good, nil, http.StatusBadRequest},
		{"a layer that would be an ogr2ogr option", "zones.zip", "kind=zone", good, map[string]string{"layer": "-sql"}, http.StatusBadRequest},
		{"a unit attribute no feature has", "zones.zip", "kind=zone", good, map[string]string{"unit_field": "单位"}, http.StatusBadRequest},
		{"too large", "zones.zip", "kind=zone", bytes.Repeat([]byte("x"), 14<<20), nil, http.StatusRequestEntityTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := upload(t, a, "planner", "/api/v1/imports?"+c.query, c.file, c.data, c.fields)
			if r.Status != c.status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("status %d (%s), want %d problem+json: %s", r.Status, r.Header.Get("Content-Type"), c.status, r.Body)
			}
		})
	}

	r := upload(t, a, "planner", "/api/v1/imports?kind=zone", "zones.zip", bad, nil).MustStatus(t, http.StatusCreated)
	var sum importSummary
	r.Decode(t, &sum)
	if len(sum.Errors) != 1 || sum.Errors[0].Index != 2 || !strings.Contains(sum.Errors[0].Feature, "上传网格2") || !strings.Contains(sum.Errors[0].Detail, "未知") {
		t.Errorf("errors %+v, want feature 2 named with an unknown unit, in Chinese", sum.Errors)
	}
	c := a.Do("planner", "POST", fmt.Sprintf("/api/v1/imports/%d/confirm", sum.ID), nil)
	if c.Status != http.StatusBadRequest || !strings.Contains(string(c.Body), "上传网格2") {
		t.Errorf("confirming a file with an unknown unit: %d %s, want 400 naming the feature", c.Status, c.Body)
	}
	if n := zones(); n != 0 {
		t.Fatalf("refused uploads wrote %d zones", n)
	}

	r = upload(t, a, "planner", "/api/v1/imports?kind=zone", "zones.zip", good, nil).MustStatus(t, http.StatusCreated)
	r.Decode(t, &sum)
	if sum.Features != 3 || sum.Zones != 3 || len(sum.Errors) != 0 || len(sum.BBox) != 4 || sum.BBox[0] < 116.34 || sum.BBox[2] > 116.39 {
		t.Fatalf("summary %+v", sum)
	}
	var fc struct {
		Features []struct {
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		} `json:"features"`
	}
	a.Do("planner", "GET", fmt.Sprintf("/api/v1/imports/%d/preview", sum.ID), nil).MustStatus(t, http.StatusOK).Decode(t, &fc)
	if len(fc.Features) != 3 {
		t.Fatalf("preview has %d features", len(fc.Features))
	}
	for i, f := range fc.Features {
		if f.Properties["unit_code"] != "TEST" || f.Properties["name"] != fmt.Sprintf("上传网格%d", i+1) || !strings.Contains(string(f.Geometry), "116.3") {
			t.Errorf("preview feature %d: %v %s", i, f.Properties, f.Geometry)
		}
	}
	if n := zones(); n != 0 {
		t.Fatalf("the preview wrote %d zones", n)
	}
	var applied struct {
		Zones struct{ Inserted int } `json:"zones"`
	}
	a.Do("planner", "POST", fmt.Sprintf("/api/v1/imports/%d/confirm", sum.ID), nil).MustStatus(t, http.StatusOK).Decode(t, &applied)
	if applied.Zones.Inserted != 3 || zones() != 3 {
		t.Errorf("confirmed: %+v, %d zones in the database; want 3", applied, zones())
	}
	if r := a.Do("planner", "POST", fmt.Sprintf("/api/v1/imports/%d/confirm", sum.ID), nil); r.Status != http.StatusNotFound || zones() != 3 {
		t.Errorf("confirming again: %d, %d zones; want 404 and still 3", r.Status, zones())
	}

	// An import left pending past its time is gone.
	r = upload(t, a, "planner", "/api/v1/imports?kind=zone", "zones.zip", good, nil).MustStatus(t, http.StatusCreated)
	r.Decode(t, &sum)
	if _, err := a.Store.DB().Exec(ctx, `UPDATE pending_imports SET expires_at = now() - interval '1 second' WHERE id = $1`, sum.ID); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "/preview"} {
		if r := a.Do("planner", "GET", fmt.Sprintf("/api/v1/imports/%d%s", sum.ID, p), nil); r.Status != http.StatusNotFound {
			t.Errorf("expired import %s: %d, want 404", p, r.Status)
		}
	}
	if r := a.Do("planner", "POST", fmt.Sprintf("/api/v1/imports/%d/confirm", sum.ID), nil); r.Status != http.StatusNotFound {
		t.Errorf("confirming an expired import: %d, want 404", r.Status)
	}
}

// TestImportsUnitsWithTerritory: a planner uploads a GeoJSON file of units with their duty person and phone and
// asks for their territories as lead zones; the confirmation creates both units and their zones.
func TestImportsUnitsWithTerritory(t *testing.T) {
	a := testapp.New(t)
	gj := `{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"编码":"SQ1","名称":"城关社区","类型":"社区","负责人":"王五","电话":"13800000001"},"geometry":{"type":"Polygon","coordinates":[[[116.30,40.00],[116.32,40.00],[116.32,40.01],[116.30,40.01],[116.30,40.00]]]}},
		{"type":"Feature","properties":{"编码":"SQ2","名称":"北关社区","类型":"社区","负责人":"赵六","电话":"13800000002"},"geometry":{"type":"Polygon","coordinates":[[[116.32,40.00],[116.34,40.00],[116.34,40.01],[116.32,40.01],[116.32,40.00]]]}}]}`
	var sum struct {
		ID           int64 `json:"id"`
		Units, Zones int
		Errors       []any `json:"errors"`
	}
	upload(t, a, "admin", "/api/v1/imports?kind=unit", "units.geojson", []byte(gj), map[string]string{"territory": "true"}).
		MustStatus(t, http.StatusCreated).Decode(t, &sum)
	if sum.Units != 2 || sum.Zones != 2 || len(sum.Errors) != 0 {
		t.Fatalf("summary %+v", sum)
	}
	a.Do("admin", "POST", fmt.Sprintf("/api/v1/imports/%d/confirm", sum.ID), nil).MustStatus(t, http.StatusOK)
	var name, contact, phone string
	var zones int
	if err := a.Store.DB().QueryRow(t.Context(), `SELECT u.name, u.contact_person, u.phone, (SELECT count(*) FROM zones z WHERE z.unit_id = u.id AND z.role = 'lead')
		FROM units u WHERE u.code = 'SQ2'`).Scan(&name, &contact, &phone, &zones); err != nil {
		t.Fatal(err)
	}
	if name != "北关社区" || contact != "赵六" || phone != "13800000002" || zones != 1 {
		t.Errorf("unit SQ2: %s %s %s with %d lead zones", name, contact, phone, zones)
	}
}

// TestImportsProjectedWithoutPRJ: a Gauss–Krüger shapefile uploaded without its .prj is refused in the user's
// language (zh-CN by default, English on request), naming the coordinate system field; with srs=EPSG:4548 the same
// file previews where it belongs.
func TestImportsProjectedWithoutPRJ(t *testing.T) {
	a := testapp.New(t)
	bare := zoneShapefileZip(t, 3, func(int) string { return "TEST" }, ".prj")
	detail := func(r testapp.Response) string {
		t.Helper()
		r.MustStatus(t, http.StatusBadRequest)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("refusal as %s", ct)
		}
		errs, _ := r.JSON()["errors"].([]any)
		if len(errs) != 1 {
			t.Fatalf("refusal %s", r.Body)
		}
		return errs[0].(map[string]any)["detail"].(string)
	}
	zh := detail(upload(t, a, "planner", "/api/v1/imports?kind=zone", "zones.zip", bare, nil))
	for _, want := range []string{"没有坐标系（.prj）", "不是经纬度", "--srs EPSG:N", "“坐标系”一栏"} {
		if !strings.Contains(zh, want) {
			t.Errorf("zh refusal %q lacks %q", zh, want)
		}
	}
	en := detail(upload(t, a, "planner", "/api/v1/imports?kind=zone", "zones.zip", bare, nil, "Accept-Language", "en"))
	if !strings.Contains(en, "has no coordinate system (.prj)") || !strings.Contains(en, "--srs EPSG:N") {
		t.Errorf("en refusal %q", en)
	}
	var sum importSummary
	upload(t, a, "planner", "/api/v1/imports?kind=zone", "zones.zip", bare, map[string]string{"srs": "EPSG:4548"}).MustStatus(t, http.StatusCreated).Decode(t, &sum)
	if sum.Zones != 3 || len(sum.Errors) != 0 || len(sum.BBox) != 4 || sum.BBox[0] < 116.34 || sum.BBox[2] > 116.39 || sum.BBox[1] < 39.99 || sum.BBox[3] > 40.02 {
		t.Errorf("with srs=EPSG:4548: %+v", sum)
	}
	if r := detail(upload(t, a, "planner", "/api/v1/imports?kind=zone", "zones.zip", bare, map[string]string{"srs": "4548"})); !strings.Contains(r, "请写成 EPSG:N") {
		t.Errorf("a malformed srs: %q", r)
	}
}
