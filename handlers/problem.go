package handlers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/i18n"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Errors   []*geo.FieldError `json:"errors,omitempty"`
	// Extra members (e.g. candidates for an owner lookup) merged into the document.
	Extra map[string]any `json:"-"`
	// args fill Detail when it is a format (problemf): it is translated first, then filled.
	args []any
	// joined: Detail is the field errors joined (a validation error), so it is rebuilt from them per language;
	// named: each part starts with its field's name.
	joined, named bool
}

func (p *Problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

// problem builds a Problem error for handlers to return.
func problem(status int, title, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: title, Status: status, Detail: detail}
}

// problemf is problem with a detail format and its arguments. Title and format are English keys: the answer is
// rendered in the client's language (zh-CN unless it asks for English) from the translations in package i18n.
func problemf(status int, title, format string, args ...any) *Problem {
	return &Problem{Type: "about:blank", Title: title, Status: status, Detail: format, args: args}
}

// badRequest is a 400 about one field.
func badRequest(field, detail string) *Problem {
	return fieldProblem(false, &geo.FieldError{Field: field, Detail: detail})
}

// badRequestf is badRequest with a detail format and its arguments (translated from the format).
func badRequestf(field, format string, args ...any) *Problem {
	return fieldProblem(false, geo.Fieldf(field, format, args...))
}

// fieldProblem is a 400 listing field errors; its detail is their sentences (named: each after its field's name),
// each in the client's language.
func fieldProblem(named bool, errs ...*geo.FieldError) *Problem {
	p := problem(http.StatusBadRequest, "Invalid request", (&domain.ValidationError{Errors: errs}).Error())
	p.Errors, p.joined, p.named = errs, true, named
	return p
}

// fieldText renders one field error's detail in lang.
func fieldText(lang i18n.Lang, fe *geo.FieldError) string {
	k, args := fe.Key()
	return i18n.F(lang, k, args...)
}

// renderError is echo's error handler: it maps every error to one problem+json answer. 5xx details go to
// the log only.
func (h *Handler) renderError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := h.toProblem(err, c)
	p.Instance = c.Request().URL.Path
	lang := i18n.FromHeader(c.Request().Header.Get("Accept-Language"))
	body := map[string]any{"type": p.Type, "title": i18n.T(lang, p.Title), "status": p.Status}
	switch {
	case p.joined:
		parts := make([]string, len(p.Errors))
		for i, fe := range p.Errors {
			parts[i] = fieldText(lang, fe)
			if p.named && fe.Field != "" {
				parts[i] = fe.Field + ": " + parts[i]
			}
		}
		body["detail"] = strings.Join(parts, "; ")
	case p.Detail != "":
		body["detail"] = i18n.F(lang, p.Detail, p.args...)
	}
	if p.Instance != "" {
		body["instance"] = p.Instance
	}
	if len(p.Errors) > 0 {
		errs := make([]*geo.FieldError, len(p.Errors))
		for i, fe := range p.Errors {
			errs[i] = &geo.FieldError{Field: fe.Field, Detail: fieldText(lang, fe)}
		}
		body["errors"] = errs
	}
	for k, v := range p.Extra {
		body[k] = v
	}
	if p.Status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "2")
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().Header().Set("Content-Language", string(lang))
	c.Response().Header().Add(echo.HeaderVary, "Accept-Language")
	c.Response().WriteHeader(p.Status)
	if c.Request().Method == http.MethodHead {
		return
	}
	_ = jsonEncode(c.Response(), body)
}

func (h *Handler) toProblem(err error, c echo.Context) *Problem {
	var p *Problem
	var ve *domain.ValidationError
	var fe *geo.FieldError
	var he *echo.HTTPError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &ve):
		return fieldProblem(true, ve.Errors...)
	case errors.As(err, &fe):
		return fieldProblem(true, fe)
	case errors.Is(err, domain.ErrNotFound):
		return problem(http.StatusNotFound, "Not found", "no such record; check the id")
	case errors.Is(err, domain.ErrConflict):
		return problemf(http.StatusConflict, "Conflict", "a record with the same unique value already exists: %s", strings.TrimPrefix(err.Error(), domain.ErrConflict.Error()+": "))
	case errors.Is(err, domain.ErrReference):
		return problem(http.StatusConflict, "Still in use", "the record is referenced by others (zones, assignments, users or child units); remove those first")
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, geo.ErrInvalid):
		return problemf(http.StatusBadRequest, "Invalid request", "%v", err)
	case errors.Is(err, domain.ErrAuth):
		return problem(http.StatusUnauthorized, "Unauthorized", "sign in first")
	case errors.Is(err, domain.ErrForbidden):
		return problem(http.StatusForbidden, "Forbidden", "your role may not do this")
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusRequestEntityTooLarge:
			return problemf(he.Code, http.StatusText(he.Code), "the request body is larger than the limit of %sB", bodyLimitString)
		case http.StatusNotFound:
			return problem(he.Code, http.StatusText(he.Code), "no such resource")
		case http.StatusMethodNotAllowed:
			return problem(he.Code, http.StatusText(he.Code), "this method is not allowed on this resource")
		}
		return problemf(he.Code, http.StatusText(he.Code), "%v", he.Message)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne), isConnErr(err):
		h.Log.Warn("database unavailable", "err", err, "path", c.Request().URL.Path)
		return problem(http.StatusServiceUnavailable, "Service unavailable", "the database is not answering; retry shortly")
	case errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05" || pe.Code == "22001"):
		return problem(http.StatusBadRequest, "Invalid text", "a text value contains a NUL byte, invalid UTF-8, or is too long")
	case errors.As(err, &pe) && pe.Code == "57014":
		return problem(http.StatusUnprocessableEntity, "Too expensive", "the request took too long to compute and was cancelled; use a smaller area or a simpler geometry")
	case errors.Is(err, context.Canceled):
		return problem(499, "Client closed request", "")
	}
	h.Log.Error("internal error", "err", err, "path", c.Request().URL.Path, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	return problem(http.StatusInternalServerError, "Internal error", "something went wrong on our side; it has been logged")
}

// isConnErr reports errors that mean the database is unreachable (restarting, shutting down).
func isConnErr(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code[:2] {
		case "08", "57": // connection exception, operator intervention (admin shutdown, cannot connect now)
			return pe.Code != "57014"
		}
		return false
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.Is(err, net.ErrClosed)
}
