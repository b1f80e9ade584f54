package store_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"everymeter/internal/testdb"
	"everymeter/store"
	"everymeter/vocab"
)

// quoted finds the string literals PostgreSQL writes back in a deparsed constraint, index predicate or function.
var quoted = regexp.MustCompile(`'((?:[^']|'')*)'`)

func literals(def string) []string {
	var out []string
	for _, m := range quoted.FindAllStringSubmatch(def, -1) {
		out = append(out, strings.ReplaceAll(m[1], "''", "'"))
	}
	return out
}

// sameSet reports, both ways, what the schema allows that vocab lacks and what vocab has that the schema refuses.
func sameSet(t *testing.T, what string, schema []string, want []string) {
	t.Helper()
	for _, s := range schema {
		if !slices.Contains(want, s) {
			t.Errorf("%s: the schema allows %q, which package vocab does not know", what, s)
		}
	}
	for _, w := range want {
		if !slices.Contains(schema, w) {
			t.Errorf("%s: package vocab has %q, which the schema refuses", what, w)
		}
	}
}

// TestSchemaMatchesVocab reads the migrated schema back from PostgreSQL (pg_constraint, pg_index, pg_proc) and holds
// every value list it spells out to package vocab: the CHECK constraints of the status, role, kind, type, urgency
// and source columns, the partial indexes whose predicates name a status set, and the heat trigger's terminal
// statuses. A status added to vocab without its migration (or the other way round) fails here.
func TestSchemaMatchesVocab(t *testing.T) {
	st, _ := testdb.New(t)
	ctx := t.Context()

	// Single-column CHECKs: table.column → the values vocab allows there.
	columns := []struct {
		table, column string
		want          []string
	}{
		{"reports", "status", vocab.Strings(vocab.Statuses)},
		{"reports", "urgency", vocab.Strings(vocab.Urgencies)},
		{"reports", "source", vocab.Strings(vocab.Sources)},
		{"satisfaction", "rating", vocab.Strings(vocab.Ratings)},
		{"public_blocks", "kind", vocab.Strings(vocab.BlockKinds)},
		{"users", "role", vocab.Strings(vocab.Roles)},
		{"units", "kind", vocab.Strings(vocab.UnitKinds)},
		{"zones", "role", vocab.Strings(vocab.ZoneRoles)},
		{"base_features", "layer", vocab.Strings(vocab.BaseLayers)},
		{"assignments", "role", vocab.Strings(vocab.ZoneRoles)},
		{"categories", "type", vocab.Strings(vocab.CategoryTypes)},
		{"coverage_pieces", "status", vocab.Strings(vocab.Coverages)},
		{"eval_items", "site_type", vocab.Strings(vocab.SiteTypes)},
		{"eval_sites", "site_type", vocab.Strings(vocab.SiteTypes)},
		{"eval_items", "check_kind", vocab.Strings(vocab.CheckKinds)},
		{"eval_items", "comparator", vocab.Strings(vocab.Comparators)},
		{"eval_results", "outcome", vocab.Strings(vocab.Outcomes)},
		{"parts", "kind", vocab.Strings(vocab.PartKinds)},
		{"parts", "state", vocab.Strings(vocab.PartStates)},
		{"categories", "part_kind", vocab.Strings(vocab.PartKinds)},
		{"assignments", "side", vocab.Strings(vocab.Sides)},
		{"frontages", "side", vocab.Strings(vocab.OneSides)},
		{"agreements", "duties", vocab.Strings(vocab.Duties)},
	}
	checkOf := func(table, column string) []string {
		t.Helper()
		rows, err := st.Pool.Query(ctx, `SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
			WHERE c.contype = 'c' AND c.conrelid = $1::regclass AND a.attname = $2 AND cardinality(c.conkey) = 1`, table, column)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var defs []string
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				t.Fatal(err)
			}
			defs = append(defs, d)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return defs
	}
	for _, c := range columns {
		t.Run(c.table+"."+c.column, func(t *testing.T) {
			defs := checkOf(c.table, c.column)
			if len(defs) != 1 {
				t.Fatalf("want one CHECK on %s.%s, found %q", c.table, c.column, defs)
			}
			sameSet(t, c.table+"."+c.column+" "+defs[0], literals(defs[0]), c.want)
		})
	}

	// assets.kind is checked by a pattern, not a list (imports may bring kinds the coverage ignores): every
	// vocab kind must at least pass it.
	t.Run("assets.kind", func(t *testing.T) {
		defs := checkOf("assets", "kind")
		if len(defs) != 1 {
			t.Fatalf("want one CHECK on assets.kind, found %q", defs)
		}
		for _, k := range vocab.AssetKinds {
			var ok bool
			if err := st.Pool.QueryRow(ctx, `SELECT $1::text ~ $2`, string(k), literals(defs[0])[0]).Scan(&ok); err != nil || !ok {
				t.Errorf("asset kind %q fails the schema's %s (%v)", k, defs[0], err)
			}
		}
	})

	// Multi-column CHECKs tying a set of values to a required unit.
	multi := func(table, needle string) string {
		t.Helper()
		var d string
		if err := st.Pool.QueryRow(ctx, `SELECT pg_get_constraintdef(oid) FROM pg_constraint
			WHERE contype = 'c' AND conrelid = $1::regclass AND pg_get_constraintdef(oid) LIKE '%' || $2 || '%'
				AND pg_get_constraintdef(oid) LIKE '%unit_id IS NOT NULL%'`, table, needle).Scan(&d); err != nil {
			t.Fatalf("the CHECK on %s tying %s to unit_id: %v", table, needle, err)
		}
		return d
	}
	t.Run("reports held statuses", func(t *testing.T) {
		d := multi("reports", "status")
		sameSet(t, "statuses that need a unit "+d, literals(d), vocab.Strings(vocab.HeldStatuses))
	})
	t.Run("users unit staff", func(t *testing.T) {
		d := multi("users", "role")
		sameSet(t, "roles that need a unit "+d, literals(d), []string{string(vocab.UnitStaff)})
	})

	// Partial indexes whose predicates the store's constant lists must meet.
	for _, ix := range []struct {
		name string
		want []vocab.Status
	}{
		{"reports_open_dup_idx", vocab.OpenStatuses},
		{"reports_deadline_idx", vocab.RunningStatuses},
	} {
		t.Run(ix.name, func(t *testing.T) {
			var pred string
			if err := st.Pool.QueryRow(ctx, `SELECT pg_get_expr(indpred, indrelid) FROM pg_index
				WHERE indexrelid = $1::regclass`, ix.name).Scan(&pred); err != nil {
				t.Fatal(err)
			}
			sameSet(t, ix.name+" "+pred, literals(pred), vocab.Strings(ix.want))
		})
	}

	// The heat functions (trigger and rebuild) age terminal reports by their closing time: every status list in
	// their bodies is that set.
	t.Run("heat functions", func(t *testing.T) {
		rows, err := st.Pool.Query(ctx, `SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'heat\_%' ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var name, body string
			if err := rows.Scan(&name, &body); err != nil {
				t.Fatal(err)
			}
			for _, l := range regexp.MustCompile(`status IN \(([^)]*)\)`).FindAllStringSubmatch(body, -1) {
				n++
				sameSet(t, name+" "+l[0], literals(l[1]), vocab.Strings(vocab.TerminalStatuses))
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no heat function names a status list; update this test with the trigger")
		}
	})
}

// TestSQLListsAreVocab checks the constant lists store writes into SQL where a partial index needs them.
func TestSQLListsAreVocab(t *testing.T) {
	sameSet(t, "open list "+store.OpenStatusList, literals(store.OpenStatusList), vocab.Strings(vocab.OpenStatuses))
	sameSet(t, "running list "+store.RunningStatusList, literals(store.RunningStatusList), vocab.Strings(vocab.RunningStatuses))
}

// TestSQLSpellsNoVocabList reads store's own source: no SQL spells out a list of vocabulary values (a set belongs
// to vocab and reaches SQL as a $n array or one of the lists built from vocab), and every single value compared
// with a vocabulary column is one vocab knows, so renaming a value cannot leave a stale literal behind.
// bench.go is left out: it generates synthetic reports with chosen shares of each status.
func TestSQLSpellsNoVocabList(t *testing.T) {
	known := map[string]bool{}
	for _, set := range [][]string{vocab.Strings(vocab.Statuses), vocab.Strings(vocab.EventActions), vocab.Strings(vocab.Roles),
		vocab.Strings(vocab.UnitKinds), vocab.Strings(vocab.ZoneRoles), vocab.Strings(vocab.AssetKinds),
		vocab.Strings(vocab.CategoryTypes), vocab.Strings(vocab.Urgencies), vocab.Strings(vocab.Sources),
		vocab.Strings(vocab.Coverages)} {
		for _, v := range set {
			known[v] = true
		}
	}
	list := regexp.MustCompile(`(?i)\bIN\s*\(\s*('[a-z0-9_]+'(?:\s*,\s*'[a-z0-9_]+')+)\s*\)`)
	compare := regexp.MustCompile(`\b(status|role|kind|type|urgency|action|source)\s*(?:=|<>)\s*'([a-z0-9_]*)'`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "bench.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src := string(b)
		for _, m := range list.FindAllStringSubmatch(src, -1) {
			vs := literals(m[1])
			if slices.ContainsFunc(vs, func(v string) bool { return known[v] }) {
				t.Errorf("%s spells out %s: pass a vocab set instead", f, m[0])
			}
		}
		for _, m := range compare.FindAllStringSubmatch(src, -1) {
			if m[2] != "" && !known[m[2]] {
				t.Errorf("%s compares %s with %q, which package vocab does not know", f, m[1], m[2])
			}
		}
	}
}
