package main

import (
	"context"
	"fmt"
	"time"

	"everymeter/demo"
	"everymeter/service"
)

// loadDemo loads the generated demo town, its county life (demo.Life: 90 days of reports through the report
// service, residents' public reports among them) and what later capabilities show (demo.Later: patrols, 部件 and
// shops, the evaluation); each prints what it loaded, Load the new passwords.
func loadDemo(ctx context.Context, app *cli, svc *service.Service, dataDir string) error {
	start := time.Now()
	if _, err := demo.Load(ctx, svc, app.stdout); err != nil {
		return err
	}
	now := time.Now()
	if _, err := demo.Life(ctx, svc, dataDir, now, app.stdout); err != nil {
		return err
	}
	if _, err := demo.Later(ctx, svc, dataDir, now, app.stdout); err != nil {
		return err
	}
	fmt.Fprintf(app.stdout, "demo ready in %.1f s\n", time.Since(start).Seconds())
	return nil
}
