package main

import (
	"context"
	"flag"
	"fmt"
)

// cmdAudit runs `everymeter audit verify`: it recomputes the audit log's hash chain and fails, naming the first
// broken entry, when anything was changed or removed.
func cmdAudit(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "verify" {
		return usageError{"usage: everymeter audit verify [--data DIR]"}
	}
	db, err := openDB(ctx, app, dbf.data, false, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := newService(db.Store, app).VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if rep.Broken != nil {
		fmt.Fprintf(app.stdout, "audit log BROKEN: %d entries verified before entry %d (seq %d): %s\n",
			rep.Entries, rep.Broken.ID, rep.Broken.Seq, rep.Broken.Reason)
		return rep.Broken
	}
	fmt.Fprintf(app.stdout, "audit log intact: %d entries, head %s\n", rep.Entries, rep.Head)
	return nil
}
