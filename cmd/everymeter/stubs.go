package main

// Placeholders replaced as the coverage engine, importers and demo town land.

import (
	"context"
	"errors"

	"everymeter/service"
)

func cmdCoverage(ctx context.Context, app *cli, args []string) error {
	return errors.New("coverage: not built yet")
}

func loadDemo(ctx context.Context, app *cli, svc *service.Service) error {
	return errors.New("demo: not built yet")
}
