package main

import (
	"context"
	"fmt"
	"time"

	"everymeter/demo"
	"everymeter/service"
)

// loadDemo loads the generated demo town and its county life (demo.Life: 90 days of reports through the report
// service); both print what they loaded, Load the new passwords.
func loadDemo(ctx context.Context, app *cli, svc *service.Service, dataDir string) error {
	start := time.Now()
	if _, err := demo.Load(ctx, svc, app.stdout); err != nil {
		return err
	}
	if _, err := demo.Life(ctx, svc, dataDir, time.Now(), app.stdout); err != nil {
		return err
	}
	fmt.Fprintf(app.stdout, "demo ready in %.1f s\n", time.Since(start).Seconds())
	return nil
}
