package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"

	"everymeter/store"
)

func cmdMigrate(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	db, err := openOwnerDB(ctx, app, dbf.data, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := migrateNow(ctx, db.URL)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.stdout, "schema up to date (%d migrations applied now)\n", n)
	return nil
}

func cmdUser(ctx context.Context, app *cli, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{"usage: everymeter user add NAME --role ROLE [--unit UNIT_CODE] --password-stdin"}
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	role := fs.String("role", "", "admin, planner, inspector, unit_staff or leader")
	unit := fs.String("unit", "", "unit code (required for unit_staff)")
	stdinPw := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"user add needs exactly one NAME"}
	}
	if !*stdinPw {
		return usageError{"pass --password-stdin and the password on standard input (never on the command line)"}
	}
	line, err := bufio.NewReader(app.stdin).ReadString('\n')
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return fmt.Errorf("no password on standard input: %v", err)
	}
	db, err := openDB(ctx, app, dbf.data, false, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	u, err := newService(db.Store, app).AddUser(ctx, pos[0], *role, *unit, pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.stdout, "user %s (id %d) is %s\n", u.Username, u.ID, u.Role)
	return nil
}

func cmdDemo(ctx context.Context, app *cli, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	db, err := openDB(ctx, app, dbf.data, false, 4)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkSchema(ctx, db.Store); err != nil {
		return err
	}
	return loadDemo(ctx, app, newService(db.Store, app), dbf.data)
}

func migrateNow(ctx context.Context, url string) (int, error) { return store.Migrate(ctx, url) }
