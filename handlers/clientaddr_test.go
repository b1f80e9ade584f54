package handlers_test

import (
	"net/http/httptest"
	"testing"

	"everymeter/handlers"
)

// TestClientAddress is the table of how a request's client address and scheme are found.
func TestClientAddress(t *testing.T) {
	cases := []struct {
		name, trusted, peer, xff, realIP, proto string
		want, wantScheme                        string
	}{
		{name: "no proxies: the socket, whatever the headers", peer: "198.51.100.7:4000", xff: "203.0.113.1", realIP: "203.0.113.2", proto: "https",
			want: "198.51.100.7", wantScheme: "http"},
		{name: "no proxies: loopback is not trusted either", peer: "127.0.0.1:4000", xff: "203.0.113.1", proto: "https",
			want: "127.0.0.1", wantScheme: "http"},
		{name: "no proxies: private peers are not trusted", peer: "10.1.2.3:4000", xff: "203.0.113.1",
			want: "10.1.2.3", wantScheme: "http"},
		{name: "trusted proxy: the forwarded address", trusted: "127.0.0.1/32", peer: "127.0.0.1:4000", xff: "203.0.113.1", proto: "https",
			want: "203.0.113.1", wantScheme: "https"},
		{name: "trusted proxy without X-Forwarded-For: the proxy", trusted: "127.0.0.1/32", peer: "127.0.0.1:4000",
			want: "127.0.0.1", wantScheme: "http"},
		{name: "trusted proxy: X-Real-IP is not read", trusted: "127.0.0.1/32", peer: "127.0.0.1:4000", realIP: "203.0.113.2",
			want: "127.0.0.1", wantScheme: "http"},
		{name: "untrusted peer sending X-Forwarded-For", trusted: "127.0.0.1/32", peer: "198.51.100.7:4000", xff: "203.0.113.1", proto: "https",
			want: "198.51.100.7", wantScheme: "http"},
		{name: "chain with spoofed left-most entries: right-most untrusted", trusted: "127.0.0.1/32,10.0.0.0/8", peer: "127.0.0.1:4000",
			xff: "1.1.1.1, 8.8.8.8, 203.0.113.9, 10.0.0.5", want: "203.0.113.9", wantScheme: "http"},
		{name: "private hop not configured is the client", trusted: "127.0.0.1/32", peer: "127.0.0.1:4000",
			xff: "203.0.113.9, 192.168.1.20", want: "192.168.1.20", wantScheme: "http"},
		{name: "IPv6 proxy and client", trusted: "::1", peer: "[::1]:4000", xff: "2001:db8::1, 2001:db8:ffff::2", proto: "HTTPS",
			want: "2001:db8:ffff::2", wantScheme: "https"},
		{name: "IPv6 range with a bracketed entry", trusted: "2001:db8:aa::/48", peer: "[2001:db8:aa::10]:443", xff: "[2001:db8::7]",
			want: "2001:db8::7", wantScheme: "http"},
		{name: "IPv6 peer, no proxies", peer: "[2001:db8::1]:4000", xff: "203.0.113.1", want: "2001:db8::1", wantScheme: "http"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nets, err := handlers.ParseTrustedProxies(c.trusted)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.peer
			for k, v := range map[string]string{"X-Forwarded-For": c.xff, "X-Real-IP": c.realIP, "X-Forwarded-Proto": c.proto} {
				if v != "" {
					r.Header.Set(k, v)
				}
			}
			if got := handlers.ClientIPExtractor(nets)(r); got != c.want {
				t.Errorf("client address %q, want %q", got, c.want)
			}
			if got := handlers.SchemeExtractor(nets)(r); got != c.wantScheme {
				t.Errorf("scheme %q, want %q", got, c.wantScheme)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "not-an-address", "1.2.3"} {
		if _, err := handlers.ParseTrustedProxies(bad); err == nil {
			t.Errorf("--trusted-proxies %q accepted", bad)
		}
	}
}
