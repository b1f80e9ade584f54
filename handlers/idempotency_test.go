package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"everymeter/internal/testapp"
)

// barrier holds requests inside the server, past every middleware of the app and just before the handler, until
// all the attempts announced for their Idempotency-Key have arrived: a raced retry then truly overlaps the attempt
// before it instead of merely being sent soon after it.
type barrier struct {
	mu    sync.Mutex
	gates map[string]*gate
}

type gate struct {
	want, arrived int
	open          chan struct{}
}

// expect announces that n attempts with key will come, to be let in together.
func (b *barrier) expect(key string, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gates[key] = &gate{want: n, open: make(chan struct{})}
}

// middleware lets a request in at once unless its key was announced; then it waits for the other attempts.
func (b *barrier) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		b.mu.Lock()
		g := b.gates[c.Request().Header.Get("Idempotency-Key")]
		if g != nil {
			if g.arrived++; g.arrived == g.want {
				close(g.open)
			}
		}
		b.mu.Unlock()
		if g != nil {
			select {
			case <-g.open:
			case <-time.After(30 * time.Second):
				return echo.NewHTTPError(http.StatusGatewayTimeout, "barrier: the other attempt never arrived")
			}
		}
		return next(c)
	}
}

// TestIdempotentFilingUnderLoad: 200 clients each file 50 reports over HTTP, sending each one once or twice with the
// same Idempotency-Key. Half the retries race the first attempt, as a phone that timed out would: a barrier in the
// server holds both attempts until both have arrived, so they are handled at the same time. Exactly 10,000 reports
// must exist afterwards, one per key, each retry must get the same report, and exactly one attempt per key must
// get 201.
func TestIdempotentFilingUnderLoad(t *testing.T) {
	const clients, perClient = 200, 50
	a := testapp.New(t)
	hold := &barrier{gates: map[string]*gate{}}
	a.Echo.Use(hold.middleware) // global middleware applies per request, so it holds from the next request on
	// A category without a default unit, pinned where nothing is mapped: the test measures filing, not routing.
	a.Do("admin", "POST", "/api/v1/categories", map[string]any{"code": "FAST-01", "name_zh": "测试", "type": "event", "time_limit_hours": 1}).MustStatus(t, 201)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 16, MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	// A raced retry has a connection of its own: were it to queue behind attempts the barrier holds, waiting for
	// their own partners, the barrier could hold every connection of the shared client at once.
	retryClient := &http.Client{Transport: &http.Transport{}}
	defer retryClient.CloseIdleConnections()
	post := func(client *http.Client, key string, body []byte) (int, int64, error) {
		req, _ := http.NewRequest("POST", a.URL+"/api/v1/reports", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.Tokens["inspector"])
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var out struct {
			Report struct {
				ID int64 `json:"id"`
			} `json:"report"`
		}
		if res.StatusCode != 200 && res.StatusCode != 201 {
			return res.StatusCode, 0, fmt.Errorf("status %d: %s", res.StatusCode, b)
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return 0, 0, err
		}
		return res.StatusCode, out.Report.ID, nil
	}
	var created, attempts, raced atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			for r := range perClient {
				key := fmt.Sprintf("client-%d-report-%d", c, r)
				body, _ := json.Marshal(map[string]any{
					"geometry": map[string]any{"type": "Point", "coordinates": []float64{10 + float64(c)*0.01, 10 + float64(r)*0.01}},
					"category": "FAST-01", "description": key,
				})
				tries := 1 + rng.IntN(2)
				race := tries == 2 && rng.IntN(2) == 0
				if race {
					hold.expect(key, tries)
					raced.Add(1)
				}
				ids := make([]int64, tries)
				var inner sync.WaitGroup
				var fail error
				var mu sync.Mutex
				for i := range tries {
					send := func() {
						hc := client
						if race && i > 0 {
							hc = retryClient
						}
						status, id, err := post(hc, key, body)
						attempts.Add(1)
						mu.Lock()
						defer mu.Unlock()
						if err != nil {
							fail = err
							return
						}
						if status == 201 {
							created.Add(1)
						}
						ids[i] = id
					}
					if race {
						inner.Add(1) // both attempts at once; the barrier lets them in together
						go func() { defer inner.Done(); send() }()
					} else {
						send()
					}
				}
				inner.Wait()
				if fail != nil {
					errs <- fmt.Errorf("%s: %w", key, fail)
					return
				}
				for _, id := range ids {
					if id != ids[0] {
						errs <- fmt.Errorf("%s: retries got reports %v", key, ids)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := a.Store.CountReports(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n != clients*perClient || created.Load() != clients*perClient {
		t.Fatalf("%d reports stored and %d answered 201 after %d attempts; want exactly %d", n, created.Load(), attempts.Load(), clients*perClient)
	}
	// One report per key, counted in the database (not from the answers): a raced pair must not have made two.
	var keys, twice int
	if err := a.Store.DB().QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE n <> 1) FROM
			(SELECT idempotency_key, count(*) AS n FROM reports WHERE idempotency_key LIKE 'client-%' GROUP BY 1) k`).Scan(&keys, &twice); err != nil {
		t.Fatal(err)
	}
	if keys != clients*perClient || twice != 0 {
		t.Fatalf("%d keys in the database, %d of them with other than one report; want %d keys, one report each", keys, twice, clients*perClient)
	}
	// The barrier must really have held pairs together; with 10,000 keys about 2,500 race.
	if r := raced.Load(); r < clients*perClient/8 {
		t.Fatalf("only %d raced pairs; the test no longer races retries", r)
	}
	t.Logf("%d attempts (%d pairs held together in the server) → %d reports", attempts.Load(), raced.Load(), n)
}
