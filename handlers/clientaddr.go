package handlers

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// ClientIPExtractor returns how a request's client address is found. With no trusted proxies it is the
// socket's peer, whatever X-Forwarded-For or X-Real-IP say (anyone can send those). With trusted proxies, a
// request whose peer is one of them is attributed to the right-most X-Forwarded-For entry that is not a
// trusted proxy: every proxy appends the address it saw, so entries left of that one were written by the
// client and prove nothing. Echo trusts loopback, link-local and private addresses unless told not to, which
// on a shared host would let any local process name its own address; only the configured ranges are trusted.
func ClientIPExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// SchemeExtractor returns how a request's scheme is found: https when the connection is TLS, or when the peer
// is a trusted proxy that says X-Forwarded-Proto: https; nobody else's X-Forwarded-Proto is believed.
func SchemeExtractor(trusted []*net.IPNet) echo.SchemeExtractor {
	return func(r *http.Request) string {
		if r.TLS != nil {
			return "https"
		}
		if peerTrusted(r, trusted) && strings.EqualFold(strings.TrimSpace(r.Header.Get(echo.HeaderXForwardedProto)), "https") {
			return "https"
		}
		return "http"
	}
}

func peerTrusted(r *http.Request, trusted []*net.IPNet) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of CIDR ranges or single addresses ("127.0.0.1/32,
// 10.0.0.0/8, ::1").
func ParseTrustedProxies(s string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			ip := net.ParseIP(part)
			if ip == nil {
				return nil, &net.ParseError{Type: "IP address or CIDR range", Text: part}
			}
			bits := 128
			if ip.To4() != nil {
				bits = 32
			}
			part += "/" + strconv.Itoa(bits)
		}
		_, n, err := net.ParseCIDR(part)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// clientAddr is the client address of a request, for throttling, the audit log and the request log alike.
func clientAddr(c echo.Context) string { return c.RealIP() }

// requireHTTPS, with Secure cookies on, sends browsers to https and tells them to stay there
// (Strict-Transport-Security). Health checks stay answerable over plain HTTP for the proxy or orchestrator.
func requireHTTPS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Scheme() != "https" {
			p := c.Request().URL.Path
			if p == "/healthz" || p == "/readyz" {
				return next(c)
			}
			return c.Redirect(http.StatusPermanentRedirect, "https://"+c.Request().Host+c.Request().URL.RequestURI())
		}
		c.Response().Header().Set("Strict-Transport-Security", "max-age=31536000")
		return next(c)
	}
}
