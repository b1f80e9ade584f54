package handlers

import (
	"log/slog"
	"math"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/labstack/echo/v4"
)

// FuzzOpen311Form feeds arbitrary form bodies to the Open311 POST requests parser: it never panics, and
// either yields a report with a valid point and a bounded description, or a 400/403 problem.
func FuzzOpen311Form(f *testing.F) {
	for _, s := range []string{
		"api_key=k&service_code=JMZX-01&lat=35.75&long=114.3&description=垃圾&media_url=https://x.example/a.jpg",
		"api_key=k&service_code=JMZX-01&address_string=Main+St",
		"api_key=&lat=NaN&long=Inf", "api_key=k&service_code=x&lat=1e400&long=-1e400&media_url=javascript:alert(1)",
		"api_key=k&service_code=x&lat=90&long=180&description=" + url.QueryEscape(string(make([]byte, 5000))),
	} {
		f.Add(s)
	}
	h := &Handler{Log: slog.New(slog.DiscardHandler)}
	c := echo.New().NewContext(httptest.NewRequest("POST", "/", nil), httptest.NewRecorder())
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return // echo answers 400 before the parser runs
		}
		_, in, err := parseOpen311Form(form, "json", "")
		if err != nil {
			if st := h.toProblem(err, c).Status; st != 400 && st != 403 {
				t.Fatalf("%q: %v answers %d", body, err, st)
			}
			return
		}
		if in.Point == nil || math.IsNaN(in.Point[0]) || math.Abs(in.Point[0]) > 180 || math.Abs(in.Point[1]) > 90 {
			t.Fatalf("%q: accepted point %v", body, in.Point)
		}
		if len([]rune(in.Description)) > 4000 || in.Category == "" {
			t.Fatalf("%q: accepted %+v", body, in)
		}
	})
}
