package handlers

import (
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/i18n"
	"everymeter/open311"
	"everymeter/vocab"
)

// Open311 GeoReport v2 (DOMAIN.md §6) under /open311/v2/: existing report apps speak it. Every read is public,
// as the spec intends; filing needs a per-user API key (POST /api/v1/auth/apikeys) of a user who may file
// reports. Answers are JSON or XML by the path's suffix, errors the spec's [{"code","description"}] list.

// open311Base is where the endpoint lives.
const open311Base = "/open311/v2"

// Open311 limits.
const (
	open311DefaultDays = 90   // GET requests without dates covers this many days
	open311MaxRows     = 1000 // and answers at most this many requests
	open311MaxURL      = 2000
)

type open311API struct {
	h   *Handler
	o   Open311Service
	loc *time.Location
}

// Open311Routes registers the Open311 GeoReport v2 endpoint; reports are filed through rs, the same service as
// POST /api/v1/reports. Times are written with the offset of the server's local time zone.
func Open311Routes(o Open311Service) func(r *Router) {
	return func(r *Router) {
		a := &open311API{h: r.Handler(), o: o, loc: time.Local}
		for _, f := range []string{open311.JSON, open311.XML} {
			r.Add(http.MethodGet, open311Base+"/discovery."+f, a.wrap(f, a.discovery), Public)
			r.Add(http.MethodGet, open311Base+"/services."+f, a.wrap(f, a.services), Public)
			r.Add(http.MethodGet, open311Base+"/requests."+f, a.wrap(f, a.requests), Public)
			r.Add(http.MethodPost, open311Base+"/requests."+f, a.wrap(f, a.create), Public)
		}
		r.Add(http.MethodGet, open311Base+"/services/:file", a.wrap("", a.serviceDefinition), Public)
		r.Add(http.MethodGet, open311Base+"/requests/:file", a.wrap("", a.request), Public)
		r.Add(http.MethodGet, open311Base+"/tokens/:file", a.wrap("", a.token), Public)
	}
}

// open311Fn answers one Open311 request in the given format (json or xml).
type open311Fn func(c echo.Context, format, name string) error

// wrap resolves the format (fixed, or from the :file parameter's suffix) and renders any error in the spec's
// error format instead of problem+json.
func (a *open311API) wrap(format string, fn open311Fn) echo.HandlerFunc {
	return func(c echo.Context) error {
		name, f := "", format // per request: the closure's format is shared by all of them
		if f == "" {
			var ok bool
			if name, f, ok = open311.SplitFormat(c.Param("file")); !ok {
				return a.fail(c, open311.JSON, problemf(http.StatusNotFound, "Not found",
					"add .json or .xml to the last path segment (e.g. %s.json)", c.Request().URL.Path))
			}
		}
		if err := fn(c, f, name); err != nil {
			return a.fail(c, f, err)
		}
		return nil
	}
}

// render writes a document in the chosen format.
func (a *open311API) render(c echo.Context, status int, format string, v any) error {
	if format == open311.XML {
		return c.XML(status, v)
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
	c.Response().WriteHeader(status)
	return jsonEncode(c.Response(), v)
}

// open311Fields translate the report service's field names into the ones an Open311 client sent.
var open311Fields = map[string]string{"category": "service_code", "geometry": "lat/long"}

// fail renders err as the spec's error list: 400 for bad input, 403 for a missing or bad api_key, 404 for an
// unknown service, request or token. Internal errors are logged by toProblem and stay vague.
func (a *open311API) fail(c echo.Context, format string, err error) error {
	var p *Problem
	switch {
	case errors.Is(err, domain.ErrAuth):
		p = problem(http.StatusForbidden, "Forbidden", "invalid api_key received: it is unknown or revoked, or its user is disabled; can't proceed with create_request")
	case errors.Is(err, domain.ErrNotReporter):
		// The service's refusal names who may file: "…: only inspector and admin may".
		who := strings.TrimPrefix(err.Error(), domain.ErrNotReporter.Error()+": ")
		p = problemf(http.StatusForbidden, "Forbidden", "the user of this api_key may not file reports (%s)", who)
	default:
		p = a.h.toProblem(err, c)
	}
	lang := i18n.FromHeader(c.Request().Header.Get("Accept-Language"))
	var items []open311.Error
	for _, fe := range p.Errors {
		field := fe.Field
		if f, ok := open311Fields[field]; ok {
			field = f
		}
		d := fieldText(lang, fe)
		if field != "" && !strings.Contains(d, field) {
			d = field + ": " + d
		}
		items = append(items, open311.Error{Code: p.Status, Description: d})
	}
	if len(items) == 0 {
		d := i18n.F(lang, p.Detail, p.args...)
		if d == "" {
			d = i18n.T(lang, p.Title)
		}
		items = []open311.Error{{Code: p.Status, Description: d}}
	}
	return a.render(c, p.Status, format, open311.Document(format, items))
}

func (a *open311API) discovery(c echo.Context, format, _ string) error {
	cats, err := a.o.Services(c.Request().Context())
	if err != nil {
		return err
	}
	// The changeset is when the service list last changed, which is what a client caching it cares about.
	changed := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, k := range cats {
		if k.UpdatedAt.After(changed) {
			changed = k.UpdatedAt
		}
	}
	cs := open311.Time(changed, a.loc)
	d := open311.Discovery{Changeset: cs, Contact: "the administrators of this everymeter server",
		KeyService: "sign in as an inspector and POST /api/v1/auth/apikeys; the key is shown once",
		Endpoints: []open311.Endpoint{{Specification: open311.Spec, URL: baseURL(c) + open311Base, Changeset: cs,
			Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	return a.render(c, http.StatusOK, format, d)
}

func baseURL(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

// typeLabel is a category type's Chinese name, "" for an unknown type.
func typeLabel(t string) string {
	if !vocab.CategoryType(t).Valid() {
		return ""
	}
	return vocab.CategoryType(t).Label().Zh
}

// open311Service describes a category as an Open311 service.
func open311Service(k domain.Category) open311.Service {
	name := k.NameZh
	if k.NameEn != "" {
		name += " (" + k.NameEn + ")"
	}
	kind := "事件 event: routed to the owner of the spot first"
	if vocab.CategoryType(k.Type) == vocab.PartType {
		kind = "部件 part: routed to the asset's owner first"
	}
	desc := fmt.Sprintf("%s; %s; handled within %s h", k.Group, kind, strconv.FormatFloat(k.TimeLimitHours, 'f', -1, 64))
	if k.UrgentLimitHours != nil {
		desc += fmt.Sprintf(" (urgent: %s h)", strconv.FormatFloat(*k.UrgentLimitHours, 'f', -1, 64))
	}
	if k.DefaultUnitName != "" {
		desc += "; default unit " + k.DefaultUnitName
	}
	var kw []string
	for _, s := range []string{k.Group, typeLabel(k.Type), k.NameEn} {
		if s != "" {
			kw = append(kw, s)
		}
	}
	return open311.Service{ServiceCode: k.Code, ServiceName: name, Description: desc, Metadata: false, Type: "realtime",
		Keywords: strings.Join(kw, ", "), Group: k.Group}
}

func (a *open311API) services(c echo.Context, format, _ string) error {
	cats, err := a.o.Services(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]open311.Service, 0, len(cats))
	for _, k := range cats {
		out = append(out, open311Service(k))
	}
	return a.render(c, http.StatusOK, format, open311.Document(format, out))
}

func (a *open311API) serviceDefinition(c echo.Context, format, code string) error {
	k, err := a.o.Service(c.Request().Context(), code)
	if errors.Is(err, domain.ErrNotFound) {
		return problemf(http.StatusNotFound, "Not found", "no service with service_code %q; see services.%s", code, format)
	} else if err != nil {
		return err
	}
	// No category asks for extra fields (metadata is false), so the definition has no attributes.
	return a.render(c, http.StatusOK, format, open311.ServiceDefinition{ServiceCode: k.Code, Attributes: []open311.Attribute{}})
}

// mediaLine is how a media_url sent with POST requests is kept at the end of the description (there is no
// column for a link, and the photo store keeps files, not links); GET requests takes it out again.
var mediaLine = regexp.MustCompile(`\n\nmedia_url: (\S+)$`)

const mediaPrefix = "\n\nmedia_url: "

// open311Request renders a report as an Open311 request.
func (a *open311API) open311Request(c echo.Context, o domain.Open311Row) open311.Request {
	r := o.Report
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	tm := func(t *time.Time) *string {
		if t == nil {
			return nil
		}
		s := open311.Time(*t, a.loc)
		return &s
	}
	name := o.CategoryNameZh
	if o.CategoryNameEn != "" {
		name += " (" + o.CategoryNameEn + ")"
	}
	desc, media := r.Description, ""
	if m := mediaLine.FindStringSubmatchIndex(desc); m != nil {
		media, desc = desc[m[2]:m[3]], desc[:m[0]]
	}
	if o.FirstPhotoID != nil {
		media = baseURL(c) + "/api/v1/photos/" + strconv.FormatInt(*o.FirstPhotoID, 10)
	}
	updated := r.UpdatedAt
	if open311.Status(r.Status) == open311.Closed && r.ClosedAt != nil {
		updated = *r.ClosedAt
	}
	addr := r.Address
	if addr == "" && o.AssetName != "" {
		addr = o.AssetName
		if r.MeasureM != nil {
			addr += fmt.Sprintf(", %.0f m along", *r.MeasureM)
		}
	}
	lat, lon := r.Geom[1], r.Geom[0]
	return open311.Request{
		ServiceRequestID: strconv.FormatInt(r.ID, 10), Status: open311.Status(r.Status), StatusNotes: str(o.LastNote),
		ServiceName: str(name), ServiceCode: r.CategoryCode, Description: str(desc), AgencyResponsible: str(r.UnitName),
		ServiceNotice: str(r.RoutingReason), RequestedDatetime: open311.Time(r.CreatedAt, a.loc), UpdatedDatetime: tm(&updated),
		ExpectedDatetime: tm(r.Deadline), Address: str(addr), Lat: &lat, Long: &lon, MediaURL: str(media),
	}
}

// open311Filter parses GET requests' query: service_request_id (comma list; then nothing else counts),
// service_code (comma list), start_date, end_date, status (open, closed or both).
func (a *open311API) open311Filter(c echo.Context, now time.Time) (domain.Open311Filter, error) {
	f := domain.Open311Filter{Limit: open311MaxRows}
	q := c.QueryParams()
	if s := q.Get("service_request_id"); s != "" {
		for _, p := range strings.Split(s, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil || id <= 0 {
				return f, badRequestf("service_request_id", "%q is not a service_request_id; send ids separated by commas", p)
			}
			f.IDs = append(f.IDs, id)
		}
		if len(f.IDs) > open311MaxRows {
			return f, badRequestf("service_request_id", "at most %d ids at once", open311MaxRows)
		}
		return f, nil
	}
	if s := q.Get("service_code"); s != "" {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				f.Categories = append(f.Categories, p)
			}
		}
	}
	if s := q.Get("status"); s != "" {
		open, closed := false, false
		for _, p := range strings.Split(s, ",") {
			switch strings.TrimSpace(p) {
			case open311.Open:
				open = true
			case open311.Closed:
				closed = true
			default:
				return f, badRequestf("status", "status %q is neither open nor closed", p)
			}
		}
		switch {
		case open && !closed:
			f.Statuses = vocab.Strings(vocab.OpenStatuses)
		case closed && !open:
			f.Statuses = open311.ClosedStatuses
		}
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"start_date", &f.Since}, {"end_date", &f.Until}} {
		if s := q.Get(p.name); s != "" {
			t, ok := open311.ParseTime(s, a.loc)
			if !ok {
				return f, badRequest(p.name, p.name+" must be an ISO 8601 time with an offset (2024-05-01T08:00:00+08:00) or a date (2024-05-01)")
			}
			*p.dst = &t
		}
	}
	if f.Since != nil && f.Until != nil && f.Until.Before(*f.Since) {
		return f, badRequest("end_date", "end_date must not be before start_date")
	}
	// Without a start the list covers the 90 days before the end (or now), as the spec's default.
	if f.Since == nil {
		end := now
		if f.Until != nil {
			end = *f.Until
		}
		s := end.AddDate(0, 0, -open311DefaultDays)
		f.Since = &s
	}
	return f, nil
}

func (a *open311API) requests(c echo.Context, format, _ string) error {
	f, err := a.open311Filter(c, time.Now())
	if err != nil {
		return err
	}
	rows, err := a.o.Requests(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := make([]open311.Request, 0, len(rows))
	for _, o := range rows {
		out = append(out, a.open311Request(c, o))
	}
	return a.render(c, http.StatusOK, format, open311.Document(format, out))
}

// requestID parses a service_request_id from a path; a malformed one is unknown (404), like any other.
func requestID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, problemf(http.StatusNotFound, "Not found", "no service request with id %q", s)
	}
	return id, nil
}

func (a *open311API) request(c echo.Context, format, name string) error {
	id, err := requestID(name)
	if err != nil {
		return err
	}
	o, err := a.o.Request(c.Request().Context(), principal(c), id)
	if errors.Is(err, domain.ErrNotFound) {
		return problemf(http.StatusNotFound, "Not found", "no service request with id %q", name)
	} else if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, format, open311.Document(format, []open311.Request{a.open311Request(c, o)}))
}

func (a *open311API) token(c echo.Context, format, name string) error {
	s, ok := open311.RequestOfToken(name)
	if !ok {
		return problemf(http.StatusNotFound, "Not found", "no token %q", name)
	}
	id, err := requestID(s)
	if err != nil {
		return problemf(http.StatusNotFound, "Not found", "no token %q", name)
	}
	if _, err := a.o.Request(c.Request().Context(), principal(c), id); errors.Is(err, domain.ErrNotFound) {
		return problemf(http.StatusNotFound, "Not found", "no token %q", name)
	} else if err != nil {
		return err
	}
	return a.render(c, http.StatusOK, format, open311.Document(format, []open311.Token{{ServiceRequestID: s, Token: name}}))
}

// create files a report from a form-encoded (or multipart) POST. Personal fields (email, device_id, account_id,
// first_name, last_name, phone) are accepted and dropped: every request is publicly readable through GET
// requests, so nothing personal may be kept beside it. attribute[…] is accepted and ignored (no service asks
// for any).
func (a *open311API) create(c echo.Context, format, _ string) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != echo.MIMEApplicationForm && mt != echo.MIMEMultipartForm {
		return problemf(http.StatusBadRequest, "Invalid request",
			"send the fields form-encoded (Content-Type: application/x-www-form-urlencoded), not %q", ct)
	}
	form, err := c.FormParams()
	if err != nil {
		return badRequestf("body", "could not read the form: %v", err)
	}
	key, in, err := parseOpen311Form(form, format, c.Request().Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if strings.HasPrefix(key, domain.CitizenAppKeyPrefix) {
		return a.queue(c, format, key, in, form)
	}
	f, err := a.o.Submit(c.Request().Context(), key, in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !f.Created {
		status = http.StatusOK
	}
	id := strconv.FormatInt(f.Report.ID, 10)
	notice := f.Report.RoutingReason
	if f.Report.UnitName != "" {
		notice = "sent to " + f.Report.UnitName + ": " + notice
	}
	c.Response().Header().Set("Location", open311Base+"/requests/"+id+"."+format)
	return a.render(c, status, format, open311.Document(format, []open311.Created{{ServiceRequestID: id, ServiceNotice: &notice}}))
}

// queue sends a citizen app's request to the moderation queue: the answer is the spec's token (the tracking code,
// followed at /api/v1/public/reports/{token}) with 202, since no service request exists before acceptance. The
// personal fields are kept for the staff only (the queue), never published.
func (a *open311API) queue(c echo.Context, format, key string, in domain.NewReport, form url.Values) error {
	name := strings.TrimSpace(strings.TrimSpace(form.Get("first_name")) + " " + strings.TrimSpace(form.Get("last_name")))
	f, err := a.o.SubmitFromApp(c.Request().Context(), key, domain.NewPublicReport{Point: in.Point, Category: in.Category,
		Description: in.Description, Address: strings.TrimSpace(form.Get("address_string")), Nickname: name,
		Phone: strings.TrimSpace(form.Get("phone")), Device: strings.TrimSpace(form.Get("device_id")), Addr: clientAddr(c),
		Honeypot: form.Get("website")})
	if err != nil {
		return publicErr(c, err)
	}
	notice := "queued for moderation; follow it at /r/" + f.Code
	c.Response().Header().Set("Location", "/api/v1/public/reports/"+f.Code)
	return a.render(c, http.StatusAccepted, format, open311.Document(format, []open311.Queued{{Token: f.Code, ServiceNotice: &notice}}))
}

// parseOpen311Form reads a POST requests form: the api_key and the report to file. It does no I/O, so every
// body a client can send is fuzzed (FuzzOpen311Form); bad fields answer 400 (403 without a key).
func parseOpen311Form(form url.Values, format, idemKey string) (string, domain.NewReport, error) {
	var in domain.NewReport
	key := strings.TrimSpace(form.Get("api_key"))
	if key == "" {
		return "", in, problem(http.StatusForbidden, "Forbidden", "api_key is required to create a request; get one with POST /api/v1/auth/apikeys")
	}
	in = domain.NewReport{Category: strings.TrimSpace(form.Get("service_code")), Description: form.Get("description"),
		IdempotencyKey: strings.TrimSpace(idemKey)}
	var errs []*geo.FieldError
	bad := func(field, format string, args ...any) { errs = append(errs, geo.Fieldf(field, format, args...)) }
	if in.Category == "" {
		bad("service_code", "service_code is required; see services.%s", format)
	}
	latS, lonS := strings.TrimSpace(form.Get("lat")), strings.TrimSpace(form.Get("long"))
	switch {
	case latS == "" && lonS == "" && (form.Get("address_string") != "" || form.Get("address_id") != ""):
		bad("lat", "this server routes a request by its exact point: send lat and long (WGS84); address_string or address_id alone cannot be placed")
	case latS == "" || lonS == "":
		bad("lat", "lat and long (WGS84 degrees) are required")
	default:
		lat, err1 := strconv.ParseFloat(latS, 64)
		lon, err2 := strconv.ParseFloat(lonS, 64)
		if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			bad("lat", "lat must be a number in [-90, 90] and long in [-180, 180]")
		} else {
			in.Point = &orb.Point{lon, lat}
		}
	}
	if n := utf8.RuneCountInString(in.Description); n > 4000 {
		bad("description", "description is at most 4000 characters (got %d)", n)
	}
	if m := strings.TrimSpace(form.Get("media_url")); m != "" {
		u, err := url.Parse(m)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(m) > open311MaxURL || strings.ContainsAny(m, " \t\r\n"):
			bad("media_url", "media_url must be an http(s) URL of at most %d characters", open311MaxURL)
		case utf8.RuneCountInString(in.Description)+len(mediaPrefix)+len(m) > 4000:
			bad("description", "description and media_url together must fit in 4000 characters")
		default:
			in.Description += mediaPrefix + m
		}
	}
	if len(errs) > 0 {
		return key, in, fieldProblem(false, errs...)
	}
	return key, in, nil
}
