package handlers_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestOpen311KeyInURL files an Open311 request the way many GeoReport v2 clients do, with api_key in the URL and
// the request in the form: the API-key middleware, which refuses writes made with a key, lets Open311's own check
// decide. Elsewhere a key in the URL still cannot write.
func TestOpen311KeyInURL(t *testing.T) {
	o := newOpen311Town(t)
	form := o.form("SRHJ-01", 35.75002, 114.302, "垃圾堆在路边")
	form.Del("api_key")
	res := o.a.Do("", "POST", "/open311/v2/requests.json?api_key="+url.QueryEscape(o.key), form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded").MustStatus(t, 201)
	var got []created
	res.Decode(t, &got)
	if len(got) != 1 || got[0].ID == "" || got[0].Notice == nil || !strings.Contains(*got[0].Notice, "城关镇") {
		t.Fatalf("POST with api_key in the URL: %s", res.Body)
	}
	// Open311 still checks the key itself, and answers in the spec's error format.
	res = o.a.Do("", "POST", "/open311/v2/requests.json?api_key=not-a-key", form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded").MustStatus(t, 403)
	if !strings.Contains(string(res.Body), "api_key") {
		t.Fatalf("POST with an unknown api_key: %s", res.Body)
	}
	// Outside Open311 a key remains read-only.
	res = o.a.Do("", "POST", "/api/v1/reports?api_key="+url.QueryEscape(o.key),
		map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{114.302, 35.75002}}, "category": "SRHJ-01"},
		"Accept-Language", "en").MustStatus(t, 403)
	if !strings.Contains(string(res.Body), "read-only") {
		t.Fatalf("POST /api/v1/reports with a key: %s", res.Body)
	}
}
