package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"everymeter/domain"
	"everymeter/server"
	"everymeter/service"
)

// cmdImportFeedback is `everymeter import feedback FILE [--rectify-by DATE]`: the provincial evaluation team's
// problem list (.xlsx or .csv) filed as cases with source 测评反馈 (see service.Evaluation.ImportFeedback); rows it
// cannot locate are printed with why, to pin by hand. Importing the same list again files nothing new.
func cmdImportFeedback(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import feedback", flag.ContinueOnError)
	var f importFlags
	f.register(fs)
	due := fs.String("rectify-by", "", "the rectification deadline (整改期限): YYYY-MM-DD (end of day, China time) or RFC 3339")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: everymeter import feedback FILE.xlsx|FILE.csv [--rectify-by YYYY-MM-DD] [--data DIR]"}
	}
	var rectifyBy *time.Time
	if *due != "" {
		t, err := time.Parse(time.RFC3339, *due)
		if err != nil {
			d, err2 := time.ParseInLocation(time.DateOnly, *due, time.FixedZone("CST", 8*3600))
			if err2 != nil {
				return usageError{"--rectify-by: a date YYYY-MM-DD or an RFC 3339 time"}
			}
			t = d.Add(24*time.Hour - time.Second)
		}
		rectifyBy = &t
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	db, err := openDB(ctx, app, f.data, false, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	svc := newService(db.Store, app)
	ev := &service.Evaluation{Store: db.Store, Reports: server.ReportService(svc, app.log, server.Options{DataDir: f.data})}
	who := domain.Principal{Name: "cli:import", Role: "admin"}
	res, err := ev.ImportFeedback(ctx, who, filepath.Base(pos[0]), data, rectifyBy)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.stdout, "%d rows: %d filed, %d filed before, %d to pin by hand\n", res.Rows, res.Filed, res.Already, len(res.Unlocated))
	for _, r := range res.Unlocated {
		fmt.Fprintf(app.stdout, "  row %d (序号 %s) %s: %s\n", r.RowNo, r.Seq, r.Place, r.Reason)
	}
	return nil
}
