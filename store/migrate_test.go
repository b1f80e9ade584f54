package store_test

import (
	"testing"

	"everymeter/internal/testdb"
	"everymeter/store"
)

// TestMigrateTwiceIsNoop applies the migrations to an already migrated database.
func TestMigrateTwiceIsNoop(t *testing.T) {
	_, url := testdb.New(t)
	ctx := t.Context()
	n, err := store.Migrate(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second migrate applied %d migrations, want 0", n)
	}
	cur, latest, err := store.SchemaStatus(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if cur != latest || latest < 2 {
		t.Fatalf("schema at %d, latest %d", cur, latest)
	}
}
