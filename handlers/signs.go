package handlers

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	qrcode "github.com/yeqown/go-qrcode/v2"

	"everymeter/domain"
	"everymeter/printpdf"
)

// SignRoutes registers the boards: SVG and PDF (A4, A3) per stretch, a zip for a unit or all, and the public
// stretch page /s/{code} its QR code opens.
func SignRoutes(ss SignService, cs CitizenService) func(r *Router) {
	return func(r *Router) {
		h := &signHandlers{ss: ss, cs: cs}
		r.Add(http.MethodGet, "/api/v1/signs", h.list, Signedin)
		r.Add(http.MethodGet, "/api/v1/signs.zip", h.batch, Signedin)
		r.Add(http.MethodGet, "/api/v1/signs/:file", h.board, Signedin)
		r.Add(http.MethodGet, "/s/:code", h.stretchPage, Public)
	}
}

type signHandlers struct {
	ss SignService
	cs CitizenService
}

func (h *signHandlers) list(c echo.Context) error {
	unit, err := optionalID(c, "unit_id")
	if err != nil {
		return err
	}
	gs, err := h.ss.Signs(c.Request().Context(), principal(c), unit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": gs, "supervision_phone": h.ss.SupervisionPhone()})
}

func optionalID(c echo.Context, name string) (*int64, error) {
	s := c.QueryParam(name)
	if s == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return nil, badRequest(name, name+" must be a positive integer")
	}
	return &id, nil
}

// paper reads ?paper=a4|a3 (A4 by default).
func paper(c echo.Context) (printpdf.Paper, string, error) {
	switch strings.ToLower(c.QueryParam("paper")) {
	case "", "a4":
		return printpdf.A4, "A4", nil
	case "a3":
		return printpdf.A3, "A3", nil
	}
	return printpdf.Paper{}, "", badRequest("paper", "paper must be a4 or a3")
}

// base is the scheme and host the QR codes point to (the host the request came to, as a proxy passes it on).
func base(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

func (h *signHandlers) board(c echo.Context) error {
	file := c.Param("file")
	code, ext, ok := strings.Cut(file, ".")
	if !ok || (ext != "svg" && ext != "pdf") {
		return problem(http.StatusNotFound, "Not found", "ask for {code}.svg or {code}.pdf")
	}
	g, err := h.ss.Sign(c.Request().Context(), principal(c), code)
	if err != nil {
		return err
	}
	svg, err := boardSVG(g, base(c), h.ss.SupervisionPhone())
	if err != nil {
		return err
	}
	if ext == "svg" {
		return c.Blob(http.StatusOK, "image/svg+xml; charset=utf-8", svg)
	}
	pp, name, err := paper(c)
	if err != nil {
		return err
	}
	pdf, err := printpdf.FromHTML(c.Request().Context(), boardsHTML(name, svg), printpdf.Options{Paper: pp})
	if err != nil {
		return signPDFErr(err)
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="sign-%s-%s.pdf"`, g.Code, name))
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}

func signPDFErr(err error) error {
	if err == printpdf.ErrNoBrowser {
		return problem(http.StatusServiceUnavailable, "PDF printing unavailable", "Chromium is not installed on the server; the SVG boards still work")
	}
	return err
}

// batch answers a zip of every board of a unit (or all): one SVG per stretch and one PDF with a page each.
func (h *signHandlers) batch(c echo.Context) error {
	unit, err := optionalID(c, "unit_id")
	if err != nil {
		return err
	}
	pp, name, err := paper(c)
	if err != nil {
		return err
	}
	gs, err := h.ss.Signs(c.Request().Context(), principal(c), unit)
	if err != nil {
		return err
	}
	if len(gs) == 0 {
		return problem(http.StatusNotFound, "Not found", "no responsibility stretch is in force for this unit")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	svgs := make([][]byte, 0, len(gs))
	for _, g := range gs {
		svg, err := boardSVG(g, base(c), h.ss.SupervisionPhone())
		if err != nil {
			return err
		}
		svgs = append(svgs, svg)
		w, err := zw.Create("sign-" + g.Code + ".svg")
		if err != nil {
			return err
		}
		if _, err := w.Write(svg); err != nil {
			return err
		}
	}
	pdf, err := printpdf.FromHTML(c.Request().Context(), boardsHTML(name, svgs...), printpdf.Options{Paper: pp})
	if err != nil {
		return signPDFErr(err)
	}
	w, err := zw.Create("signs-" + name + ".pdf")
	if err != nil {
		return err
	}
	if _, err := w.Write(pdf); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="signs.zip"`)
	return c.Blob(http.StatusOK, "application/zip", buf.Bytes())
}

// boardsHTML is a print document with one board per page, each filling its page.
func boardsHTML(paper string, svgs ...[]byte) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><style>@page{size:` + paper + `;margin:10mm}` +
		`body{margin:0}.page{page-break-after:always;height:100vh;display:flex;align-items:center;justify-content:center}` +
		`.page:last-child{page-break-after:auto}.page svg{width:100%;height:100%}</style></head><body>`)
	for _, s := range svgs {
		b.WriteString(`<div class="page">`)
		b.Write(s)
		b.WriteString(`</div>`)
	}
	b.WriteString(`</body></html>`)
	return b.String()
}

// qrSVG draws a QR code for text as SVG path data in module units (size × size, quiet zone not included).
func qrSVG(text string) (path string, size int, err error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionQuart))
	if err != nil {
		return "", 0, err
	}
	m := &matrixWriter{}
	if err := q.Save(m); err != nil {
		return "", 0, err
	}
	var b strings.Builder
	for y, row := range m.bits {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	return b.String(), len(m.bits), nil
}

// matrixWriter keeps the QR code's modules (go-qrcode's writers make images; the board is vector).
type matrixWriter struct{ bits [][]bool }

func (m *matrixWriter) Write(mat qrcode.Matrix) error { m.bits = mat.Bitmap(); return nil }
func (m *matrixWriter) Close() error                  { return nil }

var boardTemplate = template.Must(template.New("board").Parse(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 848" width="600" height="848" font-family="Noto Sans CJK SC, Noto Sans SC, WenQuanYi Zen Hei, sans-serif">
<rect x="0" y="0" width="600" height="848" fill="#fff"/>
<rect x="12" y="12" width="576" height="824" fill="none" stroke="#b71c1c" stroke-width="6"/>
<rect x="12" y="12" width="576" height="96" fill="#b71c1c"/>
<text x="300" y="76" font-size="44" fill="#fff" text-anchor="middle" font-weight="bold">路段长公示牌</text>
<text x="40" y="160" font-size="34" font-weight="bold">{{.Sign.RoadName}}</text>
<text x="40" y="204" font-size="22">起点：{{.Start}}</text>
<text x="40" y="238" font-size="22">终点：{{.End}}</text>
<text x="40" y="272" font-size="22">长度：{{.Length}}</text>
<text x="40" y="322" font-size="22">责任单位：{{.Sign.UnitName}}</text>
<text x="40" y="356" font-size="22">路段长：{{.Sign.Person}}</text>
<text x="40" y="390" font-size="22">联系电话：{{.Sign.Phone}}</text>
<text x="40" y="424" font-size="22">监督电话：{{.Supervision}}</text>
{{range $i, $d := .Duties}}<text x="40" y="{{$d.Y}}" font-size="{{if $i}}16{{else}}18{{end}}">{{$d.Text}}</text>
{{end}}<g transform="translate({{.QRX}} {{.QRY}}) scale({{.Scale}})"><rect x="-4" y="-4" width="{{.QRBox}}" height="{{.QRBox}}" fill="#fff"/><path d="{{.QRPath}}" fill="#000"/></g>
<text x="300" y="812" font-size="18" text-anchor="middle">扫码查看本路段并报告问题 · {{.Sign.Code}}</text>
</svg>`))

// boardSVG draws a stretch's sign board with its QR code for base/s/{code}.
func boardSVG(g domain.Sign, base, supervision string) ([]byte, error) {
	target := base + "/s/" + url.PathEscape(g.Code)
	path, size, err := qrSVG(target)
	if err != nil {
		return nil, err
	}
	end := func(name string, m float64) string {
		if name != "" {
			return fmt.Sprintf("%s（%.0f 米处）", name, m)
		}
		return fmt.Sprintf("%.0f 米处", m)
	}
	const qrSide = 260.0
	scale := qrSide / float64(size+8)
	type duty struct {
		Y    int
		Text string
	}
	var duties []duty
	// Three lines fit between the supervision phone and the QR code (which starts at y 540): more shops than that
	// show two and a count, the stretch's page (behind the code) lists them all.
	if len(g.Duties) > 0 {
		duties = append(duties, duty{456, "门前三包责任商户："})
		for i, d := range g.Duties {
			if i == 2 && len(g.Duties) > 3 {
				duties = append(duties, duty{456 + 24*(i+1), fmt.Sprintf("…等 %d 户，扫码查看全部", len(g.Duties))})
				break
			}
			duties = append(duties, duty{456 + 24*(i+1), d})
		}
	}
	if supervision == "" {
		supervision = "—"
	}
	var b bytes.Buffer
	err = boardTemplate.Execute(&b, map[string]any{"Sign": g, "Start": end(g.StartName, g.FromM), "End": end(g.EndName, g.ToM),
		"Length": fmt.Sprintf("%.0f 米", g.LengthM), "Supervision": supervision, "Duties": duties,
		"QRX": 300 - qrSide/2 + 4*scale, "QRY": 540.0 + 4*scale, "Scale": scale, "QRBox": size + 8, "QRPath": path})
	return b.Bytes(), err
}

// stretchPage is the public page a board's QR code opens: the stretch, its owner, and the report form
// pre-filled with the stretch's place.
func (h *signHandlers) stretchPage(c echo.Context) error {
	ctx := c.Request().Context()
	g, err := h.ss.Sign(ctx, principal(c), c.Param("code"))
	if err != nil {
		return err
	}
	cats, err := h.cs.PublicCategories(ctx)
	if err != nil {
		return err
	}
	return renderPage(c, "report.html", map[string]any{"Categories": cats, "Sign": g, "Supervision": h.ss.SupervisionPhone(),
		"Lon": strconv.FormatFloat(g.Lon, 'f', 6, 64), "Lat": strconv.FormatFloat(g.Lat, 'f', 6, 64),
		"Address": fmt.Sprintf("%s %.0f–%.0f 米", g.RoadName, g.FromM, g.ToM)})
}
