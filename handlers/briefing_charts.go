package handlers

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"sort"
	"strings"
	"time"

	"everymeter/domain"
)

// The briefing's charts, drawn here as inline SVG so that the page (and the PDF printed from it) needs no script
// and no library: unit scores as bars, the trend as a line. The coverage map is drawn by the template from the
// paths PostGIS wrote (ST_AsSVG).

// chartW is the drawing width of every chart, in SVG units (it scales to the page).
const chartW = 720.0

// scoreBars draws the ranked units' scores (0–100) as horizontal bars, best first; units with too few reports are
// left out, as they are from the ranking.
func scoreBars(units []domain.UnitStat) template.HTML {
	var ranked []domain.UnitStat
	for _, u := range units {
		if u.Rank != nil && u.Score != nil {
			ranked = append(ranked, u)
		}
	}
	if len(ranked) == 0 {
		return ""
	}
	sort.SliceStable(ranked, func(i, j int) bool { return *ranked[i].Rank < *ranked[j].Rank })
	const row, label, right = 22.0, 170.0, 50.0
	h := row*float64(len(ranked)) + 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="各单位综合得分">`, chartW, h)
	plot := chartW - label - right
	for _, x := range []float64{0, 25, 50, 75, 100} {
		px := label + plot*x/100
		fmt.Fprintf(&b, `<line x1="%.1f" y1="0" x2="%.1f" y2="%.0f" stroke="#ddd" stroke-width="1"/>`, px, px, h-18)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle" fill="#666">%.0f</text>`, px, h-4, x)
	}
	for i, u := range ranked {
		y := float64(i) * row
		s := math.Max(0, math.Min(100, *u.Score))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="12" text-anchor="end" fill="#111">%d. %s</text>`, label-6, y+15, *u.Rank, html.EscapeString(u.Name))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="%s"/>`, label, y+3, plot*s/100, row-6, barColor(s))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" fill="#111">%.1f</text>`, label+plot*s/100+4, y+15, *u.Score)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text in it is escaped above
}

// barColor shades a score: green from 85, amber from 60, red below.
func barColor(score float64) string {
	switch {
	case score >= 85:
		return "#2e8b57"
	case score >= 60:
		return "#e0a030"
	}
	return "#c8372d"
}

// trendLine draws reports created and closed per bucket as two lines over the period.
func trendLine(pts []domain.TrendPoint, interval string) template.HTML {
	if len(pts) < 2 {
		return ""
	}
	const h, left, bottom, top = 220.0, 44.0, 26.0, 12.0
	peak := int64(1)
	for _, p := range pts {
		peak = max(peak, p.Created, p.Closed)
	}
	ymax := niceCeil(float64(peak))
	plotW, plotH := chartW-left-10, h-bottom-top
	x := func(i int) float64 { return left + plotW*float64(i)/float64(len(pts)-1) }
	y := func(v int64) float64 { return top + plotH*(1-float64(v)/ymax) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="案卷数量趋势">`, chartW, h)
	for _, f := range []float64{0, 0.5, 1} {
		v := int64(ymax * f)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd" stroke-width="1"/>`, left, y(v), chartW-10, y(v))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-size="11" text-anchor="end" fill="#666">%d</text>`, left-4, y(v)+4, v)
	}
	step := max(1, len(pts)/8)
	for i := 0; i < len(pts); i += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="11" text-anchor="middle" fill="#666">%s</text>`, x(i), h-8, bucketLabel(pts[i].T, interval))
	}
	for _, s := range []struct {
		color string
		v     func(domain.TrendPoint) int64
	}{{"#1f5fa8", func(p domain.TrendPoint) int64 { return p.Created }}, {"#2e8b57", func(p domain.TrendPoint) int64 { return p.Closed }}} {
		var pl []string
		for i, p := range pts {
			pl = append(pl, fmt.Sprintf("%.1f,%.1f", x(i), y(s.v(p))))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pl, " "), s.color)
	}
	fmt.Fprintf(&b, `<rect x="%.0f" y="2" width="12" height="3" fill="#1f5fa8"/><text x="%.0f" y="8" font-size="11" fill="#111">上报</text>`, left+10, left+26)
	fmt.Fprintf(&b, `<rect x="%.0f" y="2" width="12" height="3" fill="#2e8b57"/><text x="%.0f" y="8" font-size="11" fill="#111">结案</text>`, left+70, left+86)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and fixed labels only
}

// niceCeil rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// bucketLabel names a trend bucket for the axis (dates in China Standard Time).
func bucketLabel(t time.Time, interval string) string {
	if interval == "month" {
		return t.In(briefingLoc).Format("2006-01")
	}
	return t.In(briefingLoc).Format("01-02")
}
