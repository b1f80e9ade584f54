// Package static embeds the web app (index.html, app modules, CSS and the npm vendor files copied by scripts/build-assets.sh).
package static

import "embed"

//go:embed index.html app vendor
var FS embed.FS
