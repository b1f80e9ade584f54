package handlers

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"everymeter/domain"
)

// The weekly briefing as a Word document (.docx). No maintained Go library for WordprocessingML is served by the
// module proxy (godocx is not listed, unioffice needs a paid licence), and a briefing needs only headings,
// paragraphs and tables: those are a few elements of ECMA-376 in three zip entries, written here with archive/zip
// and encoding/xml's escaping. The charts become what a table can carry at a glance: each unit's score as a bar of
// blocks beside its number, the trend as one row per period with its bar.

const docxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`

const docxRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`

// docxWriter builds the body of word/document.xml.
type docxWriter struct{ b strings.Builder }

func docxEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// run is one run of text; size in half-points (0: the default), bold when asked.
func docxRun(text string, size int, bold bool) string {
	var rpr strings.Builder
	rpr.WriteString(`<w:rPr><w:rFonts w:ascii="SimSun" w:hAnsi="SimSun" w:eastAsia="宋体"/>`)
	if bold {
		rpr.WriteString(`<w:b/>`)
	}
	if size > 0 {
		fmt.Fprintf(&rpr, `<w:sz w:val="%d"/>`, size)
	}
	rpr.WriteString(`</w:rPr>`)
	return `<w:r>` + rpr.String() + `<w:t xml:space="preserve">` + docxEscape(text) + `</w:t></w:r>`
}

func (w *docxWriter) para(text string, size int, bold, center bool) {
	w.b.WriteString(`<w:p>`)
	if center {
		w.b.WriteString(`<w:pPr><w:jc w:val="center"/></w:pPr>`)
	}
	w.b.WriteString(docxRun(text, size, bold))
	w.b.WriteString(`</w:p>`)
}

func (w *docxWriter) heading(text string) { w.para(text, 30, true, false) }

// table writes a bordered table whose first row is the header.
func (w *docxWriter) table(head []string, rows [][]string) {
	w.b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		fmt.Fprintf(&w.b, `<w:%s w:val="single" w:sz="4" w:space="0" w:color="999999"/>`, side)
	}
	w.b.WriteString(`</w:tblBorders></w:tblPr>`)
	row := func(cells []string, bold bool) {
		w.b.WriteString(`<w:tr>`)
		for _, c := range cells {
			w.b.WriteString(`<w:tc><w:p>` + docxRun(c, 18, bold) + `</w:p></w:tc>`)
		}
		w.b.WriteString(`</w:tr>`)
	}
	row(head, true)
	for _, r := range rows {
		row(r, false)
	}
	w.b.WriteString(`</w:tbl>`)
	w.para("", 0, false, false) // Word needs a paragraph between two tables, and after the last one
}

// bar is a score (0–100) as a bar of up to 20 blocks.
func bar(v, max float64) string {
	if max <= 0 || v <= 0 {
		return ""
	}
	return strings.Repeat("█", int(20*v/max+0.5))
}

// briefingDOCX writes the briefing's sections — totals, the ranking with its score bars, the trend, the overdue cases
// and the coverage by unit — as a .docx.
func briefingDOCX(b domain.Briefing, fromDay, toDay, nowText string, minReceived int, overdue []briefingOverdue) ([]byte, error) {
	var w docxWriter
	w.para("文明城市创建工作通报", 44, true, true)
	w.para("统计期间："+fromDay+" 至 "+toDay+"（按上报时间）　生成时间："+nowText, 21, false, true)

	w.heading("一、总体情况")
	t := b.Totals
	totals := [][]string{{"上报案卷", strconv.FormatInt(t.Received, 10)}, {"应处置", strconv.FormatInt(t.Due, 10)},
		{"已处置", strconv.FormatInt(t.Handled, 10)}, {"处置率", pct(t.Rates.Handling)}, {"按期处置率", pct(t.Rates.OnTime)},
		{"结案率", pct(t.Rates.Closure)}, {"市民满意率", pct(t.Rates.Satisfaction)}, {"当前超期", strconv.FormatInt(t.OverdueNow, 10)},
		{"待派遣", strconv.FormatInt(b.Queue, 10)}}
	if b.CoveragePc != nil {
		totals = append(totals, []string{"道路责任覆盖率", pct(b.CoveragePc)})
	}
	w.table([]string{"指标", "数值"}, totals)
	if len(b.Trend) > 0 {
		w.heading("案卷数量趋势")
		top := 0.0
		for _, p := range b.Trend {
			top = max(top, float64(p.Created), float64(p.Closed))
		}
		var rows [][]string
		for _, p := range b.Trend {
			rows = append(rows, []string{p.T.In(briefingLoc).Format("2006-01-02"), strconv.FormatInt(p.Created, 10), bar(float64(p.Created), top),
				strconv.FormatInt(p.Closed, 10)})
		}
		w.table([]string{"时段", "上报", "", "结案"}, rows)
	}

	w.heading("二、责任单位综合评价排名")
	var rows [][]string
	for _, u := range b.Units {
		if u.Received == 0 && u.TooFew {
			continue // as on the printed briefing: a unit that received nothing is not listed
		}
		rank := "样本不足"
		if u.Rank != nil {
			rank = strconv.Itoa(*u.Rank)
		}
		score := 0.0
		if u.Score != nil {
			score = *u.Score
		}
		rows = append(rows, []string{rank, u.Code, u.Name, strconv.FormatInt(u.Received, 10), strconv.FormatInt(u.Due, 10),
			strconv.FormatInt(u.Handled, 10), strconv.FormatInt(u.OverdueNow, 10), strconv.FormatInt(u.Closed, 10),
			pct(u.Rates.Handling), pct(u.Rates.OnTime), pct(u.Rates.Closure), num(u.Score, 1), bar(score, 100)})
	}
	w.table([]string{"名次", "编码", "责任单位", "接收", "应处置", "处置", "超期", "结案", "处置率", "按期处置率", "结案率", "综合得分", "得分图"}, rows)
	w.para(fmt.Sprintf("接收案卷少于 %d 件的单位标注“样本不足”，不参与排名；未接收案卷的单位不列出。", minReceived), 18, false, false)

	w.heading("三、超期未处置案卷（最严重的 10 件）")
	if len(overdue) == 0 {
		w.para("无超期案卷。", 0, false, false)
	} else {
		rows = rows[:0]
		for _, o := range overdue {
			rows = append(rows, []string{strconv.FormatInt(o.ID, 10), o.CategoryName, o.Address, o.UnitName, o.DeadlineText, o.Hours})
		}
		w.table([]string{"案卷号", "问题类别", "地址", "责任单位", "处置时限", "已超期(小时)"}, rows)
	}

	w.heading("四、道路责任覆盖（按单位）")
	if len(b.Coverage) == 0 {
		w.para("尚未录入道路责任数据。", 0, false, false)
	} else {
		rows = rows[:0]
		for _, c := range b.Coverage {
			rows = append(rows, []string{c.Name, fmt.Sprintf("%.2f", c.LeadKm), fmt.Sprintf("%.2f", c.OverlapKm), pct(c.Share)})
		}
		w.table([]string{"责任单位", "牵头里程(公里)", "其中重叠(公里)", "占路网比例"}, rows)
	}

	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + w.b.String() +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="0" w:footer="0" w:gutter="0"/></w:sectPr></w:body></w:document>`
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", docxContentTypes}, {"_rels/.rels", docxRels}, {"word/document.xml", doc},
	} {
		f, err := zw.Create(part.name)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write([]byte(part.body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
