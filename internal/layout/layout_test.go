package layout

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden lists, per package, the everymeter packages it must never depend on (directly or not).
var forbidden = map[string][]string{
	"everymeter/geo":        {"everymeter/"}, // pure: no project package at all
	"everymeter/store":      {"everymeter/service", "everymeter/handlers", "everymeter/server", "everymeter/coverage"},
	"everymeter/service":    {"everymeter/handlers", "everymeter/server"},
	"everymeter/handlers":   {"everymeter/server", "everymeter/cmd"},
	"everymeter/migrations": {"everymeter/"},
	"everymeter/pgctl":      {"everymeter/store", "everymeter/service", "everymeter/handlers"},
	"everymeter/change":     {"everymeter/"}, // pure: what changed, no project package
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestDataFlowsOneWay(t *testing.T) {
	for pkg, bad := range forbidden {
		for _, d := range deps(t, pkg) {
			if d == pkg {
				continue
			}
			for _, b := range bad {
				if strings.HasPrefix(d, b) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
	// geo must not do I/O either: it imports no database, network or file-system package itself.
	direct, err := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", "everymeter/geo").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range strings.Fields(string(direct)) {
		for _, io := range []string{"net", "os", "io/fs", "database/sql", "github.com/jackc/"} {
			if d == io || strings.HasPrefix(d, io+"/") {
				t.Errorf("geo depends on %s", d)
			}
		}
	}
	// No package imports the command.
	out, err := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "everymeter/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, " everymeter/cmd/") || strings.HasSuffix(line, " everymeter/cmd/everymeter") {
			t.Errorf("a package imports the command: %s", line)
		}
	}
}
