package handlers_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"everymeter/handlers"
	"everymeter/internal/testapp"
	"everymeter/server"
	"everymeter/service"
)

var _ = addPolicy(map[string]string{
	"GET /report":                                       "public",
	"GET /r/:code":                                      "public",
	"GET /api/v1/public/categories":                     "public",
	"GET /api/v1/public/nearby":                         "public",
	"POST /api/v1/public/reports":                       "public",
	"GET /api/v1/public/reports/:code":                  "public",
	"POST /api/v1/public/reports/:code/rating":          "public",
	"GET /api/v1/public/reports/:code/photos/:id":       "public",
	"GET /api/v1/public/reports/:code/photos/:id/thumb": "public",
	"GET /api/v1/moderation/queue":                      "admin",
	"GET /api/v1/moderation/reports/:id":                "admin",
	"POST /api/v1/moderation/reports/:id/decision":      "admin",
	"PATCH /api/v1/moderation/reports/:id":              "admin",
	"POST /api/v1/moderation/photos/:id/hide":           "admin",
	"GET /api/v1/moderation/blocks":                     "admin",
	"POST /api/v1/moderation/blocks":                    "admin",
	"DELETE /api/v1/moderation/blocks/:id":              "admin",
	"GET /api/v1/moderation/apps":                       "admin",
	"POST /api/v1/moderation/apps":                      "admin",
	"DELETE /api/v1/moderation/apps/:id":                "admin",
})

// The reporter's identity and a staff note, searched for in every public answer.
const (
	citizenPhone    = "13912345678"
	citizenNickname = "热心市民老王"
	staffNote       = "staff-only-note-7f3a"
)

// publicForm is one public submission.
type publicForm struct {
	fields map[string]string
	photos [][]byte
	xff    string // X-Forwarded-For, for a server that trusts the test's loopback as a proxy
}

// submitPublic posts a public report as multipart/form-data, anonymously.
func submitPublic(t testing.TB, url string, f publicForm) testapp.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range f.fields {
		mw.WriteField(k, v)
	}
	for i, p := range f.photos {
		fw, _ := mw.CreateFormFile("photo", fmt.Sprintf("p%d.jpg", i))
		fw.Write(p)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", url+"/api/v1/public/reports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if f.xff != "" {
		req.Header.Set("X-Forwarded-For", f.xff)
	}
	return send(t, req)
}

func count(t testing.TB, a *testapp.App, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := a.Store.Pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// steps lists the step names of a tracking page's JSON.
func steps(m map[string]any) []string {
	var out []string
	for _, s := range m["steps"].([]any) {
		out = append(out, s.(map[string]any)["step"].(string))
	}
	return out
}

// TestCitizenStory follows a resident's report through the whole loop over HTTP: filed with a photo (its EXIF
// position placing the pin), invisible until accepted, routed on acceptance exactly as a staff report at the same
// spot, fixed by the unit with an after photo the resident sees, rated 不满意 — which sends it back for re-check
// and lowers the unit's 满意率 in the ranking.
func TestCitizenStory(t *testing.T) {
	l := newLoop(t)
	a := l.App
	lon, lat := 101.5, 30.0
	photo := jpegWithGPS(t, 64, 48, lon, lat)
	res := submitPublic(t, a.URL, publicForm{fields: map[string]string{"category": "JMZX-01", "description": "路口有流动摊贩",
		"nickname": citizenNickname, "phone": citizenPhone, "device": "dev-story"}, photos: [][]byte{photo}})
	res.MustStatus(t, http.StatusCreated)
	code := res.JSON()["code"].(string)

	// Nothing public before acceptance: no case, the Open311 list does not show it, the page says received only.
	if n := count(t, a, `SELECT count(*) FROM reports`); n != 0 {
		t.Fatalf("%d cases exist before moderation", n)
	}
	st := a.Do("", "GET", "/api/v1/public/reports/"+code, nil).MustStatus(t, 200).JSON()
	if st["status"] != "pending" || len(st["photo_ids"].([]any)) != 0 {
		t.Fatalf("before acceptance: %v", st)
	}
	// The pin came from the photo's EXIF (no lon/lat were sent), and the stored file has no EXIF left.
	var qlon, qlat float64
	var sha string
	if err := a.Store.Pool.QueryRow(t.Context(), `SELECT ST_X(p.geom), ST_Y(p.geom), ph.sha256 FROM public_reports p
		JOIN public_photos ph ON ph.public_report_id = p.id WHERE p.code = $1`, code).Scan(&qlon, &qlat, &sha); err != nil {
		t.Fatal(err)
	}
	if d := (qlon-lon)*(qlon-lon) + (qlat-lat)*(qlat-lat); d > 1e-8 {
		t.Errorf("pin %v,%v; the photo was taken at %v,%v", qlon, qlat, lon, lat)
	}

	// The queue shows the reporter to the admin; a unit staff member may not read it.
	a.Do("unit_staff", "GET", "/api/v1/moderation/queue", nil).MustStatus(t, http.StatusForbidden)
	q := a.Do("admin", "GET", "/api/v1/moderation/queue", nil).MustStatus(t, 200).JSON()["items"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["phone"] != citizenPhone {
		t.Fatalf("queue: %v", q)
	}
	pid := int64(q[0].(map[string]any)["id"].(float64))

	// A staff report at the same spot and category is the routing oracle: acceptance must route the same way.
	staff := a.Do("inspector", "POST", "/api/v1/reports", map[string]any{"geometry": map[string]any{"type": "Point",
		"coordinates": []float64{qlon + 0.5, qlat}}, "category": "JMZX-01"}).MustStatus(t, 201).JSON()["report"].(map[string]any)
	acc := a.Do("admin", "POST", fmt.Sprintf("/api/v1/moderation/reports/%d/decision", pid), map[string]any{"action": "accept", "reason": staffNote}).MustStatus(t, 200).JSON()
	caseID := int64(acc["report_id"].(float64))
	c := a.Do("admin", "GET", fmt.Sprintf("/api/v1/reports/%d", caseID), nil).MustStatus(t, 200).JSON()
	if c["unit_id"] != staff["unit_id"] || c["decided_by"] != staff["decided_by"] || c["status"] != "dispatched" {
		t.Fatalf("accepted case routed to %v by %v (%v); a staff report there goes to %v by %v", c["unit_id"], c["decided_by"], c["status"], staff["unit_id"], staff["decided_by"])
	}
	a.Do("admin", "POST", fmt.Sprintf("/api/v1/moderation/reports/%d/decision", pid), map[string]any{"action": "reject", "reason": "x"}).MustStatus(t, http.StatusConflict)

	// The unit takes it, fixes it with an after photo; the inspector verifies.
	l.mustMove("unit_staff", caseID, map[string]any{"action": "accept", "note": staffNote})
	after := l.photo("unit_staff", caseID)
	l.mustMove("unit_staff", caseID, map[string]any{"action": "resolve", "photo_id": after, "note": staffNote})
	l.mustMove("inspector", caseID, map[string]any{"action": "verify", "note": staffNote})

	st = a.Do("", "GET", "/api/v1/public/reports/"+code, nil).MustStatus(t, 200).JSON()
	got := strings.Join(steps(st), ",")
	if got != "received,accepted,dispatched,taken,fixed,closed" || st["can_rate"] != true {
		t.Fatalf("timeline %s, can_rate %v", got, st["can_rate"])
	}
	var shownAfter bool
	for _, id := range st["photo_ids"].([]any) {
		if int64(id.(float64)) == after {
			shownAfter = true
		}
	}
	if !shownAfter {
		t.Fatalf("the after photo %d is not on the page: %v", after, st["photo_ids"])
	}
	img := a.Do("", "GET", fmt.Sprintf("/api/v1/public/reports/%s/photos/%d", code, after), nil).MustStatus(t, 200)
	if !bytes.HasPrefix(img.Body, []byte("\x89PNG")) {
		t.Fatalf("the after photo is not served: %.40q", img.Body)
	}

	// The ranking before and after the rating: 满意率 of the unit goes from none to 0 of 1.
	rank := func() map[string]any {
		items := a.Do("leader", "GET", "/api/v1/stats/units?from=2020-01-01&to=2040-01-01", nil).MustStatus(t, 200).JSON()["items"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			if int64(m["unit_id"].(float64)) == a.UnitID {
				return m
			}
		}
		t.Fatalf("unit %d not in the ranking", a.UnitID)
		return nil
	}
	before := rank()
	if before["rated"].(float64) != 0 {
		t.Fatalf("rated before any rating: %v", before)
	}
	a.Do("", "POST", "/api/v1/public/reports/"+code+"/rating", map[string]any{"rating": "unsatisfied"}).MustStatus(t, 200)
	a.Do("", "POST", "/api/v1/public/reports/"+code+"/rating", map[string]any{"rating": "satisfied"}).MustStatus(t, http.StatusConflict)
	c = a.Do("admin", "GET", fmt.Sprintf("/api/v1/reports/%d", caseID), nil).MustStatus(t, 200).JSON()
	if c["status"] != "resolved" {
		t.Fatalf("after 不满意 the case is %v, want resolved (waiting for re-check)", c["status"])
	}
	afterRank := rank()
	if afterRank["rated"].(float64) != 1 || afterRank["satisfaction_rate"] == nil || afterRank["satisfaction_rate"].(float64) != 0 {
		t.Fatalf("after one 不满意: %v", afterRank)
	}
	// Verified again and rated 满意: two ratings, one satisfied.
	l.mustMove("inspector", caseID, map[string]any{"action": "verify"})
	a.Do("", "POST", "/api/v1/public/reports/"+code+"/rating", map[string]any{"rating": "satisfied"}).MustStatus(t, 200)
	if r := rank()["satisfaction_rate"].(float64); r != 0.5 {
		t.Fatalf("满意率 %v after 不满意 then 满意, want 0.5", r)
	}
	// The briefing shows it too: 1 of 2 ratings content is 50.0%.
	br := a.Do("leader", "GET", "/api/v1/briefing?from=2020-01-01&to=2040-01-01", nil).MustStatus(t, 200)
	if !bytes.Contains(br.Body, []byte("市民满意率<b>50.0%</b>")) {
		t.Errorf("the briefing lacks 市民满意率 50.0%%: %.2000s", br.Body)
	}
}

// TestModeration: reject shows the reason to the reporter; merge makes the page follow the original case; an edit
// keeps the original text; a hidden photo is never published.
func TestModeration(t *testing.T) {
	l := newLoop(t)
	a := l.App
	file := func(desc string, photos ...[]byte) (string, int64) {
		res := submitPublic(t, a.URL, publicForm{fields: map[string]string{"category": "JMZX-01", "description": desc,
			"lon": "102.1", "lat": "30"}, photos: photos})
		res.MustStatus(t, http.StatusCreated)
		code := res.JSON()["code"].(string)
		var id int64
		if err := a.Store.Pool.QueryRow(t.Context(), `SELECT id FROM public_reports WHERE code = $1`, code).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return code, id
	}
	decide := func(id int64, body map[string]any) testapp.Response {
		return a.Do("admin", "POST", fmt.Sprintf("/api/v1/moderation/reports/%d/decision", id), body)
	}
	rcode, rid := file("广告")
	decide(rid, map[string]any{"action": "reject"}).MustStatus(t, 400) // a rejection needs a reason
	decide(rid, map[string]any{"action": "reject", "reason": "不在本县范围"}).MustStatus(t, 200)
	st := a.Do("", "GET", "/r/"+rcode, nil).MustStatus(t, 200)
	if !bytes.Contains(st.Body, []byte("不在本县范围")) {
		t.Fatalf("the rejection reason is not on the page: %s", st.Body)
	}

	ocode, oid := file("原始描述", pngBytes(t, 20, 20, 1), pngBytes(t, 20, 20, 2))
	ed := a.Do("admin", "PATCH", fmt.Sprintf("/api/v1/moderation/reports/%d", oid), map[string]any{"description": "改过的描述"}).MustStatus(t, 200).JSON()
	if ed["description"] != "改过的描述" || !strings.Contains(fmt.Sprint(ed["original"]), "原始描述") {
		t.Fatalf("edit: %v", ed)
	}
	photos := ed["photos"].([]any)
	hide := int64(photos[1].(map[string]any)["id"].(float64))
	a.Do("admin", "POST", fmt.Sprintf("/api/v1/moderation/photos/%d/hide", hide), nil).MustStatus(t, 200)
	acc := decide(oid, map[string]any{"action": "accept"}).MustStatus(t, 200).JSON()
	orig := int64(acc["report_id"].(float64))
	if n := count(t, a, `SELECT count(*) FROM photos WHERE report_id = $1`, orig); n != 1 {
		t.Fatalf("the case has %d photos; one of the two was hidden", n)
	}
	ost := a.Do("", "GET", "/api/v1/public/reports/"+ocode, nil).MustStatus(t, 200).JSON()
	if len(ost["photo_ids"].([]any)) != 1 {
		t.Fatalf("published photos %v", ost["photo_ids"])
	}

	mcode, mid := file("同一个问题")
	decide(mid, map[string]any{"action": "merge", "report_id": orig, "reason": "已有人报告"}).MustStatus(t, 200)
	l.mustMove("unit_staff", orig, map[string]any{"action": "accept"})
	mst := a.Do("", "GET", "/api/v1/public/reports/"+mcode, nil).MustStatus(t, 200).JSON()
	if mst["merged"] != true || mst["case_status"] != "accepted" || !strings.Contains(strings.Join(steps(mst), ","), "taken") {
		t.Fatalf("the merged report's page does not follow the original: %v", mst)
	}
	a.Do("", "GET", "/api/v1/public/reports/ZZZZZZZZZZ", nil).MustStatus(t, 404)
	a.Do("", "GET", "/api/v1/public/reports/not-a-code", nil).MustStatus(t, 404)
}

// TestPublicAbuse: the honeypot, the block list and the photo limits refuse without writing.
func TestPublicAbuse(t *testing.T) {
	a := testapp.New(t)
	ok := map[string]string{"category": "JMZX-01", "lon": "101", "lat": "30", "device": "dev-abuse", "phone": "13800000000"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for x, y := range ok {
			m[x] = y
		}
		m[k] = v
		return m
	}
	submitPublic(t, a.URL, publicForm{fields: with("website", "http://spam")}).MustStatus(t, 400)
	submitPublic(t, a.URL, publicForm{fields: with("category", "BJ-01")}).MustStatus(t, 400) // 部件: not public
	submitPublic(t, a.URL, publicForm{fields: ok, photos: [][]byte{[]byte("not an image")}}).MustStatus(t, 400)
	submitPublic(t, a.URL, publicForm{fields: ok, photos: [][]byte{{1}, {2}, {3}, {4}}}).MustStatus(t, 400)
	big := append(pngBytes(t, 4, 4, 1), bytes.Repeat([]byte{0}, 11<<20)...)
	if s := submitPublic(t, a.URL, publicForm{fields: ok, photos: [][]byte{big}}).Status; s != http.StatusRequestEntityTooLarge {
		t.Errorf("an 11 MB photo: %d, want 413", s)
	}
	a.Do("admin", "POST", "/api/v1/moderation/blocks", map[string]any{"kind": "device", "value": "dev-abuse", "reason": "spam"}).MustStatus(t, 201)
	submitPublic(t, a.URL, publicForm{fields: ok}).MustStatus(t, http.StatusForbidden)
	if n := count(t, a, `SELECT count(*) FROM public_reports`); n != 0 {
		t.Fatalf("%d public reports written by refused submissions", n)
	}
	submitPublic(t, a.URL, publicForm{fields: with("device", "dev-other")}).MustStatus(t, 201)
}

// TestPublicFlood: 1,000 rapid submissions from one address make exactly the address limit's worth of queue
// entries and 429s with Retry-After for the rest, while another address files normally; the refused requests
// write nothing (no report, no photo, no throttle count beyond the limit).
func TestPublicFlood(t *testing.T) {
	base := testapp.New(t)
	_, lo, _ := net.ParseCIDR("127.0.0.0/8")
	a := base.With(server.Options{TrustedProxies: []*net.IPNet{lo}})
	limit := service.DefaultPublicAddressLimit
	photo := pngBytes(t, 8, 8, 7)
	var created, refused, other atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				res := submitPublic(t, a.URL, publicForm{xff: "203.0.113.9", photos: [][]byte{photo},
					fields: map[string]string{"category": "JMZX-01", "lon": "101", "lat": "30", "description": fmt.Sprint("flood ", i)}})
				switch {
				case res.Status == http.StatusCreated:
					created.Add(1)
				case res.Status == http.StatusTooManyRequests && res.Header.Get("Retry-After") != "":
					refused.Add(1)
				default:
					other.Add(1)
					t.Errorf("flood %d: %d %s (Retry-After %q)", i, res.Status, res.Body, res.Header.Get("Retry-After"))
				}
			}
		}()
	}
	for i := range 1000 {
		jobs <- i
		if i == 500 { // another resident, mid-flood, from another address
			submitPublic(t, a.URL, publicForm{xff: "198.51.100.7", fields: map[string]string{"category": "JMZX-01", "lon": "101.2", "lat": "30"}}).MustStatus(t, 201)
		}
	}
	close(jobs)
	wg.Wait()
	if created.Load() != int64(limit) || refused.Load() != int64(1000-limit) {
		t.Fatalf("created %d, refused %d; want %d and %d", created.Load(), refused.Load(), limit, 1000-limit)
	}
	if n := count(t, a, `SELECT count(*) FROM public_reports WHERE addr = '203.0.113.9'`); n != int64(limit) {
		t.Fatalf("%d queue entries from the flooding address, want %d", n, limit)
	}
	if n := count(t, a, `SELECT count(*) FROM public_photos`); n > int64(limit) {
		t.Fatalf("%d photos stored, at most %d were accepted", n, limit)
	}
	if n := count(t, a, `SELECT failures FROM login_throttles WHERE key = 'public-addr:203.0.113.9'`); n != int64(limit) {
		t.Fatalf("the throttle counted %d submissions; refused ones must write nothing", n)
	}
}

// TestPublicRoutesHideReporter requests every public GET route (the route table's, with real codes and ids) and
// searches the answers for the reporter's phone and nickname and a staff note.
func TestPublicRoutesHideReporter(t *testing.T) {
	l := newLoop(t)
	a := l.App
	res := submitPublic(t, a.URL, publicForm{fields: map[string]string{"category": "JMZX-01", "description": "垃圾", "lon": "103", "lat": "30",
		"nickname": citizenNickname, "phone": citizenPhone, "device": "dev-privacy"}, photos: [][]byte{pngBytes(t, 10, 10, 3)}})
	code := res.MustStatus(t, 201).JSON()["code"].(string)
	pid := int64(a.Do("admin", "GET", "/api/v1/moderation/queue", nil).JSON()["items"].([]any)[0].(map[string]any)["id"].(float64))
	caseID := int64(a.Do("admin", "POST", fmt.Sprintf("/api/v1/moderation/reports/%d/decision", pid),
		map[string]any{"action": "accept", "reason": staffNote}).MustStatus(t, 200).JSON()["report_id"].(float64))
	l.mustMove("unit_staff", caseID, map[string]any{"action": "accept", "note": staffNote})
	after := l.photo("unit_staff", caseID)
	l.mustMove("unit_staff", caseID, map[string]any{"action": "resolve", "photo_id": after, "note": staffNote})
	l.mustMove("inspector", caseID, map[string]any{"action": "verify", "note": staffNote})
	// The moderator's own copy shows the phone: the search below would find it if a public route leaked it.
	if q := a.Do("admin", "GET", fmt.Sprintf("/api/v1/moderation/reports/%d", pid), nil).MustStatus(t, 200); !bytes.Contains(q.Body, []byte(citizenPhone)) {
		t.Fatal("the moderation view lacks the phone; the search would prove nothing")
	}
	photos := a.Do("", "GET", "/api/v1/public/reports/"+code, nil).MustStatus(t, 200).JSON()["photo_ids"].([]any)
	if len(photos) < 2 {
		t.Fatalf("published photos %v", photos)
	}
	fill := strings.NewReplacer(":code", code, ":id", fmt.Sprint(int64(photos[0].(float64))), ":file", fmt.Sprintf("%d.json", caseID))
	queries := map[string]string{
		"/api/v1/public/nearby":      "lon=103&lat=30",
		"/open311/v2/requests.json":  "start_date=2000-01-01T00:00:00Z&end_date=2100-01-01T00:00:00Z",
		"/open311/v2/requests.xml":   "start_date=2000-01-01T00:00:00Z&end_date=2100-01-01T00:00:00Z",
		"/open311/v2/services/:file": "",
	}
	checked := 0
	for _, rt := range a.Echo.Routes() {
		rule, _ := handlers.RuleOf(rt)
		if rt.Method != http.MethodGet || !rule.Public || strings.HasPrefix(rt.Path, "/app/") || strings.HasPrefix(rt.Path, "/vendor/") {
			continue
		}
		u := fill.Replace(rt.Path)
		if rt.Path == "/open311/v2/services/:file" {
			u = "/open311/v2/services/JMZX-01.json"
		}
		if q := queries[rt.Path]; q != "" {
			u += "?" + q
		}
		got := a.Do("", "GET", u, nil)
		for _, secret := range []string{citizenPhone, citizenNickname, staffNote, "dev-privacy"} {
			if bytes.Contains(got.Body, []byte(secret)) {
				t.Errorf("GET %s shows %q: %.300s", u, secret, got.Body)
			}
		}
		checked++
	}
	if checked < 15 {
		t.Fatalf("only %d public routes were searched", checked)
	}
	page := a.Do("", "GET", "/r/"+code, nil).MustStatus(t, 200)
	if !bytes.Contains(page.Body, []byte("已处置")) || !bytes.Contains(page.Body, []byte("满意")) {
		t.Fatalf("the page lacks the fix or the rating form: %s", page.Body)
	}
}

// TestOpen311CitizenApp: a citizen app's key files through Open311 POST into the moderation queue (202 and a
// token, the request's fields still validated); GET requests shows nothing of it before acceptance and, after,
// the case without the reporter; a revoked key is refused.
func TestOpen311CitizenApp(t *testing.T) {
	a := testapp.New(t)
	created := a.Do("admin", "POST", "/api/v1/moderation/apps", map[string]any{"name": "文明城市 App"}).MustStatus(t, 201).JSON()
	key := created["key"].(string)
	appID := int64(created["app"].(map[string]any)["id"].(float64))
	post := func(form url.Values) testapp.Response {
		return a.Do("", "POST", "/open311/v2/requests.json", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	}
	form := url.Values{"api_key": {key}, "service_code": {"JMZX-01"}, "lat": {"30"}, "long": {"104"}, "description": {"摊贩占道"},
		"phone": {citizenPhone}, "first_name": {citizenNickname}, "device_id": {"app-device-1"}}
	bad := url.Values{"api_key": {key}, "service_code": {"JMZX-01"}, "lat": {"300"}, "long": {"104"}}
	post(bad).MustStatus(t, 400)
	res := post(form).MustStatus(t, http.StatusAccepted)
	var queued []struct {
		Token string `json:"token"`
	}
	res.Decode(t, &queued)
	if len(queued) != 1 || len(queued[0].Token) != 10 {
		t.Fatalf("answer %s", res.Body)
	}
	list := func() []byte {
		return a.Do("", "GET", "/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2100-01-01T00:00:00Z", nil).MustStatus(t, 200).Body
	}
	if b := list(); bytes.Contains(b, []byte("摊贩占道")) {
		t.Fatalf("GET requests shows a report before moderation: %s", b)
	}
	q := a.Do("admin", "GET", "/api/v1/moderation/queue", nil).MustStatus(t, 200).JSON()["items"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["phone"] != citizenPhone || int64(q[0].(map[string]any)["app_id"].(float64)) != appID {
		t.Fatalf("queue %v", q)
	}
	id := int64(q[0].(map[string]any)["id"].(float64))
	a.Do("admin", "POST", fmt.Sprintf("/api/v1/moderation/reports/%d/decision", id), map[string]any{"action": "accept", "reason": staffNote}).MustStatus(t, 200)
	b := list()
	if !bytes.Contains(b, []byte("摊贩占道")) {
		t.Fatalf("GET requests lacks the accepted case: %s", b)
	}
	for _, secret := range []string{citizenPhone, citizenNickname, staffNote, "app-device-1"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("GET requests shows %q: %s", secret, b)
		}
	}
	a.Do("admin", "DELETE", fmt.Sprintf("/api/v1/moderation/apps/%d", appID), nil).MustStatus(t, 204)
	post(form).MustStatus(t, http.StatusForbidden)
}
