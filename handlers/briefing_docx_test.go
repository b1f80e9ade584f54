package handlers_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// docxTables reads a .docx answer back: it unzips word/document.xml and returns the text of every table cell, table
// by table, row by row, and the document's whole text.
func docxTables(t *testing.T, body []byte) ([][][]string, string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var doc []byte
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			doc, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	for _, n := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		if !names[n] {
			t.Fatalf("the .docx lacks %s (has %v)", n, names)
		}
	}
	// A token walk: w:t text goes to the current cell; w:tbl, w:tr and w:tc open tables, rows and cells.
	var tables [][][]string
	var all strings.Builder
	depth := 0
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("word/document.xml is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "tbl":
				if depth == 0 {
					tables = append(tables, nil)
				}
				depth++
			case "tr":
				tb := &tables[len(tables)-1]
				*tb = append(*tb, nil)
			case "tc":
				tb := tables[len(tables)-1]
				tb[len(tb)-1] = append(tb[len(tb)-1], "")
			case "t":
				var s string
				if err := dec.DecodeElement(&s, &e); err != nil {
					t.Fatal(err)
				}
				all.WriteString(s)
				if depth > 0 {
					tb := tables[len(tables)-1]
					row := tb[len(tb)-1]
					row[len(row)-1] += s
				}
			}
		case xml.EndElement:
			if e.Name.Local == "tbl" {
				depth--
			}
		}
	}
	return tables, all.String()
}

// TestBriefingDocxHasTheAPIsNumbers: the weekly briefing as .docx is a Word document whose ranking table holds, for
// every unit the JSON ranking lists with reports, the same rank, received, closed and score, and whose totals are
// the sums of the JSON's rows.
func TestBriefingDocxHasTheAPIsNumbers(t *testing.T) {
	l := newLoop(t)
	var ids []int64
	for i := 0; i < 5; i++ {
		ids = append(ids, int64(l.file()["id"].(float64)))
	}
	l.mustMove("unit_staff", ids[0], map[string]any{"action": "accept"})
	l.mustMove("admin", ids[4], map[string]any{"action": "dispatch", "unit_id": l.otherID})

	res := l.Do("leader", "GET", "/api/v1/briefing?format=docx&min_received=1", nil).MustStatus(t, 200)
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "wordprocessingml") {
		t.Fatalf("Content-Type %q", ct)
	}
	tables, text := docxTables(t, res.Body)
	for _, want := range []string{"文明城市创建工作通报", "责任单位综合评价排名", "测试单位"} {
		if !strings.Contains(text, want) {
			t.Errorf("the document's text lacks %q", want)
		}
	}
	var ranking [][]string
	for _, tb := range tables {
		if len(tb) > 0 && len(tb[0]) > 2 && tb[0][0] == "名次" {
			ranking = tb[1:]
		}
	}
	if ranking == nil {
		t.Fatalf("no ranking table among %d tables", len(tables))
	}
	byCode := map[string][]string{}
	for _, r := range ranking {
		byCode[r[1]] = r
	}
	api := l.Do("leader", "GET", "/api/v1/stats/units?min_received=1", nil).MustStatus(t, 200).JSON()["items"].([]any)
	var received float64
	checked := 0
	for _, it := range api {
		u := it.(map[string]any)
		if u["received"].(float64) == 0 {
			continue
		}
		received += u["received"].(float64)
		r, ok := byCode[u["code"].(string)]
		if !ok {
			t.Errorf("unit %v is not in the document's ranking", u["code"])
			continue
		}
		rank := "样本不足"
		if u["rank"] != nil {
			rank = fmt.Sprint(u["rank"])
		}
		score := "—"
		if u["score"] != nil {
			score = fmt.Sprintf("%.1f", u["score"].(float64))
		}
		for _, c := range []struct {
			col  int
			want string
		}{{0, rank}, {3, fmt.Sprint(u["received"])}, {7, fmt.Sprint(u["closed"])}, {11, score}} {
			if r[c.col] != c.want {
				t.Errorf("%s column %d = %q, the API says %q", u["code"], c.col, r[c.col], c.want)
			}
			checked++
		}
	}
	if checked < 8 || received != 5 {
		t.Fatalf("checked %d cells over %v reports; the fixture should give two units with reports", checked, received)
	}
	if !strings.Contains(text, "上报案卷5") {
		t.Errorf("the totals do not say 5 reports: %.300s", text)
	}
}
