package handlers

import (
	"embed"
	"errors"
	"html/template"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/vocab"
)

// CitizenRoutes registers public reporting (issue 14): the public form, submission, tracking page and rating
// for anyone, and the moderation queue and block list for admins (who dispatch).
func CitizenRoutes(cs CitizenService) func(r *Router) {
	return func(r *Router) {
		h := &citizenHandlers{cs: cs}
		r.Add(http.MethodGet, "/report", h.reportPage, Public)
		r.Add(http.MethodGet, "/r/:code", h.statusPage, Public)
		r.Add(http.MethodGet, "/api/v1/public/categories", h.categories, Public)
		r.Add(http.MethodGet, "/api/v1/public/nearby", h.nearby, Public)
		r.Add(http.MethodPost, "/api/v1/public/reports", h.submit, Public)
		r.Add(http.MethodGet, "/api/v1/public/reports/:code", h.status, Public)
		r.Add(http.MethodPost, "/api/v1/public/reports/:code/rating", h.rate, Public)
		r.Add(http.MethodGet, "/api/v1/public/reports/:code/photos/:id", h.photo(false), Public)
		r.Add(http.MethodGet, "/api/v1/public/reports/:code/photos/:id/thumb", h.photo(true), Public)

		r.Add(http.MethodGet, "/api/v1/moderation/queue", h.queue, Admins)
		r.Add(http.MethodGet, "/api/v1/moderation/reports/:id", h.queued, Admins)
		r.Add(http.MethodPost, "/api/v1/moderation/reports/:id/decision", h.moderate, Admins)
		r.Add(http.MethodPatch, "/api/v1/moderation/reports/:id", h.edit, Admins)
		r.Add(http.MethodPost, "/api/v1/moderation/photos/:id/hide", h.hidePhoto, Admins)
		r.Add(http.MethodGet, "/api/v1/moderation/photos/:id", h.queuedPhoto(false), Admins)
		r.Add(http.MethodGet, "/api/v1/moderation/photos/:id/thumb", h.queuedPhoto(true), Admins)
		r.Add(http.MethodGet, "/api/v1/moderation/blocks", h.blocks, Admins)
		r.Add(http.MethodPost, "/api/v1/moderation/blocks", h.block, Admins)
		r.Add(http.MethodDelete, "/api/v1/moderation/blocks/:id", h.unblock, Admins)
		r.Add(http.MethodGet, "/api/v1/moderation/apps", h.apps, Admins)
		r.Add(http.MethodPost, "/api/v1/moderation/apps", h.createApp, Admins)
		r.Add(http.MethodDelete, "/api/v1/moderation/apps/:id", h.revokeApp, Admins)
	}
}

type citizenHandlers struct{ cs CitizenService }

//go:embed citizen/report.html citizen/status.html
var citizenFS embed.FS

var citizenPages = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.In(chinaTime).Format("2006-01-02 15:04") },
	"step": func(s string) string { return stepNames[s] },
	"rate": func(s string) string { return vocab.Rating(s).Label().Zh },
}).ParseFS(citizenFS, "citizen/*.html"))

// chinaTime is the time zone the public pages show (the county's).
var chinaTime = time.FixedZone("CST", 8*3600)

var stepNames = map[string]string{
	"received": "已收到", "accepted": "已受理（案卷建立）", "merged": "已并入同一问题的案卷", "rejected": "未受理",
	"dispatched": "已派遣至", "taken": "责任单位已接单", "fixed": "已处置", "closed": "已核查结案",
	"rework": "核查未通过，返工", "recheck": "您不满意，已退回复核", "reopened": "问题复发，重新派遣", "returned": "重新分派中",
	"rated": "您的评价",
}

// Body limits of a public submission: the server's body limit for all of it (three phone photos fit), a few
// kilobytes per text field.
const (
	maxPublicBody  = MaxBody
	maxPublicField = 4000
)

func (h *citizenHandlers) reportPage(c echo.Context) error {
	cats, err := h.cs.PublicCategories(c.Request().Context())
	if err != nil {
		return err
	}
	return renderPage(c, "report.html", map[string]any{"Categories": cats, "Lon": c.QueryParam("lon"), "Lat": c.QueryParam("lat"), "Address": c.QueryParam("address")})
}

func (h *citizenHandlers) statusPage(c echo.Context) error {
	code := strings.ToUpper(c.Param("code"))
	st, err := h.cs.PublicStatus(c.Request().Context(), code)
	if err != nil {
		return err
	}
	return renderPage(c, "status.html", st)
}

func renderPage(c echo.Context, name string, data any) error {
	var b strings.Builder
	if err := citizenPages.ExecuteTemplate(&b, name, data); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(http.StatusOK, b.String())
}

func (h *citizenHandlers) categories(c echo.Context) error {
	cats, err := h.cs.PublicCategories(c.Request().Context())
	if err != nil {
		return err
	}
	type cat struct {
		Code   string `json:"code"`
		NameZh string `json:"name_zh"`
		NameEn string `json:"name_en"`
		Group  string `json:"group"`
	}
	out := make([]cat, len(cats))
	for i, x := range cats {
		out[i] = cat{x.Code, x.NameZh, x.NameEn, x.Group}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

func (h *citizenHandlers) nearby(c echo.Context) error {
	lon, err1 := strconv.ParseFloat(c.QueryParam("lon"), 64)
	lat, err2 := strconv.ParseFloat(c.QueryParam("lat"), 64)
	if err1 != nil || err2 != nil {
		return badRequest("lon", "lon and lat are required numbers")
	}
	items, err := h.cs.Nearby(c.Request().Context(), lon, lat, c.QueryParam("category"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// submit takes a public report as multipart/form-data (or a urlencoded form without photos): category,
// description, address, lon, lat, nickname, phone, device, up to three files in "photo", and the honeypot
// "website". A form posted by the public page (html=1) is answered with a redirect to the tracking page.
func (h *citizenHandlers) submit(c echo.Context) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxPublicBody)
	in := domain.NewPublicReport{Addr: clientAddr(c)}
	var form *multipart.Form
	if strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		if err := req.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return problem(http.StatusRequestEntityTooLarge, "Public report too large", "a report with its photos may be at most 16 MB")
			}
			return badRequest("photo", "the form cannot be read: "+err.Error())
		}
		form = req.MultipartForm
		defer form.RemoveAll()
	} else if err := req.ParseForm(); err != nil {
		return badRequest("category", "send the report as multipart/form-data")
	}
	field := func(name string) (string, error) {
		v := req.FormValue(name)
		if len(v) > maxPublicField {
			return "", badRequest(name, "this field is longer than 4000 bytes")
		}
		return v, nil
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"category", &in.Category}, {"description", &in.Description}, {"address", &in.Address}, {"nickname", &in.Nickname},
		{"phone", &in.Phone}, {"device", &in.Device}, {"website", &in.Honeypot}} {
		v, err := field(f.name)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	if ls, la := req.FormValue("lon"), req.FormValue("lat"); ls != "" || la != "" {
		lon, err1 := strconv.ParseFloat(ls, 64)
		lat, err2 := strconv.ParseFloat(la, 64)
		if err1 != nil || err2 != nil {
			return badRequest("geometry", "lon and lat must be numbers")
		}
		in.Point = &orb.Point{lon, lat}
	}
	if form != nil {
		files := form.File["photo"]
		if len(files) > 3 {
			return badRequest("photo", "at most 3 photos")
		}
		for _, fh := range files {
			if fh.Size > domain.MaxPhotoBytes {
				return publicErr(c, domain.ErrPhotoTooLarge)
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			data, err := io.ReadAll(io.LimitReader(f, domain.MaxPhotoBytes+1))
			f.Close()
			if err != nil {
				return err
			}
			in.Photos = append(in.Photos, data)
		}
	}
	filed, err := h.cs.Submit(req.Context(), in)
	if err != nil {
		return publicErr(c, err)
	}
	c.Response().Header().Set("Location", "/r/"+filed.Code)
	if req.FormValue("html") == "1" {
		return c.Redirect(http.StatusSeeOther, "/r/"+filed.Code)
	}
	return c.JSON(http.StatusCreated, map[string]any{"code": filed.Code, "status": filed.Status, "url": "/r/" + filed.Code})
}

// publicErr renders the refusals of public reporting: limits as 429 with Retry-After, blocks as 403.
func publicErr(c echo.Context, err error) error {
	var locked *domain.LockedError
	switch {
	case errors.As(err, &locked):
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(time.Until(locked.Until).Seconds())+1)))
		return problemf(http.StatusTooManyRequests, "Too many reports", "%s; try again later", locked.Reason)
	case errors.Is(err, domain.ErrBlocked):
		return problem(http.StatusForbidden, "Reporter blocked", "reports from this phone or device are not accepted")
	case errors.Is(err, domain.ErrPhotoTooLarge):
		return problem(http.StatusRequestEntityTooLarge, "Photo too large", "a photo may be at most 10 MB; send a smaller one")
	}
	return err
}

// publicStatusView is the tracking page's JSON.
type publicStatusView struct {
	domain.PublicStatus
	PhotoURLs []string `json:"photo_urls"`
}

func viewStatus(st domain.PublicStatus) publicStatusView {
	v := publicStatusView{PublicStatus: st, PhotoURLs: make([]string, len(st.PhotoIDs))}
	for i, id := range st.PhotoIDs {
		v.PhotoURLs[i] = "/api/v1/public/reports/" + st.Code + "/photos/" + strconv.FormatInt(id, 10)
	}
	return v
}

func (h *citizenHandlers) status(c echo.Context) error {
	st, err := h.cs.PublicStatus(c.Request().Context(), strings.ToUpper(c.Param("code")))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, viewStatus(st))
}

func (h *citizenHandlers) rate(c echo.Context) error {
	code := strings.ToUpper(c.Param("code"))
	var rating string
	html := false
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		var in struct {
			Rating string `json:"rating"`
		}
		if err := bindJSON(c, &in); err != nil {
			return err
		}
		rating = in.Rating
	} else {
		rating, html = c.FormValue("rating"), c.FormValue("html") == "1"
	}
	st, err := h.cs.Rate(c.Request().Context(), code, rating)
	if err != nil {
		return loopProblem(err)
	}
	if html {
		return c.Redirect(http.StatusSeeOther, "/r/"+code)
	}
	return c.JSON(http.StatusOK, viewStatus(st))
}

func (h *citizenHandlers) photo(thumb bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		p, path, err := h.cs.PublicPhoto(c.Request().Context(), strings.ToUpper(c.Param("code")), id, thumb)
		if err != nil {
			return err
		}
		return servePhoto(c, p, path, thumb)
	}
}

// queuedPhoto serves a public report's photo (or its thumbnail) to moderators, hidden ones included.
func (h *citizenHandlers) queuedPhoto(thumb bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		p, path, err := h.cs.QueuedPhoto(c.Request().Context(), principal(c), id, thumb)
		if err != nil {
			return err
		}
		return servePhoto(c, p, path, thumb)
	}
}

func (h *citizenHandlers) queue(c echo.Context) error {
	ps, err := h.cs.Queue(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	items := make([]queuedView, len(ps))
	for i, p := range ps {
		items[i] = viewQueued(p)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// queuedView is a public report as moderators see it, with its place as a GeoJSON point.
type queuedView struct {
	domain.PublicReport
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

func viewQueued(p domain.PublicReport) queuedView {
	if p.Photos == nil {
		p.Photos = []domain.PublicPhoto{}
	}
	return queuedView{PublicReport: p, Lon: p.Geom[0], Lat: p.Geom[1]}
}

func (h *citizenHandlers) queued(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	p, err := h.cs.Queued(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, viewQueued(p))
}

func (h *citizenHandlers) moderate(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Action   string `json:"action"`
		Reason   string `json:"reason"`
		ReportID *int64 `json:"report_id"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := h.cs.Moderate(c.Request().Context(), principal(c), id, domain.Moderation{Action: in.Action, Reason: in.Reason, ReportID: in.ReportID})
	if err != nil {
		return loopProblem(err)
	}
	return c.JSON(http.StatusOK, viewQueued(p))
}

func (h *citizenHandlers) edit(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Category    *string  `json:"category"`
		Description *string  `json:"description"`
		Address     *string  `json:"address"`
		Lon         *float64 `json:"lon"`
		Lat         *float64 `json:"lat"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	e := domain.PublicEdit{Category: in.Category, Description: in.Description, Address: in.Address}
	if (in.Lon == nil) != (in.Lat == nil) {
		return badRequest("lon", "send lon and lat together")
	} else if in.Lon != nil {
		e.Point = &orb.Point{*in.Lon, *in.Lat}
	}
	p, err := h.cs.Edit(c.Request().Context(), principal(c), id, e)
	if err != nil {
		return loopProblem(err)
	}
	return c.JSON(http.StatusOK, viewQueued(p))
}

func (h *citizenHandlers) hidePhoto(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	p, err := h.cs.HidePhoto(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h *citizenHandlers) blocks(c echo.Context) error {
	bs, err := h.cs.Blocks(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": bs})
}

func (h *citizenHandlers) block(c echo.Context) error {
	var in domain.PublicBlock
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	b, err := h.cs.Block(c.Request().Context(), principal(c), domain.PublicBlock{Kind: in.Kind, Value: in.Value, Reason: in.Reason})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, b)
}

func (h *citizenHandlers) unblock(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.cs.Unblock(c.Request().Context(), principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *citizenHandlers) apps(c echo.Context) error {
	as, err := h.cs.Apps(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": as})
}

// createApp registers a citizen app; its key is in this answer only.
func (h *citizenHandlers) createApp(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	key, app, err := h.cs.CreateApp(c.Request().Context(), principal(c), in.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"app": app, "key": key})
}

func (h *citizenHandlers) revokeApp(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.cs.RevokeApp(c.Request().Context(), principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
