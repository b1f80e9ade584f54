// Package track parses GPS tracks (GPX 1.0 and 1.1, GeoJSON) into timed point segments for the patrol
// matcher. It is pure: no I/O beyond the reader it is handed, no project package but geo's conventions.
//
// Rules, each a clear refusal rather than a guess: a track needs at least one point with a position in
// range and a time on every point (a patrol is a record of when someone was where); points within a
// segment must not go back in time (identical timestamps are kept — phones repeat them); a file with only
// waypoints or routes is not a track. Several segments (GPX trkseg, several LineStrings) stay apart, so
// the matcher never joins across them.
package track

import (
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// MaxPoints is the most points one upload may carry (a day of 1 s fixes is 86,400).
const MaxPoints = 200000

// Point is one GPS fix: position [lon, lat] and the time it was taken.
type Point struct {
	P orb.Point
	T time.Time
}

// Track is a parsed track: its segments in file order, each at least one point.
type Track struct {
	Format   string // "gpx 1.0", "gpx 1.1", "geojson"
	Name     string
	Segments [][]Point
}

// Points returns the number of points over all segments.
func (t *Track) Points() int {
	n := 0
	for _, s := range t.Segments {
		n += len(s)
	}
	return n
}

// Span returns the first and last time of the track.
func (t *Track) Span() (first, last time.Time) {
	for _, s := range t.Segments {
		for _, p := range s {
			if first.IsZero() || p.T.Before(first) {
				first = p.T
			}
			if p.T.After(last) {
				last = p.T
			}
		}
	}
	return first, last
}

// ErrTrack is wrapped by every refusal of a track's content.
var ErrTrack = errors.New("track: invalid track")

// Error is a refusal of a track, with an English message saying what is wrong.
type Error struct{ Msg string }

func (e *Error) Error() string { return "track: " + e.Msg }

// Unwrap makes errors.Is(err, ErrTrack) hold.
func (e *Error) Unwrap() error { return ErrTrack }

func refuse(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// check validates a parsed track: positions in range, times present and never going back within a segment,
// empty segments dropped, at least one point, at most MaxPoints.
func check(t *Track) (*Track, error) {
	var segs [][]Point
	n := 0
	for si, s := range t.Segments {
		for i, p := range s {
			if !(p.P[0] >= -180 && p.P[0] <= 180 && p.P[1] >= -90 && p.P[1] <= 90) {
				return nil, refuse("segment %d point %d: position %v is out of range (lon −180..180, lat −90..90)", si+1, i+1, p.P)
			}
			if p.T.IsZero() {
				return nil, refuse("segment %d point %d has no time: a patrol needs the time of every point", si+1, i+1)
			}
			if i > 0 && p.T.Before(s[i-1].T) {
				return nil, refuse("segment %d point %d: time %s is before the point ahead of it (%s)", si+1, i+1,
					p.T.Format(time.RFC3339), s[i-1].T.Format(time.RFC3339))
			}
		}
		if len(s) > 0 {
			segs = append(segs, s)
			n += len(s)
		}
	}
	if n == 0 {
		return nil, refuse("the track has no points")
	}
	if n > MaxPoints {
		return nil, refuse("the track has %d points, more than the %d one upload may carry", n, MaxPoints)
	}
	t.Segments = segs
	return t, nil
}

// parseTime reads an ISO 8601 / RFC 3339 time as GPX and GeoJSON files write it.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not an RFC 3339 time", s)
}
