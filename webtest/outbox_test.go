package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"everymeter/internal/testapp"
)

// dialogs answers the page's JavaScript dialogs (accept or dismiss, as set) and keeps their messages.
type dialogs struct {
	mu     sync.Mutex
	accept bool
	seen   []string
}

// answerDialogs starts answering p's dialogs; a dialog left open would hang the click that opened it.
func (p *page) answerDialogs() *dialogs {
	d := &dialogs{}
	events := chromedp.Events(p.ctx, cdppage.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.seen = append(d.seen, ev.Message)
			accept := d.accept
			d.mu.Unlock()
			chromedp.Call(p.ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: accept})
		}
	}()
	return d
}

// answer sets how the next dialogs are answered and forgets the ones seen so far.
func (d *dialogs) answer(accept bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accept, d.seen = accept, nil
}

// messages are the dialogs seen since the last answer.
func (d *dialogs) messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// setOnline flips the browser's network state as a phone losing signal does: navigator.onLine and the
// online/offline events the app's outbox listens to. Requests still reach the test server, so a draft the
// app sends while it believes it is offline would show up in the database.
func (p *page) setOnline(on bool) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, slack*10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		p.fail("online=%v: %v", on, err)
	}
	p.waitJS("navigator.onLine to follow", fmt.Sprintf(`navigator.onLine === %v`, on), 5*time.Second)
}

// storedDrafts is every outbox draft in the page's localStorage, by key.
func (p *page) storedDrafts() map[string][]map[string]any {
	p.t.Helper()
	raw := eval[map[string]string](p, `Object.fromEntries(Object.keys(localStorage).filter((k) => k.startsWith('em_outbox')).map((k) => [k, localStorage.getItem(k)]))`)
	out := map[string][]map[string]any{}
	for k, v := range raw {
		var list []map[string]any
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			p.t.Errorf("localStorage %s is not a draft list: %v", k, err)
		}
		out[k] = list
	}
	return out
}

// TestOutboxStaysWithItsUser: on a shared phone inspector A queues a report offline and signs out; the
// warning first keeps A signed in when dismissed, then deletes A's draft when accepted. Inspector B signs in
// on the same browser and goes online: B's own offline draft is filed, nothing of A's is filed by anyone,
// and no draft of A's is left on the device. A draft of A's planted in B's outbox and one in the old shared
// key are not sent either.
func TestOutboxStaysWithItsUser(t *testing.T) {
	t.Parallel()
	s := newSite(t, true)
	s.user("outbox_a", "inspector", "")
	s.user("outbox_b", "inspector", "")
	a, b := s.Users["outbox_a"].ID, s.Users["outbox_b"].ID
	sp := coveredSpot(s, "outbox_a")
	cat := eventCategory(s, "outbox_a")
	noteA, noteB := "A 的离线上报 "+t.Name(), "B 的离线上报 "+t.Name()
	planted, legacy := "混入 B 队列的 A 草稿 "+t.Name(), "旧共享队列的草稿 "+t.Name()

	p := newPage(t, s.URL, 375, 812, true)
	dlg := p.answerDialogs()

	// queue files a report at the spot while the phone has no signal.
	queue := func(note string) {
		p.centerOn(sp.Lon, sp.Lat)
		x, y := p.pagePoint(sp.Lon, sp.Lat)
		p.do("tap the road", chromedp.TapXY(x, y))
		p.waitJS("the report form", `!!document.querySelector('#report-form') && !document.querySelector('#sheet').hidden`, 15*time.Second)
		p.setOnline(false)
		p.do("fill the report", chromedp.SetValue("#report-category", cat), sendKeys("#report-note", note))
		before := eval[string](p, `document.querySelector('#queue-count').dataset.n`)
		p.do("submit offline", click("#report-submit"))
		p.waitJS("the draft in the outbox", fmt.Sprintf(`document.querySelector('#queue-count').dataset.n !== %q`, before), 15*time.Second)
		if n := eval[string](p, `document.querySelector('#queue-count').dataset.n`); n != "1" {
			t.Errorf("after queueing one draft the outbox shows %s; want 1", n)
		}
	}

	p.signIn("outbox_a", testapp.Password, "inspector")
	queue(noteA)
	p.screenshot("outbox-queued")

	dlg.answer(false)
	// The click returns once the dialog is answered, and confirm() then returns to the click handler at once.
	p.do("sign out, dismissing the warning", click("#logout"))
	// The browser runs in zh-CN, the app's default: the warning is in Chinese and counts the drafts.
	if m := dlg.messages(); len(m) != 1 || !strings.Contains(m[0], "1 条未发送") {
		t.Errorf("signing out with 1 unsent draft showed dialogs %q; want one warning (zh-CN) naming the 1 draft", m)
	}
	// A still signed in: the session still works on the server (a round trip, which also lets a sign-out that
	// went ahead anyway finish) and the app still shows the inspector view.
	me := eval[int](p, `fetch('/api/v1/auth/me', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('em_token') } }).then((r) => r.status)`)
	if v := eval[string](p, `document.body.dataset.view`); v != "inspector" || me != 200 {
		t.Errorf("after dismissing the warning the app shows %q and /auth/me answers %d; want A still signed in (inspector, 200)", v, me)
	} else {
		if n := len(p.storedDrafts()[fmt.Sprintf("em_outbox:%d", a)]); n != 1 {
			t.Errorf("after dismissing the warning A's outbox holds %d drafts; want the 1 kept", n)
		}
		dlg.answer(true)
		p.do("sign out, accepting the warning", click("#logout"))
		if m := dlg.messages(); len(m) != 1 {
			t.Errorf("signing out the second time showed dialogs %q; want the one warning", m)
		}
	}
	p.waitJS("the login form", `document.body.dataset.view === 'login'`, 15*time.Second)
	for k, list := range p.storedDrafts() {
		for _, d := range list {
			if strings.Contains(fmt.Sprint(d["body"]), noteA) {
				t.Errorf("after A signed out, localStorage %s still holds A's draft", k)
			}
		}
	}

	// Defence in depth: a draft of A's in B's outbox, and one in the shared key of the old code.
	draft := func(note string) string {
		d := map[string]any{"key": fmt.Sprintf("00000000-0000-4000-8000-%012d", len(note)), "user_id": a,
			"body": map[string]any{"geometry": map[string]any{"type": "Point", "coordinates": []float64{sp.Lon, sp.Lat}},
				"category": cat, "description": note, "urgency": "normal"}}
		j, _ := json.Marshal(d)
		return string(j)
	}
	eval[bool](p, fmt.Sprintf(`(() => {
		const add = (k, d) => localStorage.setItem(k, JSON.stringify([...JSON.parse(localStorage.getItem(k) || '[]'), d]));
		add('em_outbox:%d', %s);
		add('em_outbox', %s);
		return true;
	})()`, b, draft(planted), draft(legacy)))

	p.signIn("outbox_b", testapp.Password, "inspector")
	if n := eval[string](p, `document.querySelector('#queue-count').dataset.n`); n != "0" {
		t.Errorf("B signs in to an outbox of %s; want 0 (none of the drafts on the phone is B's)", n)
	}
	queue(noteB)
	p.setOnline(true)

	// B's own draft being filed shows the outbox ran; only then is "nothing of A's" meaningful.
	var filedB int
	deadline := time.Now().Add(slack * 20 * time.Second)
	for filedB == 0 && time.Now().Before(deadline) {
		if err := s.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FROM reports WHERE reporter_id = $1 AND description = $2`, b, noteB).Scan(&filedB); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if filedB != 1 {
		p.fail("B's own offline draft was not filed once back online (%d reports)", filedB)
	}
	p.waitJS("B's outbox empty", `document.querySelector('#queue-count').dataset.n === '0'`, 15*time.Second)

	var byA, byB, foreign int
	if err := s.Store.Pool.QueryRow(t.Context(), `SELECT count(*) FILTER (WHERE reporter_id = $1), count(*) FILTER (WHERE reporter_id = $2),
		count(*) FILTER (WHERE description IN ($3, $4, $5)) FROM reports`, a, b, noteA, planted, legacy).Scan(&byA, &byB, &foreign); err != nil {
		t.Fatal(err)
	}
	if byA != 0 || byB != 1 || foreign != 0 {
		t.Errorf("reports filed: %d by A, %d by B, %d with A's or the old shared outbox's notes; want 0, 1 (B's own), 0", byA, byB, foreign)
	}
	stored := p.storedDrafts()
	if _, ok := stored["em_outbox"]; ok {
		t.Errorf("the old shared outbox key is still in localStorage")
	}
	for k, list := range stored {
		for _, d := range list {
			if body := fmt.Sprint(d["body"]); strings.Contains(body, noteA) || strings.Contains(body, legacy) {
				t.Errorf("localStorage %s holds a draft B must not have: %s", k, body)
			}
		}
	}
}
