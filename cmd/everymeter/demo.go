package main

import (
	"context"

	"everymeter/demo"
	"everymeter/service"
)

// loadDemo loads the generated demo town; demo.Load prints what it loaded and the new passwords.
func loadDemo(ctx context.Context, app *cli, svc *service.Service) error {
	_, err := demo.Load(ctx, svc, app.stdout)
	return err
}
