package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"everymeter/domain"
	"everymeter/i18n"
	"everymeter/vocab"
)

// Cookie names.
const (
	sessionCookie = "em_session"
	csrfCookie    = "em_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// Rule decides who may call a route: nil Roles with Public means anyone; otherwise a signed-in user whose
// role is listed (an empty list means any staff role — every role but the volunteers, who only record their
// walks and check in — and, with Any, volunteers too).
type Rule struct {
	Name   string
	Public bool
	Any    bool
	Roles  []string
}

// The access rules used in the route table.
var (
	Public   = Rule{Name: "public", Public: true}
	Signedin = Rule{Name: "signed-in"}
	// Account is any signed-in user, volunteers included: their own session (me, logout).
	Account  = Rule{Name: "account", Any: true}
	Planners = Roles("planners", vocab.PlannerRoles...)
	Admins   = Roles("admins", vocab.Admin)
)

// Roles builds a rule for the listed roles.
func Roles(name string, roles ...vocab.Role) Rule {
	return Rule{Name: name, Roles: vocab.Strings(roles)}
}

const rulePrefix = "rule:"

// encode writes the rule as a route name: "rule:public", "rule:signed-in" or "rule:admin,planner".
func (r Rule) encode() string {
	switch {
	case r.Public:
		return rulePrefix + "public"
	case r.Any:
		return rulePrefix + "account"
	case len(r.Roles) == 0:
		return rulePrefix + "signed-in"
	}
	return rulePrefix + strings.Join(r.Roles, ",")
}

// RuleOf returns the access rule registered with an echo route, and false for a route without one.
func RuleOf(rt *echo.Route) (Rule, bool) {
	s, ok := strings.CutPrefix(rt.Name, rulePrefix)
	if !ok {
		return Rule{}, false
	}
	switch s {
	case "public":
		return Public, true
	case "signed-in":
		return Signedin, true
	case "account":
		return Account, true
	}
	return Rule{Name: s, Roles: strings.Split(s, ",")}, true
}

// Allows reports whether a user with role may pass (role "" is anonymous).
func (r Rule) Allows(role string) bool {
	if r.Public {
		return true
	}
	if role == "" {
		return false
	}
	if len(r.Roles) == 0 {
		return r.Any || slices.Contains(vocab.StaffRoles, vocab.Role(role))
	}
	for _, x := range r.Roles {
		if x == role {
			return true
		}
	}
	return false
}

func (r Rule) check(c echo.Context) error {
	u := CurrentUser(c)
	role := ""
	if u != nil {
		role = u.Role
	}
	if r.Allows(role) {
		return nil
	}
	if u == nil {
		return problem(http.StatusUnauthorized, "Unauthorized", "sign in first (POST /api/v1/auth/login), then send the token as 'Authorization: Bearer …'")
	}
	return problemf(http.StatusForbidden, "Forbidden", "the role '%s' may not do this", u.Role)
}

// CurrentUser returns the signed-in user of a request, or nil.
func CurrentUser(c echo.Context) *domain.User {
	u, _ := c.Get("user").(*domain.User)
	return u
}

// principal is who a request acts as: the signed-in user, or the anonymous public.
func principal(c echo.Context) domain.Principal {
	u := CurrentUser(c)
	if u == nil {
		return domain.Anonymous
	}
	return domain.Principal{ID: u.ID, Name: u.Username, Role: u.Role, UnitID: u.UnitID}
}

// actor is the audit-log identity of a request.
func actor(c echo.Context) domain.Actor { return principal(c).Audit() }

// authenticate resolves the Bearer token or session cookie to a user. Cookie-authenticated writes must
// carry the CSRF header matching the CSRF cookie (double submit); bearer tokens are not sent by browsers
// on their own, so they need none.
func (h *Handler) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		token, viaCookie := "", false
		if a := req.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
			token = strings.TrimSpace(strings.TrimPrefix(a, "Bearer "))
		} else if ck, err := req.Cookie(sessionCookie); err == nil {
			token, viaCookie = ck.Value, true
		}
		if token == "" {
			return next(c)
		}
		u, err := h.Svc.Authenticate(req.Context(), token)
		if errors.Is(err, domain.ErrAuth) {
			if viaCookie {
				return next(c) // a stale cookie is just anonymous
			}
			return problem(http.StatusUnauthorized, "Unauthorized", "the token is unknown, expired or its user is disabled; sign in again")
		} else if err != nil {
			return err
		}
		if viaCookie && !safeMethod(req.Method) {
			ck, err := req.Cookie(csrfCookie)
			hd := req.Header.Get(csrfHeader)
			if err != nil || hd == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(hd)) != 1 {
				return problemf(http.StatusForbidden, "CSRF check failed", "cookie-authenticated writes must send the %s header equal to the %s cookie", csrfHeader, csrfCookie)
			}
		}
		c.Set("user", &u)
		c.Set("token", token)
		return next(c)
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (h *Handler) login(c echo.Context) error {
	var in loginRequest
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Username == "" || in.Password == "" {
		return badRequest("username", "username and password are required")
	}
	ctx := c.Request().Context()
	token, u, err := h.Svc.Login(ctx, in.Username, in.Password, clientAddr(c))
	var locked *domain.LockedError
	if errors.As(err, &locked) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(time.Until(locked.Until).Seconds())+1))
		return problemf(http.StatusTooManyRequests, "Too many sign-in attempts", "%s; try again in %d seconds", i18n.Key(locked.Reason), locked.Seconds())
	}
	if errors.Is(err, domain.ErrAuth) {
		return problem(http.StatusUnauthorized, "Sign-in failed", "wrong username or password, or the account is disabled")
	} else if err != nil {
		return err
	}
	failed, err := h.Svc.FailedAttemptsBefore(ctx, token)
	if err != nil {
		return err
	}
	exp := time.Now().Add(domain.SessionTTL)
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: exp, HttpOnly: true,
		Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode})
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: randomToken(), Path: "/", Expires: exp,
		Secure: h.SecureCookies, SameSite: http.SameSiteStrictMode})
	return c.JSON(http.StatusOK, map[string]any{"token": token, "expires_at": exp.UTC(), "user": userView(u),
		"failed_attempts_since_last_login": failed})
}

func (h *Handler) logout(c echo.Context) error {
	token, _ := c.Get("token").(string)
	if c.QueryParam("all") == "1" || c.QueryParam("all") == "true" {
		if err := h.Svc.LogoutEverywhere(c.Request().Context(), CurrentUser(c).ID); err != nil {
			return err
		}
	} else if err := h.Svc.Logout(c.Request().Context(), token); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode})
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) me(c echo.Context) error {
	u := CurrentUser(c)
	v := userView(*u)
	token, _ := c.Get("token").(string)
	failed, err := h.Svc.FailedAttemptsBefore(c.Request().Context(), token)
	if err != nil {
		return err
	}
	v["failed_attempts_since_last_login"] = failed
	if u.UnitID != nil {
		if unit, err := h.Svc.Unit(c.Request().Context(), principal(c), *u.UnitID); err == nil {
			v["unit_name"] = unit.Name
		}
	}
	return c.JSON(http.StatusOK, v)
}

func userView(u domain.User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Username, "role": u.Role, "unit_id": u.UnitID}
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (h *Handler) listThrottles(c echo.Context) error {
	ts, err := h.Svc.Throttles(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"throttles": ts})
}
