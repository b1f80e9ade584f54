// Package layout only holds the test that keeps everymeter's data flowing one way:
// HTTP → handlers → service → store → PostGIS, with geo pure.
package layout
