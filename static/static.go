// Package static embeds the web app (index.html, app modules, CSS and the npm vendor files copied by scripts/build-assets.sh).
package static

import "embed"

// app/vocab.js is package vocab for the web app; TestVocabJSCurrent fails when it is stale.
//go:generate go run ../internal/vocabjs app/vocab.js

//go:embed index.html app vendor
var FS embed.FS
