package webtest

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb"

	"everymeter/domain"
)

// at moves the browser's faked position (DevTools sensor emulation), as a phone walking would.
func (p *page) at(lon, lat float64) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, slack*10*time.Second)
	defer cancel()
	acc := 5.0
	if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
		p.fail("geolocation %v,%v: %v", lon, lat, err)
	}
}

// allowGeolocation grants the page's origin the position (as a phone's user would when asked).
func (p *page) allowGeolocation() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, slack*10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"},
		Setting: cdpbrowser.PermissionSettingGranted, Origin: p.url, BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID}); err != nil {
		p.fail("grant geolocation: %v", err)
	}
}

// walk records a patrol with #patrol-btn from start to end (eastwards) in steps faked positions, 80 ms apart.
func (p *page) walk(start, end orb.Point, steps int) {
	p.t.Helper()
	p.do("start the patrol", click("#patrol-btn"))
	p.waitJS("recording", `document.querySelector('#patrol-btn').dataset.recording === 'true'`, 10*time.Second)
	// A loaded machine delivers the first position late too: move only once the phone has the start, or the
	// walk's first meters go unrecorded (a real walker's phone has its fix before they set off).
	p.at(start[0], start[1])
	p.waitJS("the first fix", fmt.Sprintf(`Math.abs(Number(document.querySelector('#patrol-btn').dataset.lastLon) - %f) < 1e-6`, start[0]), 20*time.Second)
	for i := 0; i <= steps; i++ {
		f := float64(i) / float64(steps)
		p.at(start[0]+f*(end[0]-start[0]), start[1]+f*(end[1]-start[1]))
		time.Sleep(80 * time.Millisecond)
	}
	// A loaded machine delivers positions late: stop only once the phone has the last one.
	p.waitJS("the last fix", fmt.Sprintf(`Number(document.querySelector('#patrol-btn').dataset.lastLon) >= %f`, end[0]-1e-7), 20*time.Second)
	p.do("stop the patrol", click("#patrol-btn"))
}

// TestPatrolRecordedOfflineShowsOnLeadersLayer: an inspector records a patrol on the phone with a faked
// position along a street while offline; the fixes wait on the phone; back online they are uploaded, and
// the leader's patrol layer and GET /api/v1/patrols/coverage show the walked meters.
func TestPatrolRecordedOfflineShowsOnLeadersLayer(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.user("patrol_i", "inspector", "")
	s.user("patrol_l", "leader", "")
	start, end := orb.Point{114.300, 35.700}, orb.Point{114.3033, 35.700} // ≈ 300 m east
	side := orb.LineString{{114.3015, 35.699}, {114.3015, 35.701}}        // a cross street, not walked
	created, err := s.Svc.CreateAssets(t.Context(), domain.Actor{Name: "test"}, []domain.Asset{
		{Kind: "road", Name: "巡查路", Geom: orb.LineString{start, {114.3015, 35.700}, end}},
		{Kind: "alley", Name: "横巷", Geom: side}}, false)
	if err != nil {
		t.Fatal(err)
	}
	street := created[0]

	p := newPage(t, s.URL, 375, 812, true)
	p.allowGeolocation()
	p.at(start[0], start[1])
	p.signIn("patrol_i", "test-password-1", "inspector")
	p.setOnline(false)
	p.walk(start, end, 100)
	p.waitJS("chunks waiting on the phone", `Number(document.querySelector('#patrol-queue').dataset.n) > 0`, 15*time.Second)
	var n int
	if err := s.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM patrols`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d patrols reached the server while offline (%v)", n, err)
	}
	p.setOnline(true)
	p.waitJS("the chunks uploaded", `document.querySelector('#patrol-queue').dataset.n === '0'`, 30*time.Second)

	var cov domain.PatrolCoverage
	s.get("patrol_l", "/api/v1/patrols/coverage", &cov)
	var walked float64
	for _, k := range cov.ByKind {
		if k.Kind == "road" {
			walked = k.PatrolledM
		}
	}
	if math.Abs(walked-street.LengthM) > 0.05*street.LengthM || cov.PatrolledM-walked > 10 {
		t.Fatalf("patrolled %.1f m of the %.1f m street (%.1f m in all, the cross street was not walked): %+v", walked, street.LengthM, cov.PatrolledM, cov)
	}

	// Back on the phone: the inspector's own route of today (from the server) and the stale cross street near them.
	p.waitJS("my route of today", fmt.Sprintf(`Number(document.querySelector('#patrol-near')?.dataset.routeM) > %f`, 0.9*street.LengthM), 20*time.Second)
	var mine float64
	fmt.Sscan(eval[string](p, `document.querySelector('#patrol-near').dataset.routeM`), &mine)
	if math.Abs(mine-walked) > 1 {
		t.Errorf("the inspector's route of today is %.1f m, the coverage %.1f m", mine, walked)
	}
	p.waitJS("the stale cross street near me", `Number(document.querySelector('#patrol-near').dataset.stale) >= 1`, 20*time.Second)

	l := newPage(t, s.URL, 1280, 800, false)
	l.signIn("patrol_l", "test-password-1", "leader")
	l.waitJS("the patrol layer", `Number(document.querySelector('#patrol-layer')?.dataset.todayM) > 0`, 20*time.Second)
	today := eval[string](l, `document.querySelector('#patrol-layer').dataset.todayM`)
	var m float64
	fmt.Sscan(today, &m)
	if math.Abs(m-walked) > 1 {
		t.Errorf("the leader's layer shows %.1f m walked today, the coverage %.1f m", m, walked)
	}
}
