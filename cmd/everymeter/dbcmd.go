package main

import (
	"context"
	"flag"
	"fmt"

	"everymeter/pgctl"
)

// cmdDB manages the private cluster by hand: `db start` leaves it running (for tests and psql),
// `db stop` stops it, `db url` prints the connection URL, `db replica --from PRIMARY_DATA` makes and starts a
// streaming replica of a running private cluster (then `db stop --data DIR` stops it, like any other).
func cmdDB(ctx context.Context, app *cli, args []string) error {
	if len(args) == 0 {
		return usageError{dbUsage}
	}
	fs := flag.NewFlagSet("db "+args[0], flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(fs)
	from := fs.String("from", "", "db replica: the data directory of the running private cluster to copy")
	dropSlot := fs.Bool("drop-slot", false, "db replica: drop the primary's replication slot of the replica in --data (removed for good), instead of making one")
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
	case "replica":
		if *from == "" {
			return usageError{dbUsage}
		}
		primary, err := pgctl.New(*from, app.log)
		if err != nil {
			return err
		}
		if err := c.Lock(); err != nil {
			return err
		}
		defer c.Unlock()
		if *dropSlot {
			if c.Running(ctx) {
				return fmt.Errorf("the replica under %s is running; stop it first (everymeter db stop --data %s)", c.Dir, c.Dir)
			}
			return primary.DropSlot(ctx, c)
		}
		if err := c.Replicate(ctx, primary); err != nil {
			return err
		}
		if err := c.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintln(app.stdout, c.URL())
	default:
		return usageError{dbUsage}
	}
	return nil
}

const dbUsage = "usage: everymeter db start|stop|url [--data DIR] | everymeter db replica --data DIR --from PRIMARY_DATA [--drop-slot]"
