package handlers

import (
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// FuzzQueryFilters feeds arbitrary query strings to every query-parameter parser of the API (report list
// filters, time, period and statistics parameters, bbox, paging, OGC crs and datetime): none may panic, and
// each either accepts the input or answers with a 400 problem naming the field.
func FuzzQueryFilters(f *testing.F) {
	for _, s := range []string{
		"status=dispatched,accepted&bbox=114.2,35.7,114.4,35.8&since=2024-01-01&until=2024-02-01T00:00:00Z&overdue=1&limit=10&cursor=5",
		"unit_id=none&from=2020-01-01&to=2020-02-01&w_handling=30&min_received=5",
		"crs=http://www.opengis.net/def/crs/EPSG/0/3857&datetime=2020-01-01T00:00:00Z/..&bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"datetime=../2020-01-01&limit=-1&bbox=nan,1,2,3", "q=%00&cursor=abc&overdue=maybe", "since=9999-99-99&unit_id=-5",
		"w_rework=1e400&min_received=99999999999999", "status=,,,&bbox=,,,",
	} {
		f.Add(s)
	}
	e := echo.New()
	h := &Handler{Log: slog.New(slog.DiscardHandler)}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		if _, err := url.ParseQuery(q); err != nil {
			return // the HTTP server rejects these before any handler runs
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.RawQuery = q
		c := e.NewContext(req, httptest.NewRecorder())
		check := func(name string, err error) {
			if err == nil {
				return
			}
			if p := h.toProblem(err, c); p.Status != 400 {
				t.Fatalf("%s(%q): %v answers %d, want nil or a 400 problem", name, q, err, p.Status)
			}
		}
		_, err := reportFilter(c)
		check("reportFilter", err)
		for _, n := range []string{"since", "until", "from", "to"} {
			_, err = timeParam(c, n)
			check("timeParam", err)
		}
		_, err = unitParam(c)
		check("unitParam", err)
		_, _, err = periodParams(c, now)
		check("periodParams", err)
		_, err = statsQuery(c, now)
		check("statsQuery", err)
		_, err = bboxParam(c)
		check("bboxParam", err)
		_, err = intParam(c, "limit", 10, 1, 1000)
		check("intParam", err)
		_, err = floatParam(c, "min_length_m", 0)
		check("floatParam", err)
		_, _, _, err = crsParam(c)
		check("crsParam", err)
		_, _, err = datetimeParam(c)
		check("datetimeParam", err)
	})
}
