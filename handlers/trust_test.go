package handlers_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"everymeter/handlers"
	"everymeter/internal/testapp"
	"everymeter/server"
)

// loopbackProxy trusts the address the test client connects from, as a deployment trusts its nginx.
func loopbackProxy(t *testing.T) server.Options {
	t.Helper()
	nets, err := handlers.ParseTrustedProxies("127.0.0.1/32")
	if err != nil {
		t.Fatal(err)
	}
	return server.Options{TrustedProxies: nets}
}

func wrongLogin(a *testapp.App, user string, headers ...string) testapp.Response {
	return a.Do("", "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": "not-the-password"}, headers...)
}

// want429 fails unless a sign-in was refused for throttling, saying when to come back.
func want429(t *testing.T, what string, res testapp.Response) {
	t.Helper()
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); res.Status != 429 || err != nil || s < 1 ||
		res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s: %d (Retry-After %q, %s) %s, want a 429 problem with Retry-After", what, res.Status,
			res.Header.Get("Retry-After"), res.Header.Get("Content-Type"), res.Body)
	}
}

// TestForwardedAddressesAreBelievedOnlyFromTrustedProxies is issue 19's first "done when": 30 failed sign-ins
// from one address bring 429; rotating X-Forwarded-For / X-Real-IP does not get round it when no proxy is
// trusted; with the client's address configured as a trusted proxy the forwarded address is the client, and
// is throttled on its own.
func TestForwardedAddressesAreBelievedOnlyFromTrustedProxies(t *testing.T) {
	a := testapp.New(t)
	// Different names each time, so only the per-address limit can apply.
	for i := 0; i < 30; i++ {
		if res := wrongLogin(a, fmt.Sprintf("stranger-%d", i)); res.Status != 401 {
			t.Fatalf("failure %d: %d %s, want 401", i+1, res.Status, res.Body)
		}
	}
	want429(t, "31st attempt from one address", wrongLogin(a, "stranger-31"))
	for i := 0; i < 40; i++ {
		res := wrongLogin(a, fmt.Sprintf("rotating-%d", i),
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1), "X-Real-IP", fmt.Sprintf("198.51.100.%d", i+1))
		want429(t, fmt.Sprintf("spoofed attempt %d", i+1), res)
	}

	// Behind a trusted proxy the forwarded address is the client: the proxy's own block does not apply to it…
	b := a.With(loopbackProxy(t))
	far := []string{"X-Forwarded-For", "203.0.113.7"}
	for i := 0; i < 30; i++ {
		if res := wrongLogin(b, fmt.Sprintf("faraway-%d", i), far...); res.Status != 401 {
			t.Fatalf("forwarded failure %d: %d %s, want 401", i+1, res.Status, res.Body)
		}
	}
	// …and it is throttled on its own, including when it writes a clean address to the left of the proxy's entry.
	want429(t, "31st attempt from the forwarded address", wrongLogin(b, "faraway-31", far...))
	want429(t, "a spoofed left-most entry", wrongLogin(b, "faraway-32", "X-Forwarded-For", "192.0.2.1, 203.0.113.7"))
	if res := wrongLogin(b, "neighbour", "X-Forwarded-For", "203.0.113.8"); res.Status != 401 {
		t.Fatalf("another forwarded address: %d %s, want 401 (throttled on its own)", res.Status, res.Body)
	}

	// The audit log holds the addresses that were believed, never the spoofed ones.
	rows, err := a.Store.Pool.Query(t.Context(), `SELECT DISTINCT after->>'addr' FROM audit_log WHERE action = 'login-throttled' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, s)
	}
	rows.Close()
	if fmt.Sprint(addrs) != "[127.0.0.1 203.0.113.7]" {
		t.Fatalf("refused sign-ins audited from %v, want [127.0.0.1 203.0.113.7]", addrs)
	}
}

// TestAttackerCannotLockTheOwnerOut is issue 19's second "done when": 50 wrong passwords for a user from one
// address; the user's right password from another address signs in (no flat 429), the user is told how many
// attempts failed, and the admin's throttle view shows both the attacking pair and the account's slow-down.
func TestAttackerCannotLockTheOwnerOut(t *testing.T) {
	a := testapp.New(t)
	b := a.With(loopbackProxy(t)) // so that the test can speak from two addresses
	attacker := []string{"X-Forwarded-For", "203.0.113.66"}
	owner := []string{"X-Forwarded-For", "198.51.100.20"}
	answers := map[int]int{}
	for i := 0; i < 50; i++ {
		res := wrongLogin(b, "leader1", attacker...)
		answers[res.Status]++
		if res.Status == 429 {
			want429(t, fmt.Sprintf("attempt %d", i+1), res)
		}
	}
	if answers[401]+answers[429] != 50 || answers[401] == 0 || answers[429] == 0 {
		t.Fatalf("50 wrong passwords answered %v, want some 401 and then 429", answers)
	}
	// The attacking address is held back even with the right password…
	want429(t, "right password from the attacking address",
		b.Do("", "POST", "/api/v1/auth/login", map[string]string{"username": "leader1", "password": testapp.Password}, attacker...))
	// …but the owner, elsewhere, signs in, and learns of the 51 attempts that did not.
	res := b.Do("", "POST", "/api/v1/auth/login", map[string]string{"username": "leader1", "password": testapp.Password}, owner...).MustStatus(t, 200)
	login := res.JSON()
	if n, _ := login["failed_attempts_since_last_login"].(float64); n != 51 {
		t.Fatalf("failed_attempts_since_last_login = %v after 51 refused attempts: %s", login["failed_attempts_since_last_login"], res.Body)
	}
	b.Tokens["owner"] = login["token"].(string)
	me := b.Do("owner", "GET", "/api/v1/auth/me", nil).MustStatus(t, 200).JSON()
	if n, _ := me["failed_attempts_since_last_login"].(float64); n != 51 || me["username"] != "leader1" {
		t.Fatalf("/auth/me after the attack: %v", me)
	}

	// The admin sees the attacking pair and the account's slow-down, both refusing, and nothing against the owner.
	var view struct {
		Throttles []struct {
			ID           int64      `json:"id"`
			Scope        string     `json:"scope"`
			Username     string     `json:"username"`
			Addr         string     `json:"addr"`
			Failures     int        `json:"failures"`
			BlockedUntil *time.Time `json:"blocked_until"`
		} `json:"throttles"`
	}
	a.Do("admin", "GET", "/api/v1/admin/throttles", nil).MustStatus(t, 200).Decode(t, &view)
	ids := map[string]int64{}
	for _, th := range view.Throttles {
		if th.Addr == "198.51.100.20" {
			t.Errorf("a throttle counts against the owner's address: %+v", th)
		}
		if th.BlockedUntil == nil || !th.BlockedUntil.After(time.Now()) || th.Failures != 51 {
			continue
		}
		switch {
		case th.Scope == "account-address" && th.Username == "leader1" && th.Addr == "203.0.113.66":
			ids["pair"] = th.ID
		case th.Scope == "account" && th.Username == "leader1":
			ids["account"] = th.ID
		case th.Scope == "address" && th.Addr == "203.0.113.66":
			ids["address"] = th.ID
		}
	}
	if len(ids) != 3 {
		t.Fatalf("throttle view %+v: want the pair (leader1, 203.0.113.66), the account leader1 and the address blocking after 51 failures", view.Throttles)
	}
	// Clearing the pair and the address lets that address in again (the account's slow-down spares clean addresses).
	a.Do("admin", "DELETE", fmt.Sprintf("/api/v1/admin/throttles/%d", ids["pair"]), nil).MustStatus(t, 204)
	a.Do("admin", "DELETE", fmt.Sprintf("/api/v1/admin/throttles/%d", ids["pair"]), nil).MustStatus(t, 404)
	a.Do("admin", "DELETE", fmt.Sprintf("/api/v1/admin/throttles/%d", ids["address"]), nil).MustStatus(t, 204)
	b.Do("", "POST", "/api/v1/auth/login", map[string]string{"username": "leader1", "password": testapp.Password}, attacker...).MustStatus(t, 200)
}
