package main

// Placeholders replaced as the coverage engine, importers and demo town land.

import (
	"context"
	"errors"

	"everymeter/service"
)

func loadDemo(ctx context.Context, app *cli, svc *service.Service) error {
	return errors.New("demo: not built yet")
}
