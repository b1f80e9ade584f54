package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
)

// Importer is the domain layer of zone and unit uploads (package importer): a file is read and previewed, kept
// as a pending import, and applied on confirmation exactly as `everymeter import FILE --kind zone|unit` would.
type Importer interface {
	UploadImport(ctx context.Context, actor domain.Actor, kind, name string, data []byte, opt domain.ImportOptions) (domain.ImportSummary, error)
	ImportSummary(ctx context.Context, id int64) (domain.ImportSummary, error)
	ImportPreview(ctx context.Context, id int64) ([]byte, error)
	ConfirmImport(ctx context.Context, actor domain.Actor, id int64) (domain.ImportApplied, error)
}

// maxUploadForm is the largest upload form read (the file, at most importer.MaxUploadBytes, and its options).
const maxUploadForm = 13 << 20

// ImportRoutes registers the planners' zone and unit uploads.
func ImportRoutes(imp Importer) func(r *Router) {
	return func(r *Router) {
		a := &importAPI{imp: imp}
		r.Add(http.MethodPost, "/api/v1/imports", a.upload, Planners)
		r.Add(http.MethodGet, "/api/v1/imports/:id", a.summary, Planners)
		r.Add(http.MethodGet, "/api/v1/imports/:id/preview", a.preview, Planners)
		r.Add(http.MethodPost, "/api/v1/imports/:id/confirm", a.confirm, Planners)
	}
}

type importAPI struct{ imp Importer }

// upload takes multipart/form-data with the file in "file", kind in the query (?kind=zone|unit) or the form, and the
// import options as form fields named like the CLI's flags (unit_field, role, name_field …).
func (a *importAPI) upload(c echo.Context) error {
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxUploadForm)
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return problemf(http.StatusRequestEntityTooLarge, "Payload too large", "the file is larger than %d MB", maxUploadForm>>20)
		}
		return badRequest("file", "send the file as multipart/form-data in the field \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUploadForm+1))
	if err != nil {
		return err
	}
	kind := c.QueryParam("kind")
	if kind == "" {
		kind = c.FormValue("kind")
	}
	opt := domain.ImportOptions{NameField: c.FormValue("name_field"), UnitField: c.FormValue("unit_field"), Unit: c.FormValue("unit"),
		Role: c.FormValue("role"), RoleField: c.FormValue("role_field"), ZoneKind: c.FormValue("zone_kind"), CodeField: c.FormValue("code_field"),
		UnitKind: c.FormValue("unit_kind"), UnitKindField: c.FormValue("unit_kind_field"), Territory: c.FormValue("territory") == "true",
		Encoding: c.FormValue("encoding"), SRS: c.FormValue("srs"), Layer: c.FormValue("layer")}
	sum, err := a.imp.UploadImport(req.Context(), actor(c), kind, fh.Filename, data, opt)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/imports/"+itoa(sum.ID))
	return c.JSON(http.StatusCreated, localized(c, sum))
}

// localized renders the summary's problems in the client's language.
func localized(c echo.Context, sum domain.ImportSummary) domain.ImportSummary {
	l := langOf(c)
	for i := range sum.Errors {
		sum.Errors[i].Detail = sum.Errors[i].Msg.In(l)
	}
	return sum
}

func (a *importAPI) summary(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	sum, err := a.imp.ImportSummary(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, localized(c, sum))
}

func (a *importAPI) preview(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	b, err := a.imp.ImportPreview(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/geo+json", json.RawMessage(b))
}

func (a *importAPI) confirm(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	out, err := a.imp.ConfirmImport(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
