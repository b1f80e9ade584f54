// Package webtest drives the embedded web app in real headless Chromium (chromedp) against a full server
// on a fresh database: the planner, inspector, unit staff and leader journeys of issue 5, screenshots of
// each view under <repo>/artifacts/screenshots/, and the time the Liechtenstein network takes to draw
// (<repo>/artifacts/perf.txt). It holds tests only; without Chromium they skip, except under CI=true (internal/ci).
package webtest
