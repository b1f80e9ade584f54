// Package ogctest holds the end-to-end tests of the OGC API – Features, the vector tiles and the OpenAPI
// document, run against a real server with real clients (GDAL's ogrinfo and ogr2ogr, an MVT decoder,
// kin-openapi), and their benchmarks on real OpenStreetMap data.
package ogctest
