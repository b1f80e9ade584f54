package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/printpdf"
	"everymeter/vocab"
)

// PartsService is the domain layer of 部件, shops, their frontages and 门前三包 agreements (issue 16).
type PartsService interface {
	Parts(ctx context.Context, p domain.Principal, f domain.PartFilter) ([]domain.Part, error)
	Part(ctx context.Context, p domain.Principal, id int64) (domain.Part, error)
	SaveParts(ctx context.Context, actor domain.Actor, ps []domain.Part) ([]domain.Part, int, error)
	UpdatePart(ctx context.Context, actor domain.Actor, p domain.Part) (domain.Part, error)
	DeletePart(ctx context.Context, actor domain.Actor, id int64) error

	Shops(ctx context.Context, p domain.Principal, bbox *orb.Bound, assetID *int64, limit int) ([]domain.Shop, error)
	Shop(ctx context.Context, p domain.Principal, id int64) (domain.Shop, error)
	SaveShops(ctx context.Context, actor domain.Actor, shops []domain.Shop) ([]int64, error)
	DeleteShop(ctx context.Context, actor domain.Actor, id int64) error
	AdjustFrontage(ctx context.Context, actor domain.Actor, f domain.Frontage) (domain.Frontage, error)
	SignAgreement(ctx context.Context, actor domain.Actor, a domain.Agreement) (domain.Agreement, error)

	FrontageCoverage(ctx context.Context, p domain.Principal, assetID int64, side string) (domain.FrontageCoverage, error)
	FrontageSummary(ctx context.Context, p domain.Principal) (domain.FrontageSummary, error)
	// ShopRepeats ranks the shops by the cases filed at their frontage in a period, per street.
	ShopRepeats(ctx context.Context, p domain.Principal, q domain.RepeatQuery) ([]domain.StreetRepeats, error)
}

// ReportShops finds the shop whose frontage a case was filed at.
type ReportShops interface {
	ReportShop(ctx context.Context, p domain.Principal, reportID int64) (domain.Shop, error)
}

type partsAPI struct {
	ps PartsService
	rs ReportShops
}

// PartsRoutes registers the 部件, shop, frontage and 门前三包 routes.
func PartsRoutes(ps PartsService, rs ReportShops) func(r *Router) {
	return func(r *Router) {
		a := &partsAPI{ps: ps, rs: rs}
		r.Add(http.MethodGet, "/api/v1/parts", a.listParts, Signedin)
		r.Add(http.MethodPost, "/api/v1/parts", a.createParts, Planners)
		r.Add(http.MethodGet, "/api/v1/parts/:id", getFeature(ps.Part, func(p domain.Part) orb.Geometry { return p.Geom }), Signedin)
		r.Add(http.MethodPatch, "/api/v1/parts/:id", a.patchPart, Planners)
		r.Add(http.MethodDelete, "/api/v1/parts/:id", deleteByID(ps.DeletePart), Planners)
		r.Add(http.MethodGet, "/api/v1/shops", a.listShops, Signedin)
		r.Add(http.MethodPost, "/api/v1/shops", a.createShop, Planners)
		r.Add(http.MethodGet, "/api/v1/shops/repeats", a.shopRepeats, Signedin)
		r.Add(http.MethodGet, "/api/v1/shops/:id", getFeature(ps.Shop, func(s domain.Shop) orb.Geometry { return s.Geom }), Signedin)
		r.Add(http.MethodDelete, "/api/v1/shops/:id", deleteByID(ps.DeleteShop), Planners)
		r.Add(http.MethodPut, "/api/v1/shops/:id/frontage", a.putFrontage, Planners)
		r.Add(http.MethodPost, "/api/v1/shops/:id/agreements", a.signAgreement, Planners)
		r.Add(http.MethodGet, "/api/v1/shops/:id/agreement.pdf", a.agreementPDF, Signedin)
		r.Add(http.MethodGet, "/api/v1/assets/:id/frontage", a.assetFrontage, Signedin)
		r.Add(http.MethodGet, "/api/v1/frontage", a.summary, Signedin)
		r.Add(http.MethodGet, "/api/v1/reports/:id/shop", a.reportShop, Signedin)
	}
}

// feature renders a record as a GeoJSON Feature whose properties are the record's JSON fields.
func feature(id int64, g orb.Geometry, v any) (*geojson.Feature, error) {
	f := geojson.NewFeature(g)
	f.ID = id
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return f, json.Unmarshal(b, &f.Properties)
}

func collection[T any](c echo.Context, xs []T, id func(T) int64, g func(T) orb.Geometry) error {
	fc := geojson.NewFeatureCollection()
	for _, x := range xs {
		f, err := feature(id(x), g(x), x)
		if err != nil {
			return err
		}
		fc.Append(f)
	}
	b, err := fc.MarshalJSON()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/geo+json", b)
}

func one(c echo.Context, status int, id int64, g orb.Geometry, v any) error {
	f, err := feature(id, g, v)
	if err != nil {
		return err
	}
	b, err := f.MarshalJSON()
	if err != nil {
		return err
	}
	return c.Blob(status, "application/geo+json", b)
}

// featuresIn reads a GeoJSON Feature or FeatureCollection body: each feature's geometry and raw properties.
func featuresIn(c echo.Context) ([]orb.Geometry, []json.RawMessage, error) {
	var doc struct {
		Type       string            `json:"type"`
		Geometry   json.RawMessage   `json:"geometry"`
		Properties json.RawMessage   `json:"properties"`
		Features   []json.RawMessage `json:"features"`
	}
	if err := bindJSON(c, &doc); err != nil {
		return nil, nil, err
	}
	raws := []json.RawMessage{}
	switch doc.Type {
	case "Feature":
		b, _ := json.Marshal(map[string]json.RawMessage{"geometry": doc.Geometry, "properties": doc.Properties})
		raws = append(raws, b)
	case "FeatureCollection":
		raws = doc.Features
	default:
		return nil, nil, badRequest("type", "send a GeoJSON Feature or FeatureCollection")
	}
	if len(raws) > 10000 {
		return nil, nil, badRequest("features", "at most 10000 features at once")
	}
	var gs []orb.Geometry
	var props []json.RawMessage
	for i, raw := range raws {
		var f struct {
			Geometry   json.RawMessage `json:"geometry"`
			Properties json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, nil, badRequest("features", "feature "+strconv.Itoa(i+1)+" is not a JSON object")
		}
		g, err := geo.DecodeGeometry(f.Geometry)
		if err != nil {
			return nil, nil, badRequest("geometry", "feature "+strconv.Itoa(i+1)+": "+err.Error())
		}
		if len(f.Properties) == 0 || string(f.Properties) == "null" {
			f.Properties = json.RawMessage("{}")
		}
		gs, props = append(gs, g), append(props, f.Properties)
	}
	return gs, props, nil
}

// partIn is what a client sends for a 部件 (GeoJSON properties).
type partIn struct {
	Kind             string  `json:"kind"`
	Code             string  `json:"code"`
	County           string  `json:"county"`
	Name             string  `json:"name"`
	OwnerUnitID      int64   `json:"owner_unit_id"`
	MaintainerUnitID *int64  `json:"maintainer_unit_id"`
	State            string  `json:"state"`
	CheckedOn        *string `json:"checked_on"`
}

func (in partIn) part(g orb.Geometry) domain.Part {
	return domain.Part{Kind: in.Kind, Code: in.Code, County: in.County, Name: in.Name, Geom: g, OwnerUnitID: in.OwnerUnitID,
		MaintainerUnitID: in.MaintainerUnitID, State: in.State, CheckedOn: in.CheckedOn}
}

func (a *partsAPI) listParts(c echo.Context) error {
	bbox, err := bboxParam(c)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 10000, 1, 100000)
	if err != nil {
		return err
	}
	ps, err := a.ps.Parts(c.Request().Context(), principal(c), domain.PartFilter{Kind: c.QueryParam("kind"), BBox: bbox, Limit: limit})
	if err != nil {
		return err
	}
	return collection(c, ps, func(p domain.Part) int64 { return p.ID }, func(p domain.Part) orb.Geometry { return p.Geom })
}

func (a *partsAPI) createParts(c echo.Context) error {
	gs, props, err := featuresIn(c)
	if err != nil {
		return err
	}
	var ps []domain.Part
	for i := range gs {
		var in partIn
		if err := decodeJSON(props[i], &in); err != nil {
			return err
		}
		ps = append(ps, in.part(gs[i]))
	}
	out, created, err := a.ps.SaveParts(c.Request().Context(), actor(c), ps)
	if err != nil {
		return err
	}
	if len(out) == 1 {
		c.Response().Header().Set("Location", "/api/v1/parts/"+itoa(out[0].ID))
		return one(c, http.StatusCreated, out[0].ID, out[0].Geom, out[0])
	}
	return c.JSON(http.StatusCreated, map[string]any{"created": created, "saved": len(out)})
}

// getFeature serves one record by its :id as a GeoJSON Feature.
func getFeature[T any](get func(context.Context, domain.Principal, int64) (T, error), g func(T) orb.Geometry) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		x, err := get(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return one(c, http.StatusOK, id, g(x), x)
	}
}

// patchPart merges the sent properties (and geometry) into the part.
func (a *partsAPI) patchPart(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := a.ps.Part(ctx, principal(c), id)
	if err != nil {
		return err
	}
	var body struct {
		Geometry   json.RawMessage `json:"geometry"`
		Properties json.RawMessage `json:"properties"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	in := partIn{Kind: cur.Kind, Name: cur.Name, OwnerUnitID: cur.OwnerUnitID, MaintainerUnitID: cur.MaintainerUnitID, State: cur.State, CheckedOn: cur.CheckedOn}
	if len(body.Properties) > 0 {
		if err := decodeJSON(body.Properties, &in); err != nil {
			return err
		}
	}
	g := cur.Geom
	if len(body.Geometry) > 0 && string(body.Geometry) != "null" {
		if g, err = geo.DecodeGeometry(body.Geometry); err != nil {
			return badRequest("geometry", err.Error())
		}
	}
	p := in.part(g)
	p.ID, p.Code = id, cur.Code
	out, err := a.ps.UpdatePart(ctx, actor(c), p)
	if err != nil {
		return err
	}
	return one(c, http.StatusOK, out.ID, out.Geom, out)
}

// shopIn is what a client sends for a shop (GeoJSON properties).
type shopIn struct {
	Name          string `json:"name"`
	Licence       string `json:"licence"`
	ContactPerson string `json:"contact_person"`
	Phone         string `json:"phone"`
	Address       string `json:"address"`
	UnitID        *int64 `json:"unit_id"`
}

func (a *partsAPI) listShops(c echo.Context) error {
	bbox, err := bboxParam(c)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 10000, 1, 100000)
	if err != nil {
		return err
	}
	asset, err := assetIDParam(c)
	if err != nil {
		return err
	}
	shops, err := a.ps.Shops(c.Request().Context(), principal(c), bbox, asset, limit)
	if err != nil {
		return err
	}
	return collection(c, shops, func(s domain.Shop) int64 { return s.ID }, func(s domain.Shop) orb.Geometry { return s.Geom })
}

func (a *partsAPI) createShop(c echo.Context) error {
	gs, props, err := featuresIn(c)
	if err != nil {
		return err
	}
	var shops []domain.Shop
	for i := range gs {
		var in shopIn
		if err := decodeJSON(props[i], &in); err != nil {
			return err
		}
		shops = append(shops, domain.Shop{Name: in.Name, Licence: in.Licence, ContactPerson: in.ContactPerson, Phone: in.Phone,
			Address: in.Address, UnitID: in.UnitID, Geom: gs[i]})
	}
	ctx := c.Request().Context()
	ids, err := a.ps.SaveShops(ctx, actor(c), shops)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return c.JSON(http.StatusCreated, map[string]any{"saved": len(ids)})
	}
	sh, err := a.ps.Shop(ctx, principal(c), ids[0])
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/shops/"+itoa(sh.ID))
	return one(c, http.StatusCreated, sh.ID, sh.Geom, sh)
}

func (a *partsAPI) putFrontage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		AssetID int64    `json:"asset_id"`
		Side    string   `json:"side"`
		FromM   *float64 `json:"from_m"`
		ToM     *float64 `json:"to_m"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.FromM == nil || in.ToM == nil {
		return badRequest("from_m", "from_m and to_m are required (meters from the street's start)")
	}
	f, err := a.ps.AdjustFrontage(c.Request().Context(), actor(c), domain.Frontage{ShopID: id, AssetID: in.AssetID, Side: in.Side, FromM: *in.FromM, ToM: *in.ToM})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f)
}

func (a *partsAPI) signAgreement(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in domain.Agreement
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	in.ShopID, in.ID = id, 0
	out, err := a.ps.SignAgreement(c.Request().Context(), actor(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (a *partsAPI) assetFrontage(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	fc, err := a.ps.FrontageCoverage(c.Request().Context(), principal(c), id, c.QueryParam("side"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fc)
}

func (a *partsAPI) summary(c echo.Context) error {
	s, err := a.ps.FrontageSummary(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s)
}

func (a *partsAPI) reportShop(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	sh, err := a.rs.ReportShop(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return one(c, http.StatusOK, sh.ID, sh.Geom, sh)
}

// agreementPage is the printable 门前三包责任书.
var agreementPage = template.Must(template.New("agreement").Parse(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>门前三包责任书</title><style>@page{size:A4;margin:22mm}body{font-family:"Noto Sans CJK SC","Noto Serif CJK SC",sans-serif;font-size:12pt;line-height:1.7}
h1{text-align:center;font-size:22pt;letter-spacing:.3em}table{border-collapse:collapse;width:100%}td{border:1px solid #444;padding:4px 8px}
.sign{margin-top:40px;display:flex;justify-content:space-between}</style></head><body>
<h1>门前三包责任书</h1>
<table>
<tr><td>责任单位（商户）</td><td>{{.Shop.Name}}</td></tr>
<tr><td>营业执照号</td><td>{{.Shop.Licence}}</td></tr>
<tr><td>地址</td><td>{{.Shop.Address}}</td></tr>
<tr><td>联系人</td><td>{{.Shop.ContactPerson}} {{.Shop.Phone}}</td></tr>
{{with .Shop.Frontage}}<tr><td>责任区域</td><td>{{.AssetName}} {{$.Side}} {{printf "%.0f" .FromM}}–{{printf "%.0f" .ToM}} 米（{{printf "%.0f" .LengthM}} 米）</td></tr>{{end}}
<tr><td>属地单位</td><td>{{.Agreement.UnitName}}</td></tr>
<tr><td>有效期</td><td>{{.Agreement.ValidFrom}} 至 {{.Agreement.ValidTo}}</td></tr>
</table>
<h2>责任内容</h2><ol>{{range .Duties}}<li>{{.}}</li>{{end}}</ol>
<div class="sign"><div>商户（签字）：{{.Agreement.SignedBy}}</div><div>签订日期：{{.Agreement.SignedOn}}</div></div>
<p>编号：MQSB-{{.Agreement.ID}}</p>
</body></html>`))

// dutyText is what each duty binds the shop to.
var dutyText = map[vocab.Duty]string{
	vocab.Sanitation: "包卫生：门前人行道及责任区内无垃圾、无污水、无乱堆乱放，做到随脏随扫。",
	vocab.Order:      "包秩序：不店外经营、不占道堆物，门前车辆停放有序，不乱张贴。",
	vocab.Greening:   "包绿化：爱护门前树木、绿地和花坛，不损坏、不占用绿地。",
}

func (a *partsAPI) agreementPDF(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sh, err := a.ps.Shop(ctx, principal(c), id)
	if err != nil {
		return err
	}
	if sh.Agreement == nil {
		return problemf(http.StatusNotFound, "Not found", "shop %d has no 门前三包 agreement yet", id)
	}
	var duties []string
	for _, d := range sh.Agreement.Duties {
		duties = append(duties, dutyText[vocab.Duty(d)])
	}
	side := ""
	if sh.Frontage != nil {
		side = vocab.Side(sh.Frontage.Side).Label().Zh
	}
	var b strings.Builder
	if err := agreementPage.Execute(&b, map[string]any{"Shop": sh, "Agreement": sh.Agreement, "Duties": duties, "Side": side}); err != nil {
		return err
	}
	pdf, err := printpdf.FromHTML(ctx, b.String(), printpdf.Options{Paper: printpdf.A4})
	if errors.Is(err, printpdf.ErrNoBrowser) {
		return problemf(http.StatusServiceUnavailable, "Service unavailable", "%s", err.Error())
	} else if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `inline; filename="agreement-`+itoa(id)+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", pdf)
}
