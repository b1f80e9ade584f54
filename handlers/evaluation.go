package handlers

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"everymeter/domain"
	"everymeter/vocab"
)

// EvalRoutes registers the evaluation's routes (issue 15): checklists, sites, rounds and their results and
// scores, the feedback list, the ledgers (JSON or .xlsx) and the readiness view.
func EvalRoutes(es EvalService) func(r *Router) {
	return func(r *Router) {
		h := &evalHandlers{es: es}
		admins := Roles("eval-admins", vocab.EvalAdminRoles...)
		r.Add(http.MethodGet, "/api/v1/eval/items", h.items, Signedin)
		r.Add(http.MethodPost, "/api/v1/eval/items", h.createItem, admins)
		r.Add(http.MethodPost, "/api/v1/eval/items/:id/revisions", h.reviseItem, admins)
		r.Add(http.MethodGet, "/api/v1/eval/sites", h.sites, Signedin)
		r.Add(http.MethodPost, "/api/v1/eval/sites", h.createSite, admins)
		r.Add(http.MethodGet, "/api/v1/eval/rounds", h.rounds, Signedin)
		r.Add(http.MethodPost, "/api/v1/eval/rounds", h.createRound, admins)
		r.Add(http.MethodGet, "/api/v1/eval/rounds/:id", h.round, Signedin)
		r.Add(http.MethodGet, "/api/v1/eval/rounds/:id/results", h.results, Signedin)
		r.Add(http.MethodPost, "/api/v1/eval/rounds/:id/results", h.record, Roles("evaluators", vocab.EvaluatorRoles...))
		r.Add(http.MethodGet, "/api/v1/eval/rounds/:id/scores", h.scores, Signedin)
		r.Add(http.MethodGet, "/api/v1/eval/rounds/:id/ledger", h.roundLedger, Signedin)
		r.Add(http.MethodGet, "/api/v1/eval/feedback/ledger", h.feedbackLedger, Signedin)
		r.Add(http.MethodGet, "/api/v1/eval/feedback/rows", h.feedbackRows, Signedin)
		r.Add(http.MethodPost, "/api/v1/eval/feedback", h.importFeedback, admins)
		r.Add(http.MethodGet, "/api/v1/eval/readiness", h.readiness, Signedin)
		r.Add(http.MethodGet, "/api/v1/eval/evaluators", h.evaluators, admins)
	}
}

type evalHandlers struct{ es EvalService }

func (h *evalHandlers) items(c echo.Context) error {
	out, err := h.es.EvalItems(c.Request().Context(), principal(c), c.QueryParam("site_type"), c.QueryParam("all") == "true")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// itemIn is a checklist item as a client sends it.
type itemIn struct {
	SiteType     string   `json:"site_type"`
	Code         string   `json:"code"`
	NameZh       string   `json:"name_zh"`
	Weight       float64  `json:"weight"`
	CheckKind    string   `json:"check_kind"`
	Threshold    *float64 `json:"threshold"`
	Comparator   string   `json:"comparator"`
	UnitLabel    string   `json:"unit_label"`
	CategoryCode string   `json:"category_code"`
	Sort         int      `json:"sort"`
}

func (in itemIn) item() domain.EvalItem {
	return domain.EvalItem{SiteType: in.SiteType, Code: in.Code, NameZh: in.NameZh, Weight: in.Weight, CheckKind: in.CheckKind,
		Threshold: in.Threshold, Comparator: in.Comparator, UnitLabel: in.UnitLabel, CategoryCode: in.CategoryCode, Sort: in.Sort}
}

func (h *evalHandlers) createItem(c echo.Context) error {
	var in itemIn
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	it, err := h.es.CreateEvalItem(c.Request().Context(), principal(c), in.item())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, it)
}

func (h *evalHandlers) reviseItem(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in itemIn
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	it, err := h.es.ReviseEvalItem(c.Request().Context(), principal(c), id, in.item())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, it)
}

// siteView is a site as the API shows it, with its point as GeoJSON.
type siteView struct {
	domain.EvalSite
	Geometry map[string]any `json:"geometry"`
}

func viewSites(ss []domain.EvalSite) []siteView {
	out := make([]siteView, len(ss))
	for i, s := range ss {
		out[i] = siteView{s, map[string]any{"type": "Point", "coordinates": []float64{s.Point[0], s.Point[1]}}}
	}
	return out
}

func (h *evalHandlers) sites(c echo.Context) error {
	out, err := h.es.EvalSites(c.Request().Context(), principal(c), c.QueryParam("site_type"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sites": viewSites(out)})
}

func (h *evalHandlers) createSite(c echo.Context) error {
	var in struct {
		SiteType string          `json:"site_type"`
		Name     string          `json:"name"`
		UnitID   *int64          `json:"unit_id"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := decodePoint(in.Geometry, "geometry")
	if err != nil {
		return err
	}
	s, err := h.es.CreateEvalSite(c.Request().Context(), principal(c), domain.EvalSite{SiteType: in.SiteType, Name: in.Name, UnitID: in.UnitID, Point: p})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, viewSites([]domain.EvalSite{s})[0])
}

func (h *evalHandlers) rounds(c echo.Context) error {
	out, err := h.es.Rounds(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rounds": out})
}

// roundView is a round with its sites' points as GeoJSON.
type roundView struct {
	domain.EvalRound
	Sites []siteView `json:"sites"`
}

func (h *evalHandlers) round(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	r, err := h.es.Round(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, roundView{r, viewSites(r.Sites)})
}

func (h *evalHandlers) createRound(c echo.Context) error {
	var in struct {
		Name       string         `json:"name"`
		StartsOn   string         `json:"starts_on"`
		EndsOn     string         `json:"ends_on"`
		RectifyBy  string         `json:"rectify_by"`
		AssetIDs   []int64        `json:"asset_ids"`
		SiteIDs    []int64        `json:"site_ids"`
		Sample     map[string]int `json:"sample"`
		Seed       *float64       `json:"seed"`
		Evaluators []int64        `json:"evaluators"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	var due time.Time
	if in.RectifyBy != "" {
		t, err := parseDeadline(in.RectifyBy)
		if err != nil {
			return badRequest("rectify_by", "an RFC 3339 time or a date YYYY-MM-DD (the end of that day, China time)")
		}
		due = t
	}
	r, err := h.es.CreateRound(c.Request().Context(), principal(c), domain.NewRound{Name: in.Name, StartsOn: in.StartsOn, EndsOn: in.EndsOn,
		RectifyBy: due, AssetIDs: in.AssetIDs, SiteIDs: in.SiteIDs, Sample: in.Sample, Seed: in.Seed, Evaluators: in.Evaluators})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/eval/rounds/"+strconv.FormatInt(r.ID, 10))
	return c.JSON(http.StatusCreated, roundView{r, viewSites(r.Sites)})
}

// parseDeadline reads an RFC 3339 time, or a date meaning the end of that day in China Standard Time.
func parseDeadline(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, briefingLoc)
	if err != nil {
		return time.Time{}, err
	}
	return d.Add(24*time.Hour - time.Second), nil
}

// resultView is a result with its position as GeoJSON.
type resultView struct {
	domain.EvalResult
	Geometry any `json:"geometry"`
}

func viewResults(rs []domain.EvalResult) []resultView {
	out := make([]resultView, len(rs))
	for i, r := range rs {
		out[i].EvalResult = r
		if r.Point != nil {
			out[i].Geometry = map[string]any{"type": "Point", "coordinates": []float64{r.Point[0], r.Point[1]}}
		}
	}
	return out
}

func (h *evalHandlers) results(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	rs, err := h.es.Results(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"results": viewResults(rs)})
}

// record answers POST /api/v1/eval/rounds/{id}/results: {"results": [{site_id, item_id, outcome, value?, note?,
// geometry?, photo? (base64 JPEG/PNG/WebP)}]} — the phone's outbox sends its verdicts in one request.
func (h *evalHandlers) record(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Results []struct {
			SiteID   int64           `json:"site_id"`
			ItemID   int64           `json:"item_id"`
			Outcome  string          `json:"outcome"`
			Value    *float64        `json:"value"`
			Note     string          `json:"note"`
			Geometry json.RawMessage `json:"geometry"`
			Photo    string          `json:"photo"`
		} `json:"results"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	out := make([]domain.NewResult, len(in.Results))
	for i, r := range in.Results {
		out[i] = domain.NewResult{SiteID: r.SiteID, ItemID: r.ItemID, Outcome: r.Outcome, Value: r.Value, Note: r.Note}
		if len(r.Geometry) > 0 && string(r.Geometry) != "null" {
			p, err := decodePoint(r.Geometry, fmt.Sprintf("results[%d].geometry", i))
			if err != nil {
				return err
			}
			out[i].Point = &p
		}
		if r.Photo != "" {
			b, err := base64.StdEncoding.DecodeString(r.Photo)
			if err != nil {
				return badRequest(fmt.Sprintf("results[%d].photo", i), "a photo is sent as base64")
			}
			out[i].Photo = b
		}
	}
	saved, err := h.es.Record(c.Request().Context(), principal(c), id, out)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"results": viewResults(saved)})
}

func (h *evalHandlers) scores(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	s, err := h.es.Scores(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s)
}

func (h *evalHandlers) roundLedger(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	format, err := ledgerFormat(c)
	if err != nil {
		return err
	}
	l, err := h.es.RoundLedger(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return renderLedger(c, l, format, fmt.Sprintf("ledger-round-%d.xlsx", id))
}

func (h *evalHandlers) feedbackLedger(c echo.Context) error {
	format, err := ledgerFormat(c)
	if err != nil {
		return err
	}
	l, err := h.es.FeedbackLedger(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return renderLedger(c, l, format, "ledger-feedback.xlsx")
}

func ledgerFormat(c echo.Context) (string, error) {
	f := c.QueryParam("format")
	if f != "" && f != "json" && f != "xlsx" {
		return "", badRequest("format", fmt.Sprintf("format %q is not json or xlsx", truncateParam(f)))
	}
	return f, nil
}

func renderLedger(c echo.Context, l domain.Ledger, format, file string) error {
	if format != "xlsx" {
		return c.JSON(http.StatusOK, l)
	}
	b, err := LedgerXLSX(l)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// LedgerHeader is the ledger sheet's header row (row 2; row 1 is the title).
var LedgerHeader = []string{"序号", "点位", "点位类型", "问题/测评项目", "备注", "案卷号", "责任单位", "状态", "整改期限", "整改完成时间",
	"是否按期", "是否超期", "返工次数", "反弹", "整改前照片", "整改后照片"}

// LedgerXLSX writes a ledger as an .xlsx workbook: a title row, the header, one row per line, and a totals row.
func LedgerXLSX(l domain.Ledger) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sh := "整改台账"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return nil, err
	}
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(briefingLoc).Format("2006-01-02 15:04")
	}
	photo := func(id *int64) string {
		if id == nil {
			return ""
		}
		return "/api/v1/photos/" + strconv.FormatInt(*id, 10)
	}
	rows := [][]any{{"整改台账：" + l.Title}, anyRow(LedgerHeader)}
	for i, r := range l.Rows {
		status := vocab.Status(r.Status).Label().Zh
		rows = append(rows, []any{i + 1, r.Site, vocab.SiteType(r.SiteType).Label().Zh, r.Item, r.Note, r.ReportID, r.UnitName, status,
			when(r.Deadline), when(r.ResolvedAt), yes(r.OnTime), yes(r.Overdue), r.Rework, yes(r.Rebound), photo(r.BeforePhotoID), photo(r.AfterPhotoID)})
	}
	rows = append(rows, []any{"合计", fmt.Sprintf("共 %d 项", l.Total), fmt.Sprintf("已整改 %d", l.Rectified), fmt.Sprintf("未整改 %d", l.Open),
		fmt.Sprintf("按期 %d", l.OnTime), fmt.Sprintf("超期 %d", l.Overdue), fmt.Sprintf("反弹 %d", l.Rebounds)})
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sh, cell, &row); err != nil {
			return nil, err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(LedgerHeader), 1)
	if err := f.MergeCell(sh, "A1", last); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func anyRow(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (h *evalHandlers) feedbackRows(c echo.Context) error {
	var located *bool
	switch c.QueryParam("located") {
	case "":
	case "true", "false":
		b := c.QueryParam("located") == "true"
		located = &b
	default:
		return badRequest("located", "located is true or false")
	}
	rows, err := h.es.FeedbackRows(c.Request().Context(), principal(c), located)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"rows": rows})
}

// maxFeedbackBytes bounds an uploaded feedback list.
const maxFeedbackBytes = 8 << 20

// importFeedback answers POST /api/v1/eval/feedback: the list as multipart/form-data in the field "file"
// (.xlsx or .csv), with an optional rectify_by.
func (h *evalHandlers) importFeedback(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return problemf(http.StatusRequestEntityTooLarge, "File too large", "a feedback list may be at most %d MB", maxFeedbackBytes>>20)
		}
		return badRequest("file", "send the list (.xlsx or .csv) as multipart/form-data in the field \"file\"")
	}
	if fh.Size > maxFeedbackBytes {
		return problemf(http.StatusRequestEntityTooLarge, "File too large", "a feedback list may be at most %d MB", maxFeedbackBytes>>20)
	}
	var due *time.Time
	if s := c.FormValue("rectify_by"); s != "" {
		t, err := parseDeadline(s)
		if err != nil {
			return badRequest("rectify_by", "an RFC 3339 time or a date YYYY-MM-DD")
		}
		due = &t
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFeedbackBytes+1))
	if err != nil {
		return err
	}
	res, err := h.es.ImportFeedback(c.Request().Context(), principal(c), fh.Filename, data, due)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (h *evalHandlers) readiness(c echo.Context) error {
	r, err := h.es.Readiness(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *evalHandlers) evaluators(c echo.Context) error {
	us, err := h.es.Evaluators(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": us})
}
