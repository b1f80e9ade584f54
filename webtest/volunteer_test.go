package webtest

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/internal/testapp"
	"everymeter/service"
)

// watchRefusals records, from the first script of every document on, each error toast the app shows
// (window.__errorToasts); the refused requests are read from the resource timings (responseStatus).
func (p *page) watchRefusals() {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, slack*10*time.Second)
	defer cancel()
	const js = `window.__errorToasts = [];
new MutationObserver(() => {
  const b = document.getElementById('toast');
  if (b && b.classList.contains('show') && b.classList.contains('error') && window.__errorToasts.at(-1) !== b.textContent) window.__errorToasts.push(b.textContent);
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });`
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		p.fail("watch the toasts: %v", err)
	}
}

// refusals lists the error toasts shown and the requests the server answered 403 since the page was opened.
func (p *page) refusals() []string {
	return eval[[]string](p, `[...window.__errorToasts.map((s) => 'toast: ' + s),
	  ...performance.getEntriesByType('resource').filter((e) => e.responseStatus === 403).map((e) => '403: ' + e.name)]`)
}

// TestVolunteerChecksInAndWalks: a volunteer signs in on a phone; the volunteer view opens over the offline base
// map with no refused request and no error toast; a check-in far from any street says so and records nothing;
// one beside an alley names it and makes it present that day (GET /api/v1/patrols/presence); a short walk along
// a road, recorded with faked positions, reaches the server as the volunteer's patrol (role volunteer) and is
// drawn as their route of today, and counts as presence, never as inspection (GET
// /api/v1/patrols/coverage?role=inspector).
func TestVolunteerChecksInAndWalks(t *testing.T) {
	t.Parallel()
	s := newSite(t, false)
	s.user("vol_v", "volunteer", "")
	s.user("vol_l", "leader", "")
	start, end := orb.Point{114.310, 35.710}, orb.Point{114.3133, 35.710} // ≈ 300 m east
	created, err := s.Svc.CreateAssets(t.Context(), domain.Actor{Name: "test"}, []domain.Asset{
		{Kind: "road", Name: "志愿路", Geom: orb.LineString{start, {114.3115, 35.710}, end}},
		{Kind: "alley", Name: "签到巷", Geom: orb.LineString{{114.3150, 35.7105}, {114.3150, 35.7125}}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	road, alley := created[0], created[1]
	checkins := func() (n int) {
		if err := s.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM patrol_checkins`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	p := newPage(t, s.URL, 375, 812, true)
	p.allowGeolocation()
	p.watchRefusals()
	p.at(114.3150, 35.7200) // ≈ 830 m north of the alley, far from any street
	p.signIn("vol_v", testapp.Password, "volunteer")
	p.waitJS("my route of today loaded", `document.querySelector('#vol-today')?.textContent !== ''`, 20*time.Second)
	// The offline base map is drawn under the walk, as in every view (the policy's base_map entry).
	p.waitJS("base-map tiles", `+(document.querySelector('#map')?.dataset.baseTiles || 0) > 0`, 20*time.Second)
	if tabs := eval[bool](p, `document.querySelector('#view-tabs').hidden`); !tabs {
		t.Errorf("a volunteer is shown view tabs")
	}

	p.do("check in far from the streets", click("#checkin-btn"))
	p.waitJS("the no-street answer", `document.querySelector('#checkin-result').dataset.state === 'far'`, 20*time.Second)
	if msg := eval[string](p, `document.querySelector('#checkin-result').textContent`); !strings.Contains(msg, fmt.Sprintf("%d 米内没有", service.CheckinRadiusM)) {
		t.Errorf("far check-in says %q, want that no street is within reach", msg)
	}
	if n := checkins(); n != 0 {
		t.Fatalf("%d check-ins recorded far from every street", n)
	}

	p.at(114.3152, 35.7115) // ≈ 18 m east of the alley, 170 m from the road
	p.do("check in beside the alley", click("#checkin-btn"))
	p.waitJS("the check-in", `document.querySelector('#checkin-result').dataset.state === 'ok'`, 20*time.Second)
	if id, msg := eval[string](p, `document.querySelector('#checkin-result').dataset.assetId`), eval[string](p, `document.querySelector('#checkin-result').textContent`); id != fmt.Sprint(alley.ID) || !strings.Contains(msg, "签到巷") {
		t.Errorf("check-in placed on asset %s (%q), want the alley %d 签到巷", id, msg, alley.ID)
	}
	var uid int64
	var role string
	if err := s.Store.Pool.QueryRow(t.Context(), `SELECT user_id, role FROM patrol_checkins WHERE asset_id = $1`, alley.ID).Scan(&uid, &role); err != nil || uid != s.Users["vol_v"].ID || role != "volunteer" {
		t.Fatalf("the alley's check-in: user %d role %q (%v), want the volunteer %d", uid, role, err, s.Users["vol_v"].ID)
	}

	// A short walk along the road (the fixes go up in chunks once stopped).
	p.at(start[0], start[1])
	p.walk(start, end, 30)
	p.waitJS("my route of today from the server", fmt.Sprintf(`Number(document.querySelector('#vol-today').dataset.routeM) > %f`, 0.9*road.LengthM), 30*time.Second)

	var n, others int
	if err := s.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE user_id = $1 AND role = 'volunteer'), count(*) FILTER (WHERE user_id <> $1 OR role <> 'volunteer') FROM patrols`,
		s.Users["vol_v"].ID).Scan(&n, &others); err != nil || n == 0 || others != 0 {
		t.Fatalf("patrols: %d the volunteer's as volunteer, %d else (%v)", n, others, err)
	}
	var insp, vol domain.PatrolCoverage
	s.get("vol_l", "/api/v1/patrols/coverage?role=inspector", &insp)
	s.get("vol_l", "/api/v1/patrols/coverage?role=volunteer", &vol)
	if insp.PatrolledM != 0 || math.Abs(vol.PatrolledM-road.LengthM) > 0.05*road.LengthM {
		t.Errorf("inspection %.1f m (want 0), volunteers %.1f m of the %.1f m road", insp.PatrolledM, vol.PatrolledM, road.LengthM)
	}
	var shown float64
	fmt.Sscan(eval[string](p, `document.querySelector('#vol-today').dataset.routeM`), &shown)
	if math.Abs(shown-vol.PatrolledM) > 1 {
		t.Errorf("the phone shows %.1f m walked today, the coverage %.1f m", shown, vol.PatrolledM)
	}

	// Presence that day: the alley (check-in) and the road (walk).
	var pr domain.Presence
	s.get("vol_l", "/api/v1/patrols/presence", &pr)
	present := map[int64]domain.PresenceStretch{}
	for _, it := range pr.Items {
		if it.Present {
			present[it.AssetID] = it
		}
	}
	if a, r := present[alley.ID], present[road.ID]; len(present) != 2 || a.Checkins != 1 || r.Walks == 0 {
		t.Errorf("present: %+v, want the alley (1 check-in) and the road (walked)", present)
	}

	if bad := p.refusals(); len(bad) != 0 {
		p.fail("the volunteer view met refusals: %v", bad)
	}
}
