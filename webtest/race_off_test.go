//go:build !race

package webtest

// raceEnabled says the server under test runs with the race detector (slower: noted beside the figures).
const raceEnabled = false
