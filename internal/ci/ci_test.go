package ci

import (
	"fmt"
	"strings"
	"testing"
)

// recorder notes which of Fatalf and Skipf Missing called.
type recorder struct{ fatal, skip string }

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip = fmt.Sprintf(format, args...) }

func TestMissingFailsUnderCIAndSkipsElsewhere(t *testing.T) {
	for _, c := range []struct {
		env       string
		wantFatal bool
	}{{"true", true}, {"1", true}, {"", false}, {"false", false}} {
		t.Setenv("CI", c.env)
		var r recorder
		Missing(&r, "chromium did not start: %s", "exit status 1")
		got := r.skip
		if c.wantFatal {
			got = r.fatal
		}
		if (r.fatal != "") != c.wantFatal || (r.skip != "") == c.wantFatal || !strings.Contains(got, "chromium did not start: exit status 1") {
			t.Errorf("CI=%q: fatal %q, skip %q; want the reason as a %s", c.env, r.fatal, r.skip, map[bool]string{true: "failure", false: "skip"}[c.wantFatal])
		}
	}
}
