package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"everymeter/domain"
	"everymeter/importer"
	"everymeter/service"
	"everymeter/store"
)

// importers are the `everymeter import` subcommands; each gets the arguments after its name. A nil entry
// is announced but not built yet (LA 311 reports: cmd/everymeter/import311.go sets "311" to its command).
var importers = map[string]command{
	"osm":      cmdImportOSM,
	"geojson":  cmdImportGeoJSON,
	"311":      cmdImport311,
	"feedback": cmdImportFeedback,
	"parts":    cmdImportParts, // import_parts.go
	"shops":    cmdImportShops,
	"gpx":      cmdImportGPX, // patrol tracks (cmd/everymeter/importgpx.go)
}

func cmdImport(ctx context.Context, app *cli, args []string) error {
	names := make([]string, 0, len(importers))
	for k := range importers {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(args) == 0 {
		return usageError{"usage: everymeter import FILE.shp|FILE.gpkg|FILE.geojson --kind KIND [flags], or everymeter import " +
			strings.Join(names, "|") + " FILE [flags]"}
	}
	cmd, ok := importers[args[0]]
	if !ok && importer.IsFile(args[0]) {
		return cmdImportFile(ctx, app, args)
	}
	if !ok {
		return usageError{fmt.Sprintf("unknown import %q: use one of %s", args[0], strings.Join(names, ", "))}
	}
	if cmd == nil {
		return fmt.Errorf("import %s: not built yet", args[0])
	}
	return cmd(ctx, app, args[1:])
}

// importFlags are the flags every importer takes.
type importFlags struct {
	dbFlags
	quiet bool
}

func (f *importFlags) register(fs *flag.FlagSet) {
	f.dbFlags.register(fs)
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bars")
}

func (f *importFlags) options() importer.Options {
	opt := importer.Options{Actor: store.Actor{Name: "cli:import"}}
	if !f.quiet {
		opt.Progress = os.Stderr
	}
	return opt
}

// withImportDB opens the database, checks its schema and runs fn with the domain service.
func withImportDB(ctx context.Context, app *cli, data string, fn func(svc *service.Service) error) error {
	db, err := openDB(ctx, app, data, false, 8)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	return fn(newService(db.Store, app))
}

// withImportService runs an asset import with the domain service and prints what it did.
func withImportService(ctx context.Context, app *cli, data string, fn func(svc *service.Service) (importer.Result, error)) error {
	var res importer.Result
	err := withImportDB(ctx, app, data, func(svc *service.Service) (err error) {
		res, err = fn(svc)
		return err
	})
	printImport(app.stdout, res)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("import interrupted after the batches counted above; run it again to finish: %w", err)
	}
	return err
}

func cmdImportOSM(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import osm", flag.ContinueOnError)
	var f importFlags
	f.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: everymeter import osm FILE.osm.pbf|FILE.osm [--data DIR] [--quiet]"}
	}
	return withImportService(ctx, app, f.data, func(svc *service.Service) (importer.Result, error) {
		return importer.OSM(ctx, svc, pos[0], f.options())
	})
}

func cmdImportGeoJSON(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import geojson", flag.ContinueOnError)
	var f importFlags
	f.register(fs)
	kind := fs.String("kind", "", "asset kind of every feature: road, alley, market or park")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *kind == "" {
		return usageError{"usage: everymeter import geojson FILE --kind road|alley|market|park [--data DIR] [--quiet]"}
	}
	return withImportService(ctx, app, f.data, func(svc *service.Service) (importer.Result, error) {
		return importer.GeoJSON(ctx, svc, pos[0], *kind, f.options())
	})
}

// cmdImportFile imports a county's own file: a shapefile, a GeoPackage or a GeoJSON file, of assets, zones or units.
func cmdImportFile(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var f importFlags
	f.register(fs)
	var opt importer.FileOptions
	var po domain.ImportOptions
	fs.StringVar(&opt.Kind, "kind", "", "what every feature is: road, alley, market, park, zone or unit")
	fs.StringVar(&opt.NameField, "name-field", "", "the attribute holding each feature's name (default: name, NAME, 名称, DLMC, MC)")
	fs.StringVar(&opt.Encoding, "encoding", "", "attribute text encoding of a shapefile without .cpg, e.g. GBK (default: sniffed)")
	fs.StringVar(&opt.SRS, "srs", "", "the file's coordinate system as EPSG:N, when its .prj is missing or wrong (e.g. EPSG:4548)")
	fs.StringVar(&opt.Layer, "layer", "", "the layer of a GeoPackage with several")
	fs.StringVar(&po.UnitField, "unit-field", "", "zones: the attribute naming each zone's unit by code or name (default: unit, 责任单位, 单位 …)")
	fs.StringVar(&po.Unit, "unit", "", "zones: the unit (code or name) of every zone, for a file without a unit attribute")
	fs.StringVar(&po.Role, "role", "", "zones: lead or support for every zone (default lead)")
	fs.StringVar(&po.RoleField, "role-field", "", "zones: the attribute holding each zone's role (lead/support, 牵头/配合)")
	fs.StringVar(&po.ZoneKind, "zone-kind", "", "zones: the kind of every zone (default 网格)")
	fs.StringVar(&po.CodeField, "code-field", "", "units: the attribute holding the unit code (default: code, 编码, 代码 …)")
	fs.StringVar(&po.UnitKind, "unit-kind", "", "units: department, town, community or team, for units without a kind attribute")
	fs.StringVar(&po.UnitKindField, "unit-kind-field", "", "units: the attribute holding the unit kind (default: kind, 类型)")
	fs.BoolVar(&po.Territory, "territory", false, "units: also make each unit's polygon its lead zone")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || opt.Kind == "" {
		return usageError{"usage: everymeter import FILE.shp|FILE.gpkg|FILE.geojson --kind road|alley|market|park|zone|unit " +
			"[--name-field F] [--encoding GBK] [--srs EPSG:N] [--layer L] [--unit-field F | --unit CODE] [--role lead|support | --role-field F] " +
			"[--code-field F] [--unit-kind K] [--territory] [--data DIR] [--quiet]"}
	}
	opt.Options, opt.Warn = f.options(), app.stdout
	if opt.Kind == "zone" || opt.Kind == "unit" {
		po.NameField, po.Encoding, po.SRS, po.Layer = opt.NameField, opt.Encoding, opt.SRS, opt.Layer
		return importPlaces(ctx, app, f.data, pos[0], opt.Kind, importer.PlaceOptions{Options: opt.Options, ImportOptions: po, Warn: app.stdout})
	}
	return withImportService(ctx, app, f.data, func(svc *service.Service) (importer.Result, error) {
		return importer.File(ctx, svc, pos[0], opt)
	})
}

// importPlaces imports a zone or unit file and prints what it wrote.
func importPlaces(ctx context.Context, app *cli, data, path, kind string, opt importer.PlaceOptions) error {
	var res domain.ImportApplied
	var sum domain.ImportSummary
	err := withImportDB(ctx, app, data, func(svc *service.Service) (err error) {
		res, sum, err = importer.Places(ctx, svc, path, kind, opt)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(app.stdout, "%s (source %q): %d features\n", res.File, res.Source, sum.Features)
	tw := tabwriter.NewWriter(app.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tinserted\tupdated\tunchanged\t")
	for _, r := range []struct {
		name string
		c    domain.ImportCount
	}{{"units", res.Units}, {"zones", res.Zones}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", r.name, r.c.Inserted, r.c.Updated, r.c.Unchanged)
	}
	return tw.Flush()
}

// printImport writes an import's counts by kind and its skip reasons as tables.
func printImport(w io.Writer, r importer.Result) {
	if r.Source == "" {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "%s (source %q) in %s\n", r.File, r.Source, r.Duration.Round(10_000_000))
	fmt.Fprintln(tw, "kind\tinserted\tupdated\tunchanged\ttotal\t")
	var ins, upd, same int
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", k.Kind, k.Inserted, k.Updated, k.Unchanged, k.Total())
		ins, upd, same = ins+k.Inserted, upd+k.Updated, same+k.Unchanged
	}
	fmt.Fprintf(tw, "all\t%d\t%d\t%d\t%d\t\n", ins, upd, same, ins+upd+same)
	tw.Flush()
	if b := r.BaseSummary(); b != "" {
		fmt.Fprintln(w, b)
	}
	if len(r.Skipped) == 0 {
		return
	}
	fmt.Fprintln(w, "\nskipped:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range r.Skipped {
		fmt.Fprintf(tw, "%6d\t%s\te.g. %s\n", s.Count, s.Reason, strings.Join(s.Examples[:min(3, len(s.Examples))], ", "))
	}
	tw.Flush()
}
