// Package geo holds the pure geometry and interval math of everymeter: parsing and
// validating client geometry, bboxes and tiles, geodesic lengths on WGS84, measures
// along road centrelines, clipping lines by areas, and the coverage sweep.
//
// It does no I/O and imports only the standard library and paulmach/orb.
// Coordinates are [lon, lat] in degrees; lengths are meters on the WGS84 ellipsoid.
package geo
