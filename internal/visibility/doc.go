// Package visibility only holds the test that walks every read route of the whole server as one unit's staff and
// finds no other unit's case in any answer (the policy itself is service/visibility.go).
package visibility
