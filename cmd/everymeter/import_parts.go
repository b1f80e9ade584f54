package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"

	"everymeter/importer"
	"everymeter/store"
)

// cmdImportParts loads 部件 from OSM (.osm.pbf/.osm), CSV (lon, lat, type, owner code) or GeoJSON.
func cmdImportParts(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import parts", flag.ContinueOnError)
	var f dbFlags
	f.register(fs)
	var opt importer.PartOptions
	fs.StringVar(&opt.County, "county", "", "6-digit county code (GB/T 2260) the object codes start with")
	fs.StringVar(&opt.OwnerCode, "owner", "", "code of the owner unit (权属单位) of rows that name none")
	fs.StringVar(&opt.MaintainerCode, "maintainer", "", "code of the maintainer unit (养护单位)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || opt.County == "" {
		return usageError{"usage: everymeter import parts FILE.osm.pbf|FILE.csv|FILE.geojson --county 320508 [--owner CODE] [--maintainer CODE] [--data DIR]"}
	}
	opt.Actor = store.Actor{Name: "cli:import"}
	db, err := openDB(ctx, app, f.data, false, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	svc := newService(db.Store, app)
	var res importer.PartResult
	switch p := strings.ToLower(pos[0]); {
	case strings.HasSuffix(p, ".csv"):
		fh, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer fh.Close()
		res, err = importer.PartsCSV(ctx, svc, fh, opt)
		if err != nil {
			return err
		}
	case strings.HasSuffix(p, ".geojson"), strings.HasSuffix(p, ".json"):
		if res, err = importer.PartsGeoJSON(ctx, svc, pos[0], opt); err != nil {
			return err
		}
	default:
		if res, err = importer.PartsOSM(ctx, svc, pos[0], opt); err != nil {
			return err
		}
	}
	return json.NewEncoder(app.stdout).Encode(res)
}

// cmdImportShops loads the shops of an OSM file and derives their frontages.
func cmdImportShops(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import shops", flag.ContinueOnError)
	var f dbFlags
	f.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: everymeter import shops FILE.osm.pbf|FILE.osm [--data DIR]"}
	}
	db, err := openDB(ctx, app, f.data, false, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	res, err := importer.ShopsOSM(ctx, newService(db.Store, app), pos[0], store.Actor{Name: "cli:import"})
	if err != nil {
		return err
	}
	return json.NewEncoder(app.stdout).Encode(res)
}
