package layout

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// forbidden lists, per package, the everymeter packages it must never depend on (directly or not).
var forbidden = map[string][]string{
	"everymeter/geo":     {"everymeter/"}, // pure: no project package at all
	"everymeter/store":   {"everymeter/service", "everymeter/handlers", "everymeter/server", "everymeter/coverage"},
	"everymeter/service": {"everymeter/handlers", "everymeter/server"},
	// handlers reach the domain only through the service's interfaces (handlers/service.go), with values of
	// package domain: no store, no engine, not even the service package (which imports the store).
	"everymeter/handlers":   {"everymeter/server", "everymeter/cmd", "everymeter/store", "everymeter/coverage", "everymeter/service"},
	"everymeter/domain":     {"everymeter/store", "everymeter/service", "everymeter/handlers", "everymeter/coverage", "everymeter/server"},
	"everymeter/migrations": {"everymeter/"},
	"everymeter/pgctl":      {"everymeter/store", "everymeter/service", "everymeter/handlers"},
	"everymeter/change":     {"everymeter/"}, // pure: what changed, no project package
	"everymeter/track":      {"everymeter/"}, // pure: GPS track parsing
	// pure: the map matcher uses geo and track only
	"everymeter/mapmatch": {"everymeter/store", "everymeter/service", "everymeter/handlers", "everymeter/server", "everymeter/coverage", "everymeter/domain"},
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

// skipCall is a test skipping itself; only internal/ci may, so that under CI=true every skip is a failure.
var skipCall = regexp.MustCompile(`\.(Skip|Skipf|SkipNow)\(`)

// TestSkipsGoThroughCI fails for every Skip outside internal/ci: a skip written anywhere else would let a CI run
// pass without running the test.
func TestSkipsGoThroughCI(t *testing.T) {
	root := filepath.Join("..", "..")
	seen := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || filepath.Dir(path) == filepath.Join(root, "internal", "ci") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen++
		for i, line := range strings.Split(string(src), "\n") {
			if skipCall.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d skips without internal/ci (use ci.Missing): %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("walked %d Go files; the tree has hundreds — the walk is looking in the wrong place", seen)
	}
}
