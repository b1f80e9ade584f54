package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// messageArgs names, per function that takes a client-facing message, the positions of its English keys: the
// title and detail of problem+json answers, the details of field errors and refusals, the parts of routing reasons.
var messageArgs = map[string][]int{
	"problem": {1, 2}, "problemf": {1, 2}, // handlers
	"badRequest": {1}, "badRequestf": {1},
	"Fieldf": {1}, "fieldErr": {1}, "geomErr": {0}, // geo
	"add": {1}, "check": {2}, "invalid": {1}, // service's checker
	"refusal": {4}, "forbid": {0}, // workflow
	"bad": {1},                                   // open311 form fields
	"M":   {0}, "Key": {0}, "assetWhere": {2, 3}, // routing reasons
	"fileErr": {0}, "fileProblem": {0}, // importer: refusals of a file
}

// messagePackages are the packages whose messages reach a client.
var messagePackages = []string{"handlers", "service", "geo", "workflow", "coverage", "importer"}

// onlyVerbs is a format with nothing to translate ("%v", "%s; %s").
var onlyVerbs = regexp.MustCompile(`^(%(\[\d+\])?[-+# 0-9.]*[a-zA-Z]|[\s;:,()]|)*$`)

// TestEveryMessageIsTranslated scans the source of the packages that answer clients for string literals passed as
// messages and fails for each one without a zh-CN text: a message added in English only shows up in a Chinese
// interface untranslated.
func TestEveryMessageIsTranslated(t *testing.T) {
	missing := map[string][]string{}
	seen := 0
	for _, pkg := range messagePackages {
		dir := filepath.Join("..", pkg)
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		fset := token.NewFileSet()
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, path, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				for _, key := range messageKeys(n) {
					seen++
					if !onlyVerbs.MatchString(key) && !Has(key) {
						missing[key] = append(missing[key], fset.Position(n.Pos()).String())
					}
				}
				return true
			})
		}
	}
	if seen < 200 {
		t.Fatalf("found only %d messages; has the scan lost its functions?", seen)
	}
	keys := make([]string, 0, len(missing))
	for k := range missing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("no zh-CN text for %q (%s)", k, missing[k][0])
	}
}

// messageKeys returns the string literals n passes as messages.
func messageKeys(n ast.Node) []string {
	var out []string
	switch n := n.(type) {
	case *ast.CallExpr:
		name := ""
		switch fn := n.Fun.(type) {
		case *ast.Ident:
			name = fn.Name
		case *ast.SelectorExpr:
			name = fn.Sel.Name
		}
		for _, i := range messageArgs[name] {
			if i < len(n.Args) {
				if s, ok := literal(n.Args[i]); ok {
					out = append(out, s)
				}
			}
		}
	case *ast.CompositeLit:
		// LockedError{Reason: "…"}: the sign-in throttle's reasons.
		for _, e := range n.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Reason" {
					if s, ok := literal(kv.Value); ok {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

func literal(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil && s != ""
}

// TestTranslationsKeepTheirVerbs fails for a zh-CN text whose format verbs differ from its key's: the message would
// print %!s(MISSING) or drop an argument.
func TestTranslationsKeepTheirVerbs(t *testing.T) {
	verb := regexp.MustCompile(`%(\[(\d+)\])?[-+# 0-9.]*([a-zA-Z%])`)
	verbs := func(s string) []string {
		var out []string
		next := 1
		for _, m := range verb.FindAllStringSubmatch(s, -1) {
			if m[3] == "%" {
				continue
			}
			i := next
			if m[2] != "" {
				i, _ = strconv.Atoi(m[2])
			}
			next = i + 1
			out = append(out, fmt.Sprintf("%d%s", i, m[3]))
		}
		sort.Strings(out)
		return out
	}
	mu.RLock()
	defer mu.RUnlock()
	for k, v := range zh {
		if a, b := verbs(k), verbs(v); strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%q → %q: verbs %v, want %v", k, v, b, a)
		}
	}
}
