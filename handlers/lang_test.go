package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"everymeter/internal/testapp"
)

// TestProblemsSpeakTheClientsLanguage: every kind of refusal (a handler's parameter check, a geo field error, a
// service validation, a not-found) answers in zh-CN by default and in English when the client asks for it, with
// the arguments filled in either way and the field errors translated too.
func TestProblemsSpeakTheClientsLanguage(t *testing.T) {
	a := testapp.New(t)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		zh, en             string // the detail contains these (written by hand, not looked up)
	}{
		{"geo bbox", "GET", "/api/v1/assets?bbox=1,2,3", nil, 400,
			"需要 4 个逗号分隔的数值 minLon,minLat,maxLon,maxLat，收到 3 个", "want 4 comma-separated numbers minLon,minLat,maxLon,maxLat, got 3 values"},
		{"handler parameter", "GET", "/api/v1/reports?overdue=maybe", nil, 400,
			"overdue 必须是 1/true 或 0/false", "overdue must be 1/true or 0/false"},
		{"service validation", "POST", "/api/v1/units", map[string]any{"code": "X 1", "name": "", "kind": "nope"}, 400,
			"名称须为 1–200 个字符", "name must be 1–200 characters"},
		{"unknown id", "GET", "/api/v1/units/999999", nil, 404, "没有这条记录，请检查编号", "no such record; check the id"},
		{"bad id", "GET", "/api/v1/units/abc", nil, 404, `"abc" 不是有效的编号`, `"abc" is not a valid id`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, lang := range []struct{ header, want, code string }{
				{"", c.zh, "zh-CN"},
				{"zh-CN,zh;q=0.9", c.zh, "zh-CN"},
				{"en-US,en;q=0.9", c.en, "en"},
			} {
				var h []string
				if lang.header != "" {
					h = []string{"Accept-Language", lang.header}
				}
				res := a.Do("planner", c.method, c.path, c.body, h...).MustStatus(t, c.status)
				p := res.JSON()
				detail, _ := p["detail"].(string)
				if !strings.Contains(detail, lang.want) {
					t.Errorf("Accept-Language %q: detail %q, want it to contain %q", lang.header, detail, lang.want)
				}
				if got := res.Header.Get("Content-Language"); got != lang.code {
					t.Errorf("Accept-Language %q: Content-Language %q, want %s", lang.header, got, lang.code)
				}
				errs, _ := p["errors"].([]any)
				for _, e := range errs {
					d := e.(map[string]any)["detail"].(string)
					if lang.code == "zh-CN" && !hasHan(d) {
						t.Errorf("field error %q is not in Chinese", d)
					}
					if lang.code == "en" && hasHan(d) {
						t.Errorf("field error %q is not in English", d)
					}
				}
			}
		})
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestRoutingReasonsRenderInEitherLanguage: a stored reason keeps its parts, so the same report reads in Chinese by
// default and in English on request (the dispatch queue included); a row written before the parts existed reads as
// its text.
func TestRoutingReasonsRenderInEitherLanguage(t *testing.T) {
	l := newLoop(t)
	r := l.file()
	id := int64(r["id"].(float64))
	path := fmt.Sprintf("/api/v1/reports/%d", id)
	reason := func(header ...string) string {
		return l.Do("planner", "GET", path, nil, header...).MustStatus(t, 200).JSON()["routing"].(map[string]any)["reason"].(string)
	}
	// Nothing is near the pin (100°E 30°N): the lookup says so, then the category's default unit decides.
	zh, en := reason(), reason("Accept-Language", "en")
	for _, want := range []string{"米内没有街道", "类别的默认单位 测试单位"} {
		if !strings.Contains(zh, want) {
			t.Errorf("zh reason %q lacks %q", zh, want)
		}
	}
	for _, want := range []string{"no street within", "default unit of the category 测试单位"} {
		if !strings.Contains(en, want) {
			t.Errorf("en reason %q lacks %q", en, want)
		}
	}
	var stored string
	if err := l.Store.Pool.QueryRow(t.Context(), `SELECT routing_reason FROM reports WHERE id = $1`, id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != en {
		t.Errorf("stored text %q, want the English rendering %q", stored, en)
	}
	// Sent back by the unit: a reason with the note, in both languages.
	l.mustMove("unit_staff", id, map[string]any{"action": "accept"})
	l.mustMove("unit_staff", id, map[string]any{"action": "return", "note": "不归我们管"})
	if zh, en := reason(), reason("Accept-Language", "en"); !strings.Contains(zh, "以非本单位职责退回；等待派遣：不归我们管") ||
		!strings.Contains(en, "returned as not ours by unit_staff1; waiting for the dispatcher: 不归我们管") {
		t.Errorf("returned: zh %q, en %q", zh, en)
	}
	// A row from before: no parts, its text as written, whatever the language.
	if _, err := l.Store.Pool.Exec(t.Context(), `UPDATE reports SET routing_reason = 'old text', routing_reason_parts = NULL WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if zh, en := reason(), reason("Accept-Language", "en"); zh != "old text" || en != "old text" {
		t.Errorf("an old row reads %q / %q, want its text", zh, en)
	}
}

// TestHistoryNotesRenderInEitherLanguage: the notes the server writes in a report's history (the routing reason
// at filing, "routed automatically" at the dispatch) read in Chinese by default and in English on request, from
// the parts they keep; the stored note is the English text; a person's note reads as they wrote it.
func TestHistoryNotesRenderInEitherLanguage(t *testing.T) {
	l := newLoop(t)
	id := int64(l.file()["id"].(float64))
	l.mustMove("unit_staff", id, map[string]any{"action": "accept"})
	l.mustMove("unit_staff", id, map[string]any{"action": "return", "note": "不归我们管"})
	notes := func(header ...string) map[string]string {
		out := map[string]string{}
		for _, e := range l.Do("planner", "GET", fmt.Sprintf("/api/v1/reports/%d/history", id), nil, header...).MustStatus(t, 200).JSON()["items"].([]any) {
			e := e.(map[string]any)
			out[e["action"].(string)] = e["note"].(string)
			if d, _ := e["details"].(map[string]any); d != nil && d["note_parts"] != nil {
				t.Errorf("the %s event shows its note's parts: %v", e["action"], d)
			}
		}
		return out
	}
	zh, en := notes(), notes("Accept-Language", "en")
	for _, c := range []struct{ action, zh, en string }{
		{"create", "米内没有街道", "no street within"},
		{"dispatch", "系统自动派遣；", "routed automatically; no street within"},
		{"return", "不归我们管", "不归我们管"},
	} {
		if !strings.Contains(zh[c.action], c.zh) || !strings.Contains(en[c.action], c.en) {
			t.Errorf("%s note: zh %q (want %q), en %q (want %q)", c.action, zh[c.action], c.zh, en[c.action], c.en)
		}
	}
	var stored string
	if err := l.Store.Pool.QueryRow(t.Context(), `SELECT note FROM report_events WHERE report_id = $1 AND action = 'dispatch'`, id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != en["dispatch"] {
		t.Errorf("stored dispatch note %q, want the English rendering %q", stored, en["dispatch"])
	}
}
