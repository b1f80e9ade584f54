package track

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// gpxDoc matches GPX 1.0 and 1.1 alike: encoding/xml matches elements by local name, whichever namespace.
type gpxDoc struct {
	XMLName xml.Name `xml:"gpx"`
	Version string   `xml:"version,attr"`
	Trk     []struct {
		Name string `xml:"name"`
		Seg  []struct {
			Pt []gpxPt `xml:"trkpt"`
		} `xml:"trkseg"`
	} `xml:"trk"`
	Wpt []gpxPt `xml:"wpt"`
	Rte []struct {
		Pt []gpxPt `xml:"rtept"`
	} `xml:"rte"`
}

type gpxPt struct {
	Lat  string `xml:"lat,attr"`
	Lon  string `xml:"lon,attr"`
	Time string `xml:"time"`
}

// GPX parses a GPX 1.0 or 1.1 document: every trk/trkseg becomes a segment.
func GPX(r io.Reader) (*Track, error) {
	var doc gpxDoc
	dec := xml.NewDecoder(r)
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		return nil, refuse("not a GPX document: %v", err)
	}
	t := &Track{Format: "gpx " + doc.Version}
	if doc.Version != "1.0" && doc.Version != "1.1" {
		return nil, refuse("GPX version %q: only 1.0 and 1.1 are read", doc.Version)
	}
	n := 0
	for _, trk := range doc.Trk {
		if t.Name == "" {
			t.Name = strings.TrimSpace(trk.Name)
		}
		for _, seg := range trk.Seg {
			if n += len(seg.Pt); n > MaxPoints {
				return nil, refuse("the track has more than the %d points one upload may carry", MaxPoints)
			}
			s := make([]Point, 0, len(seg.Pt))
			for i, p := range seg.Pt {
				pt, err := p.point()
				if err != nil {
					return nil, refuse("segment %d point %d: %v", len(t.Segments)+1, i+1, err)
				}
				s = append(s, pt)
			}
			t.Segments = append(t.Segments, s)
		}
	}
	if n == 0 {
		switch {
		case len(doc.Wpt) > 0:
			return nil, refuse("the file has %d waypoints (wpt) but no track points (trk/trkseg/trkpt): waypoints are places, not a walk", len(doc.Wpt))
		case len(doc.Rte) > 0:
			return nil, refuse("the file has a planned route (rte) but no track points (trk/trkseg/trkpt): a route is not a walk")
		}
		return nil, refuse("the file has no track points (trk/trkseg/trkpt)")
	}
	return check(t)
}

// point converts one trkpt; a missing time stays zero for check to refuse with the point's position.
func (p gpxPt) point() (Point, error) {
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(p.Lat), 64)
	lon, err2 := strconv.ParseFloat(strings.TrimSpace(p.Lon), 64)
	if err1 != nil || err2 != nil {
		return Point{}, errors.New("lat and lon must be numbers")
	}
	pt := Point{P: orb.Point{lon, lat}}
	if s := strings.TrimSpace(p.Time); s != "" {
		tm, err := parseTime(s)
		if err != nil {
			return Point{}, err
		}
		pt.T = tm
	}
	return pt, nil
}
