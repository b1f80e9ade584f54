// Package ci is the one place a test may skip: for something missing on a developer's machine (the shared
// data, Chromium, GDAL, PostGIS). Under CI=true nothing may be missing, so the same call fails the test with
// the reason — a CI run cannot pass by skipping.
package ci

import (
	"fmt"
	"os"
	"strconv"
)

// On reports whether the tests run in CI: CI is set to a true value (`.ci/run` exports CI=true).
func On() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// TB is the part of testing.TB that Missing uses (so its own test can watch what it does).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Missing stops the test because something it needs is absent: it fails under CI and skips elsewhere, saying
// why in either case.
func Missing(tb TB, format string, args ...any) {
	tb.Helper()
	reason := fmt.Sprintf(format, args...)
	if On() {
		tb.Fatalf("%s (CI=true: nothing a test needs may be missing)", reason)
		return
	}
	tb.Skipf("%s", reason)
}
