package main

import (
	"context"
	"flag"
	"fmt"

	"everymeter/pgctl"
)

// cmdDB manages the private cluster by hand: `db start` leaves it running (for tests and psql),
// `db stop` stops it, `db url` prints the connection URL.
func cmdDB(ctx context.Context, app *cli, args []string) error {
	if len(args) == 0 {
		return usageError{"usage: everymeter db start|stop|url [--data DIR]"}
	}
	fs := flag.NewFlagSet("db "+args[0], flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	c, err := pgctl.New(dbf.data, app.log)
	if err != nil {
		return err
	}
	switch args[0] {
	case "start":
		if err := c.Lock(); err != nil {
			return err
		}
		defer c.Unlock()
		if err := c.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintln(app.stdout, c.URL())
	case "stop":
		if err := c.Lock(); err != nil {
			return err
		}
		defer c.Unlock()
		return c.ForceStop(ctx)
	case "url":
		fmt.Fprintln(app.stdout, c.URL())
	default:
		return usageError{"usage: everymeter db start|stop|url [--data DIR]"}
	}
	return nil
}
