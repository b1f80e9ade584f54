package handlers

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"everymeter/domain"
)

// photoView is a photo as the API shows it.
type photoView struct {
	ID          int64             `json:"id"`
	ReportID    int64             `json:"report_id"`
	URL         string            `json:"url"`
	ThumbURL    string            `json:"thumb_url"`
	ContentType string            `json:"content_type"`
	Bytes       int64             `json:"bytes"`
	Width       int               `json:"width"`
	Height      int               `json:"height"`
	CreatedAt   string            `json:"created_at"`
	Suggested   *geojson.Geometry `json:"suggested_location"`
}

func viewPhoto(p domain.Photo) photoView {
	id := strconv.FormatInt(p.ID, 10)
	v := photoView{ID: p.ID, ReportID: p.ReportID, URL: "/api/v1/photos/" + id, ThumbURL: "/api/v1/photos/" + id + "/thumb",
		ContentType: p.ContentType, Bytes: p.Bytes, Width: p.Width, Height: p.Height, CreatedAt: p.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
	if p.ExifPoint != nil {
		v.Suggested = geojson.NewGeometry(*p.ExifPoint)
	}
	return v
}

func (h *reportHandlers) uploadPhoto(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return domain.ErrPhotoTooLarge
		}
		return badRequest("file", "send the photo as multipart/form-data in the field \"file\"")
	}
	if fh.Size > domain.MaxPhotoBytes {
		return domain.ErrPhotoTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, domain.MaxPhotoBytes+1))
	if err != nil {
		return err
	}
	up, err := h.rs.AddPhoto(c.Request().Context(), who(c), id, data)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !up.Created {
		status = http.StatusOK
	}
	v := viewPhoto(up.Photo)
	if up.Suggested != nil {
		v.Suggested = geojson.NewGeometry(*up.Suggested)
	}
	c.Response().Header().Set("Location", v.URL)
	return c.JSON(status, v)
}

func (h *reportHandlers) listPhotos(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ps, err := h.rs.Photos(c.Request().Context(), who(c), id)
	if err != nil {
		return err
	}
	items := make([]photoView, 0, len(ps))
	for _, p := range ps {
		items = append(items, viewPhoto(p))
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// photo serves a stored photo or its thumbnail to users who may see its report (404 for others).
func (h *reportHandlers) photo(thumb bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		p, path, err := h.rs.Photo(c.Request().Context(), who(c), id, thumb)
		if err != nil {
			return err
		}
		return servePhoto(c, p, path, thumb)
	}
}

// servePhoto answers with a stored photo's file (or its thumbnail's).
func servePhoto(c echo.Context, p domain.Photo, path string, thumb bool) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return problem(http.StatusNotFound, "Not found", "the photo's file is missing from the data directory")
	} else if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	ct := p.ContentType
	etag := `"` + p.SHA256 + `"`
	if thumb {
		ct, etag = "image/jpeg", `"`+p.SHA256+`-t"`
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentType, ct)
	hd.Set("Cache-Control", "private, max-age=86400")
	hd.Set("ETag", etag)
	http.ServeContent(c.Response(), c.Request(), "", st.ModTime(), f)
	return nil
}
