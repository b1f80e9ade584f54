// Package hostile holds tests that attack the running server the way a hostile client would: SQL injection
// through every documented parameter, and oversized or malformed requests.
package hostile
