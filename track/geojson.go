package track

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// GeoJSON parses a LineString (or MultiLineString) Feature with properties.times (one time per
// coordinate), a FeatureCollection of such features, or a FeatureCollection of Points each with
// properties.time (one segment, in collection order). Times are RFC 3339 strings or Unix milliseconds.
func GeoJSON(r io.Reader) (*Track, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, refuse("not a GeoJSON document: %v", err)
	}
	var feats []*geojson.Feature
	switch probe.Type {
	case "Feature":
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return nil, refuse("not a GeoJSON Feature: %v", err)
		}
		feats = []*geojson.Feature{f}
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			return nil, refuse("not a GeoJSON FeatureCollection: %v", err)
		}
		feats = fc.Features
	default:
		return nil, refuse("GeoJSON type %q: send a LineString Feature with properties.times or a FeatureCollection of Points with properties.time", probe.Type)
	}
	t := &Track{Format: "geojson"}
	var pts []Point // a run of Point features, one segment
	for i, f := range feats {
		if f == nil || f.Geometry == nil {
			return nil, refuse("feature %d has no geometry", i+1)
		}
		if t.Name == "" {
			t.Name, _ = f.Properties["name"].(string)
		}
		switch g := f.Geometry.(type) {
		case orb.Point:
			tm, err := jsonTime(f.Properties["time"])
			if err != nil {
				return nil, refuse("feature %d: properties.time: %v", i+1, err)
			}
			pts = append(pts, Point{P: g, T: tm})
		case orb.LineString:
			seg, err := timedLine(g, f.Properties["times"], 0)
			if err != nil {
				return nil, refuse("feature %d: %v", i+1, err)
			}
			t.Segments = append(t.Segments, seg)
		case orb.MultiLineString:
			off := 0
			for _, ls := range g {
				seg, err := timedLine(ls, f.Properties["times"], off)
				if err != nil {
					return nil, refuse("feature %d: %v", i+1, err)
				}
				off += len(ls)
				t.Segments = append(t.Segments, seg)
			}
		default:
			return nil, refuse("feature %d is a %s: a track is LineStrings or Points", i+1, f.Geometry.GeoJSONType())
		}
		if t.Points()+len(pts) > MaxPoints {
			return nil, refuse("the track has more than the %d points one upload may carry", MaxPoints)
		}
	}
	if len(pts) > 0 {
		t.Segments = append(t.Segments, pts)
	}
	return check(t)
}

// timedLine pairs a LineString's coordinates with times[off:off+len(ls)] (a MultiLineString's times run
// through its parts, as GeoJSON writers of coordTimes do).
func timedLine(ls orb.LineString, v any, off int) ([]Point, error) {
	times, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("properties.times is missing: a LineString track needs one time per coordinate")
	}
	if len(times) < off+len(ls) {
		return nil, fmt.Errorf("properties.times has %d times for %d coordinates", len(times), off+len(ls))
	}
	seg := make([]Point, len(ls))
	for i, p := range ls {
		tm, err := jsonTime(times[off+i])
		if err != nil {
			return nil, fmt.Errorf("properties.times[%d]: %v", off+i, err)
		}
		seg[i] = Point{P: p, T: tm}
	}
	return seg, nil
}

// jsonTime reads an RFC 3339 string or a number of Unix milliseconds.
func jsonTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case string:
		return parseTime(x)
	case float64:
		if x < 0 || x > 1e14 {
			return time.Time{}, fmt.Errorf("%v is not Unix milliseconds", x)
		}
		return time.UnixMilli(int64(x)).UTC(), nil
	case nil:
		return time.Time{}, fmt.Errorf("no time: a patrol needs the time of every point")
	}
	return time.Time{}, fmt.Errorf("%v is neither an RFC 3339 string nor Unix milliseconds", v)
}
