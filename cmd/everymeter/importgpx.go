package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"everymeter/domain"
	"everymeter/service"
	"everymeter/vocab"
)

// cmdImportGPX records GPX (or GeoJSON) tracks from other devices as patrols of one user, as an admin's
// upload through POST /api/v1/patrols would; each file's name is its Idempotency-Key, so importing a file
// twice records it once.
func cmdImportGPX(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import gpx", flag.ContinueOnError)
	var f importFlags
	f.register(fs)
	user := fs.String("user", "", "username of the walker (an inspector)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || *user == "" {
		return usageError{"usage: everymeter import gpx FILE… --user NAME [--data DIR] [--quiet]"}
	}
	db, err := openDB(ctx, app, f.data, false, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	ps := service.NewPatrols(db.Store, app.log)
	admin := domain.Principal{Name: "cli:import", Role: string(vocab.Admin)}
	var bar *progressbar.ProgressBar
	if !f.quiet {
		bar = progressbar.NewOptions(len(pos), progressbar.OptionSetWriter(os.Stderr), progressbar.OptionSetDescription("matching tracks"),
			progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	var failed []string
	for _, path := range pos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("import interrupted; the files reported above are recorded, run it again to finish: %w", err)
		}
		body, err := os.ReadFile(path)
		ct := "application/gpx+xml"
		if ext := strings.ToLower(filepath.Ext(path)); ext == ".geojson" || ext == ".json" {
			ct = "application/geo+json"
		}
		var p domain.Patrol
		created := false
		if err == nil {
			p, created, err = ps.Record(ctx, admin, domain.NewPatrol{ContentType: ct, Body: body, User: *user,
				IdempotencyKey: "import:" + filepath.Base(path)})
		}
		if bar != nil {
			_ = bar.Add(1)
		}
		switch {
		case err != nil:
			failed = append(failed, path)
			fmt.Fprintf(app.stdout, "%s: refused: %v\n", path, err)
		case !created:
			fmt.Fprintf(app.stdout, "%s: already recorded as patrol %d\n", path, p.ID)
		default:
			fmt.Fprintf(app.stdout, "%s: patrol %d, %d points (%d kept), %.0f m on %d assets, %s – %s\n", path, p.ID, p.Points,
				p.KeptPoints, p.MatchedM, p.Assets, p.StartedAt.Format(time.RFC3339), p.EndedAt.Format(time.RFC3339))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d files refused", len(failed), len(pos))
	}
	return nil
}
