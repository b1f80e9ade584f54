package handlers

import (
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
	"everymeter/printpdf"
)

//go:embed briefing/briefing.html briefing/briefing.css
var briefingFS embed.FS

// briefingCSSPath is where the briefing's stylesheet is served: the CSP allows styles from this origin only,
// so the page links it instead of carrying a <style> block.
const briefingCSSPath = "/api/v1/briefing/style.css"

// briefingLoc is the time zone dates on the briefing are printed in (China Standard Time, the users').
var briefingLoc = time.FixedZone("CST", 8*3600)

var briefingTmpl = template.Must(template.New("briefing.html").Funcs(template.FuncMap{
	"pct":    pct,
	"num":    num,
	"deref":  func(p *int) int { return *p },
	"derefF": func(p *float64) float64 { return *p },
	"f0":     func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) },
	// opacity grows with the log of the count so one busy cell does not wash out the rest.
	"opacity": func(n int64) string { return fmt.Sprintf("%.2f", math.Min(0.9, 0.15+0.15*math.Log2(float64(n)+1))) },
}).ParseFS(briefingFS, "briefing/briefing.html"))

// briefingOverdue is one overdue row as printed.
type briefingOverdue struct {
	ID                              int64
	CategoryName, Address, UnitName string
	DeadlineText                    string
	Hours                           string
}

// briefing answers GET /api/v1/briefing?from&to[&format=csv|xlsx|pdf|docx]: the printable 通报 for a period (HTML,
// Chinese; printed as PDF; as a Word document) or its ranking as CSV or a spreadsheet. The map is an inline SVG drawn here from PostGIS's ST_AsSVG, so the page needs no script.
func (h *Handler) briefing(c echo.Context) error {
	now := time.Now()
	q, err := statsQuery(c, now)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "html" && format != "json" && format != "csv" && format != "xlsx" && format != "pdf" && format != "docx" {
		return badRequestf("format", "format %q is not html, json, csv, xlsx, pdf or docx", truncateParam(format))
	}
	b, err := h.Svc.Briefing(c.Request().Context(), principal(c), q)
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		return briefingCSV(c, b)
	case "xlsx":
		sheets := append([]xlsxSheet{rankingSheet(b.Units)}, frontageSheets(b.Units, b.Frontage)...)
		return sendXLSX(c, xlsxName("briefing", now), append(sheets, patrolSheets(b.Patrol)...)...)
	case "json":
		return c.JSON(http.StatusOK, b)
	}
	day := func(t time.Time) string { return t.In(briefingLoc).Format("2006-01-02") }
	data := struct {
		B                       domain.Briefing
		FromDay, ToDay, NowText string
		CSS, ViewBox, CellKm    string
		InlineCSS               template.CSS
		Bars, Trend             template.HTML
		MinReceived             int
		Overdue                 []briefingOverdue
	}{B: b, FromDay: day(b.From), ToDay: day(b.To.Add(-time.Nanosecond)), NowText: now.In(briefingLoc).Format("2006-01-02 15:04"),
		CSS: briefingCSSPath, MinReceived: q.MinReceived, Bars: scoreBars(b.Units), Trend: trendLine(b.Trend, b.TrendInterval)}
	m := b.Map
	data.ViewBox = fmt.Sprintf("%.0f %.0f %.0f %.0f", m.MinX, m.MinY, m.Width, m.Height)
	if len(m.Cells) > 0 {
		data.CellKm = fmt.Sprintf("%.0f", m.Cells[0].Size/1000)
	}
	for _, o := range b.Overdue {
		data.Overdue = append(data.Overdue, briefingOverdue{ID: o.ID, CategoryName: o.CategoryName, Address: o.Address,
			UnitName: o.UnitName, DeadlineText: o.Deadline.In(briefingLoc).Format("2006-01-02 15:04"),
			Hours: fmt.Sprintf("%.0f", overdueHours(o, now))})
	}
	if format == "docx" {
		doc, err := briefingDOCX(b, data.FromDay, data.ToDay, data.NowText, q.MinReceived, data.Overdue)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="briefing-`+data.FromDay+`.docx"`)
		return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", doc)
	}
	if format == "pdf" {
		// Chromium prints a self-contained page: the stylesheet goes inline instead of being linked.
		css, err := briefingFS.ReadFile("briefing/briefing.css")
		if err != nil {
			return err
		}
		data.InlineCSS = template.CSS(css) //nolint:gosec // our own embedded stylesheet
		var page bytes.Buffer
		if err := briefingTmpl.Execute(&page, data); err != nil {
			return err
		}
		pdf, err := printpdf.FromHTML(c.Request().Context(), page.String(), printpdf.Options{Paper: printpdf.A4})
		if errors.Is(err, printpdf.ErrNoBrowser) {
			return problemf(http.StatusServiceUnavailable, "Service unavailable", "printing needs Chromium on the server: %v", err)
		}
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="briefing-`+data.FromDay+`.pdf"`)
		return c.Blob(http.StatusOK, "application/pdf", pdf)
	}
	c.Response().Header().Set(echo.HeaderContentType, "text/html; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	return briefingTmpl.Execute(c.Response(), data)
}

// briefingCSV writes the league table of a briefing.
func briefingCSV(c echo.Context, b domain.Briefing) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set("Content-Disposition", `attachment; filename="briefing.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"rank", "unit_id", "code", "name", "received", "due", "handled", "on_time", "overdue_now", "rework",
		"closed", "handling_rate", "on_time_rate", "rework_rate", "closure_rate", "extension_rate", "overdue_pending_rate",
		"avg_hours_to_close", "km", "per_km", "score", "too_few"})
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 4, 64)
	}
	for _, u := range b.Units {
		rank := ""
		if u.Rank != nil {
			rank = strconv.Itoa(*u.Rank)
		}
		_ = w.Write([]string{rank, strconv.FormatInt(u.UnitID, 10), csvSafe(u.Code), csvSafe(u.Name),
			strconv.FormatInt(u.Received, 10), strconv.FormatInt(u.Due, 10), strconv.FormatInt(u.Handled, 10),
			strconv.FormatInt(u.OnTime, 10), strconv.FormatInt(u.OverdueNow, 10), strconv.FormatInt(u.Rework, 10),
			strconv.FormatInt(u.Closed, 10), f(u.Rates.Handling), f(u.Rates.OnTime), f(u.Rates.Rework), f(u.Rates.Closure),
			f(u.Rates.Extension), f(u.Rates.OverduePending), f(u.AvgHoursToClose), strconv.FormatFloat(u.Km, 'f', 3, 64),
			f(u.PerKm), f(u.Score), strconv.FormatBool(u.TooFew)})
	}
	w.Flush()
	return w.Error()
}

// briefingCSS serves the briefing's stylesheet.
func (h *Handler) briefingCSS(c echo.Context) error {
	b, err := briefingFS.ReadFile("briefing/briefing.css")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "text/css; charset=utf-8", b)
}
