package webtest

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"everymeter/internal/testapp"
)

// TestInspectorOpensWithNoSignal: an inspector who has used the app once opens it again after the server has
// become unreachable (the listener is closed: no request gets an answer) and still gets the inspector view — the
// service worker serves the shell, who they are, the network and the base-map tiles from its caches — with the
// network and the base map drawn. Signing out deletes the cached copies of the user's data.
func TestInspectorOpensWithNoSignal(t *testing.T) {
	s := newSite(t, true)
	s.user("inspector_sw", "inspector", "")
	p := newPage(t, s.URL, 375, 812, true)
	p.signIn("inspector_sw", testapp.Password, "inspector")
	p.waitJS("the service worker in control", `!!navigator.serviceWorker.controller`, 30*time.Second)
	p.waitJS("the shell cached", `caches.open('em-shell-v1').then((c) => c.keys()).then((k) => k.length >= 25)`, 30*time.Second)
	// A second visit, online: now every request of the first screen goes through the worker and is kept.
	p.do("reload online", chromedp.Reload())
	p.waitJS("inspector view", `document.body.dataset.view === 'inspector' && !!window.everymeterMap`, 30*time.Second)
	p.waitJS("the network drawn", `+(document.querySelector('#map')?.dataset.loaded || 0) > 0`, 30*time.Second)
	p.waitJS("base-map tiles", `+(document.querySelector('#map')?.dataset.baseTiles || 0) > 0`, 30*time.Second)
	p.waitJS("the first screen's data cached", `caches.open('em-data-v1').then((c) => c.keys()).then((k) => {
		const u = k.map((r) => new URL(r.url).pathname);
		return u.includes('/api/v1/auth/me') && u.some((x) => x.startsWith('/tiles/basemap/')) && u.includes('/api/v1/coverage/segments');
	})`, 30*time.Second)

	s.Server.Close() // no signal: the server is gone
	if res, err := http.Get(s.URL + "/"); err == nil {
		res.Body.Close()
		t.Fatal("the server still answers")
	}
	p.do("reload offline", chromedp.Reload())
	p.waitJS("inspector view offline", `document.body.dataset.view === 'inspector' && !!window.everymeterMap`, 30*time.Second)
	p.waitJS("the network drawn offline", `+(document.querySelector('#map')?.dataset.loaded || 0) > 0`, 30*time.Second)
	p.waitJS("the base map painted offline", `(() => { const n = `+baseDrawn+`; return n.tiles > 0 && n.landuse + n.commercial + n.park > 50; })()`, 30*time.Second)
	if name := eval[string](p, `document.querySelector('#user-name').textContent`); name != "inspector_sw" {
		t.Errorf("offline the app shows user %q", name)
	}
	p.screenshot("offline-inspector-375")

	// Signing out (the server is unreachable: the token is dropped anyway) deletes the cached user data.
	p.do("sign out", chromedp.Click("#logout"))
	p.waitJS("the login form", `document.body.dataset.view === 'login'`, 10*time.Second)
	p.waitJS("the user's data deleted", `caches.has('em-data-v1').then((h) => !h)`, 10*time.Second)
}
