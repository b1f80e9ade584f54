// Package migrations embeds everymeter's numbered SQL schema migrations, applied by goose.
package migrations

import "embed"

// FS holds the *.sql migration files.
//
//go:embed *.sql
var FS embed.FS
