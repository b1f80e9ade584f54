package track_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"everymeter/track"
)

// TestParse reads each real-world quirk from testdata and checks what comes out, or the refusal.
func TestParse(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339Nano, s); return tm.UTC() }
	cases := []struct {
		file    string
		format  string
		segs    []int // points per segment
		first   time.Time
		last    time.Time
		name    string
		refused string // part of the refusal; "" when the track is accepted
	}{
		{file: "gpx10.gpx", format: "gpx 1.0", segs: []int{3}, first: at("2026-05-01T08:00:00Z"), last: at("2026-05-01T08:00:10Z"), name: "morning"},
		{file: "gpx11-segments.gpx", format: "gpx 1.1", segs: []int{2, 3}, first: at("2026-05-01T06:10:00Z"), last: at("2026-05-01T14:00:05.5Z"), name: "afternoon"},
		{file: "gpx-duplicate-times.gpx", format: "gpx 1.1", segs: []int{4}, first: at("2026-05-01T08:00:00Z"), last: at("2026-05-01T08:00:03Z")},
		{file: "line.geojson", format: "geojson", segs: []int{3}, first: at("2026-05-01T08:00:00Z"), last: at("2026-05-01T08:00:10Z"), name: "walk"},
		{file: "points.geojson", format: "geojson", segs: []int{2}, first: at("2026-05-01T08:00:00Z"), last: at("2026-05-01T08:00:04Z")},
		{file: "gpx-no-time.gpx", refused: "has no time"},
		{file: "gpx-waypoints.gpx", refused: "2 waypoints (wpt) but no track points"},
		{file: "gpx-backwards.gpx", refused: "is before the point ahead of it"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			parse := track.GPX
			if strings.HasSuffix(c.file, ".geojson") {
				parse = track.GeoJSON
			}
			tr, err := parse(f)
			if c.refused != "" {
				if err == nil || !errors.Is(err, track.ErrTrack) || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("want a refusal containing %q, got %v", c.refused, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.Format != c.format || tr.Name != c.name {
				t.Errorf("format %q name %q, want %q %q", tr.Format, tr.Name, c.format, c.name)
			}
			var got []int
			for _, s := range tr.Segments {
				got = append(got, len(s))
			}
			if len(got) != len(c.segs) {
				t.Fatalf("segments %v, want %v", got, c.segs)
			}
			for i := range got {
				if got[i] != c.segs[i] {
					t.Fatalf("segments %v, want %v", got, c.segs)
				}
			}
			first, last := tr.Span()
			if !first.Equal(c.first) || !last.Equal(c.last) {
				t.Errorf("span %s..%s, want %s..%s", first, last, c.first, c.last)
			}
		})
	}
}

// TestRefusals covers malformed input that is not worth a fixture file each.
func TestRefusals(t *testing.T) {
	cases := []struct{ name, gpx, geojson, want string }{
		{name: "not xml", gpx: "hello", want: "not a GPX document"},
		{name: "gpx 2.0", gpx: `<gpx version="2.0"><trk><trkseg><trkpt lat="1" lon="1"><time>2026-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>`, want: `version "2.0"`},
		{name: "lat out of range", gpx: `<gpx version="1.1"><trk><trkseg><trkpt lat="91" lon="1"><time>2026-01-01T00:00:00Z</time></trkpt></trkseg></trk></gpx>`, want: "out of range"},
		{name: "lat not a number", gpx: `<gpx version="1.1"><trk><trkseg><trkpt lat="x" lon="1"/></trkseg></trk></gpx>`, want: "must be numbers"},
		{name: "bad time", gpx: `<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="1"><time>yesterday</time></trkpt></trkseg></trk></gpx>`, want: "not an RFC 3339 time"},
		{name: "empty gpx", gpx: `<gpx version="1.1"></gpx>`, want: "no track points"},
		{name: "route only", gpx: `<gpx version="1.1"><rte><rtept lat="1" lon="1"/></rte></gpx>`, want: "planned route"},
		{name: "geojson polygon", geojson: `{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`, want: "is a Polygon"},
		{name: "geojson line no times", geojson: `{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,0]]}}`, want: "properties.times is missing"},
		{name: "geojson short times", geojson: `{"type":"Feature","properties":{"times":["2026-01-01T00:00:00Z"]},"geometry":{"type":"LineString","coordinates":[[0,0],[1,0]]}}`, want: "1 times for 2 coordinates"},
		{name: "geojson point no time", geojson: `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[0,0]}}]}`, want: "no time"},
		{name: "geojson geometry", geojson: `{"type":"LineString","coordinates":[[0,0],[1,0]]}`, want: `type "LineString"`},
		{name: "geojson broken", geojson: `{"type":`, want: "not a GeoJSON document"},
		{name: "geojson empty", geojson: `{"type":"FeatureCollection","features":[]}`, want: "no points"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.gpx != "" {
				_, err = track.GPX(strings.NewReader(c.gpx))
			} else {
				_, err = track.GeoJSON(strings.NewReader(c.geojson))
			}
			if err == nil || !errors.Is(err, track.ErrTrack) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want a refusal containing %q, got %v", c.want, err)
			}
		})
	}
}

// FuzzGPX: no input crashes the parser, and whatever it accepts satisfies the package's rules.
func FuzzGPX(f *testing.F) {
	for _, name := range []string{"gpx10.gpx", "gpx11-segments.gpx", "gpx-duplicate-times.gpx", "gpx-no-time.gpx", "gpx-waypoints.gpx", "gpx-backwards.gpx"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := track.GPX(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, track.ErrTrack) {
				t.Fatalf("refusal %v does not wrap ErrTrack", err)
			}
			return
		}
		if tr.Points() == 0 || tr.Points() > track.MaxPoints {
			t.Fatalf("accepted %d points", tr.Points())
		}
		for _, s := range tr.Segments {
			for i, p := range s {
				if p.T.IsZero() || (i > 0 && p.T.Before(s[i-1].T)) || !(p.P[1] >= -90 && p.P[1] <= 90) || !(p.P[0] >= -180 && p.P[0] <= 180) {
					t.Fatalf("accepted bad point %d %+v", i, p)
				}
			}
		}
	})
}
