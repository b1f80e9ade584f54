package vocab_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode"

	"everymeter/vocab"
)

// TestStdlibOnly keeps vocab a leaf every package can import: no project or third-party package.
func TestStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "everymeter/vocab").Output()
	if err != nil {
		t.Fatal(err)
	}
	if deps := strings.Fields(string(out)); !slices.Equal(deps, []string{"everymeter/vocab"}) {
		t.Fatalf("vocab depends on %v", deps)
	}
}

func checkLabels[T ~string](t *testing.T, name string, vs []T, label func(T) vocab.Label) {
	t.Helper()
	seen := map[T]bool{}
	for _, v := range vs {
		if v == "" || seen[v] {
			t.Errorf("%s: empty or repeated value %q", name, v)
		}
		seen[v] = true
		l := label(v)
		if l.En == "" || !strings.ContainsFunc(l.Zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("%s %q: label %+v needs Chinese and English", name, v, l)
		}
	}
}

func TestLabels(t *testing.T) {
	checkLabels(t, "status", vocab.Statuses, vocab.Status.Label)
	checkLabels(t, "action", vocab.EventActions, vocab.Action.Label)
	checkLabels(t, "role", vocab.Roles, vocab.Role.Label)
	checkLabels(t, "unit kind", vocab.UnitKinds, vocab.UnitKind.Label)
	checkLabels(t, "zone role", vocab.ZoneRoles, vocab.ZoneRole.Label)
	checkLabels(t, "asset kind", vocab.AssetKinds, vocab.AssetKind.Label)
	checkLabels(t, "category type", vocab.CategoryTypes, vocab.CategoryType.Label)
	checkLabels(t, "urgency", vocab.Urgencies, vocab.Urgency.Label)
	checkLabels(t, "source", vocab.Sources, vocab.Source.Label)
	checkLabels(t, "coverage", vocab.Coverages, vocab.Coverage.Label)
}

// TestStatusSets states the loop's rules the sets must obey, whatever statuses are added.
func TestStatusSets(t *testing.T) {
	subset := func(name string, a, b []vocab.Status) {
		for _, s := range a {
			if !slices.Contains(b, s) {
				t.Errorf("%s: %s", name, s)
			}
		}
	}
	subset("a running status must need a unit", vocab.RunningStatuses, vocab.HeldStatuses)
	subset("a running status must be open", vocab.RunningStatuses, vocab.OpenStatuses)
	subset("a discarded status must be terminal", vocab.DiscardedStatuses, vocab.TerminalStatuses)
	for _, s := range vocab.Statuses {
		if s.Open() == s.Terminal() {
			t.Errorf("%s must be exactly one of open and terminal", s)
		}
		if s.Handled() && s.Running() {
			t.Errorf("%s: a handled report's clock has stopped", s)
		}
		if !s.Valid() {
			t.Errorf("%s is listed but not valid", s)
		}
	}
	if len(vocab.OpenStatuses)+len(vocab.TerminalStatuses) != len(vocab.Statuses) {
		t.Error("open and terminal must split the statuses")
	}
	if vocab.Status("nonsense").Valid() || vocab.Status("nonsense").Terminal() || vocab.Status("nonsense").Open() {
		t.Error("an unknown status is neither valid, open nor terminal")
	}
	for _, a := range vocab.Actions {
		if !slices.Contains(vocab.EventActions, a) {
			t.Errorf("workflow action %s missing from the event actions", a)
		}
	}
}

func TestCoverageOf(t *testing.T) {
	for n, want := range map[int]vocab.Coverage{0: vocab.Gap, 1: vocab.Covered, 2: vocab.Overlap, 5: vocab.Overlap} {
		if got := vocab.CoverageOf(n); got != want {
			t.Errorf("%d owners: %s, want %s", n, got, want)
		}
	}
}
