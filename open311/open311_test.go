package open311_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"everymeter/open311"
)

func TestStatus(t *testing.T) {
	for s, want := range map[string]string{"reported": "open", "dispatched": "open", "accepted": "open", "resolved": "open",
		"rework": "open", "returned": "open", "closed": "closed", "voided": "closed", "duplicate": "closed"} {
		if got := open311.Status(s); got != want {
			t.Errorf("Status(%q) = %q, want %q", s, got, want)
		}
	}
}

func TestSplitFormat(t *testing.T) {
	for _, tc := range []struct {
		in, name, format string
		ok               bool
	}{
		{"12.json", "12", "json", true},
		{"BJ-01.XML", "BJ-01", "xml", true},
		{"a.b.json", "a.b", "json", true},
		{"12", "12", "", false},
		{"12.html", "12.html", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			name, f, ok := open311.SplitFormat(tc.in)
			if name != tc.name || f != tc.format || ok != tc.ok {
				t.Fatalf("SplitFormat(%q) = %q, %q, %v", tc.in, name, f, ok)
			}
		})
	}
}

func TestTimeAndTokens(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	if got := open311.Time(time.Date(2024, 5, 1, 0, 30, 0, 0, time.UTC), loc); got != "2024-05-01T08:30:00+08:00" {
		t.Errorf("Time = %s", got)
	}
	if got := open311.Time(time.Date(2024, 5, 1, 0, 30, 0, 0, time.UTC), nil); got != "2024-05-01T00:30:00+00:00" {
		t.Errorf("Time in UTC = %s: the offset must be numeric", got)
	}
	if d, ok := open311.ParseTime("2024-05-01", loc); !ok || !d.Equal(time.Date(2024, 4, 30, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseTime(date) = %v %v", d, ok)
	}
	if _, ok := open311.ParseTime("yesterday", loc); ok {
		t.Error("ParseTime accepted a word")
	}
	if id, ok := open311.RequestOfToken(open311.TokenOf("42")); !ok || id != "42" {
		t.Errorf("token round trip: %q %v", id, ok)
	}
	if _, ok := open311.RequestOfToken("t-"); ok {
		t.Error("an empty token resolved")
	}
}

func TestXMLDocuments(t *testing.T) {
	b, err := xml.Marshal(open311.Document(open311.XML, []open311.Error{{Code: 403, Description: "invalid api_key"}}))
	if err != nil || string(b) != "<errors><error><code>403</code><description>invalid api_key</description></error></errors>" {
		t.Fatalf("errors XML: %s %v", b, err)
	}
	s := "x"
	b, _ = xml.Marshal(open311.Document(open311.XML, []open311.Request{{ServiceRequestID: "1", Status: "open", ServiceCode: "A", StatusNotes: &s}}))
	if !strings.HasPrefix(string(b), "<service_requests><request><service_request_id>1</service_request_id><status>open</status><status_notes>x</status_notes>") {
		t.Fatalf("requests XML: %s", b)
	}
	if _, ok := open311.Document(open311.JSON, []open311.Service(nil)).([]open311.Service); !ok {
		t.Fatal("a JSON list is a bare array, never null")
	}
}
