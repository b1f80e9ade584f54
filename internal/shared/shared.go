// Package shared finds the project's real test data (OpenStreetMap extracts, LA 311 reports, boundary
// polygons, Open311 schemas) in the shared directory beside the repository, never copied into it.
package shared

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"everymeter/internal/ci"
)

// candidates are the data directories to look in: $EVERYMETER_SHARED (the shared directory or its data
// directory) and the repository's sibling ../shared/data.
func candidates() []string {
	var out []string
	if s := os.Getenv("EVERYMETER_SHARED"); s != "" {
		out = append(out, filepath.Join(s, "data"), s)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		repo := filepath.Dir(filepath.Dir(filepath.Dir(file))) // internal/shared/shared.go → repo
		out = append(out, filepath.Join(repo, "..", "shared", "data"))
	}
	return out
}

// Find returns the path of rel (e.g. "osm/monaco-2016-03-05.osm.pbf") under the shared data directory, or "".
func Find(rel string) string {
	for _, d := range candidates() {
		p := filepath.Join(d, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Path returns the path of rel under the shared data directory. Where the data is absent the test is
// skipped, saying why — except in CI (CI=true), where its absence fails (internal/ci).
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	if p := Find(rel); p != "" {
		return p
	}
	ci.Missing(tb, "shared test data %s is absent (looked in %v); set EVERYMETER_SHARED to the shared directory", rel, candidates())
	return ""
}
