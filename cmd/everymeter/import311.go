package main

import (
	"context"
	"flag"
	"fmt"

	"everymeter/importer"
	"everymeter/importer311"
	"everymeter/service"
)

// cmdImport311 is `everymeter import 311 FILE… [--units-from-zones COUNCILS.geojson]`: LA MyLA311 CSV extracts
// as reports (see package importer311), optionally first making one unit with one lead zone per Neighborhood
// Council so the reports are routed on import.
func cmdImport311(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import 311", flag.ContinueOnError)
	var f importFlags
	f.register(fs)
	zones := fs.String("units-from-zones", "", "Neighborhood Council GeoJSON: create unit NC<nc_id> with a lead zone for each council first")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError{"usage: everymeter import 311 FILE.csv… [--units-from-zones la-neighborhood-councils-2019.geojson] [--data DIR] [--quiet]"}
	}
	opt := f.options()
	first := true
	for _, path := range pos {
		err := withImportService(ctx, app, f.data, func(svc *service.Service) (importer.Result, error) {
			if first && *zones != "" {
				units, err := importer311.UnitsFromZones(ctx, svc, *zones, opt.Actor)
				if err != nil {
					return importer.Result{}, err
				}
				fmt.Fprintf(app.stdout, "%d units with their council zones\n", len(units))
			}
			first = false
			return importer311.Import(ctx, svc.Store, path, opt)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
