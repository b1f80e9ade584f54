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

	"everymeter/internal/testapp"
)

// TestIdempotentFilingUnderLoad: 200 clients each file 50 reports over HTTP, sending each one once or twice with the
// same Idempotency-Key (some retries while the first attempt is still in flight, as a phone that timed out would).
// Exactly 10,000 reports must exist afterwards, each retry must get the same report, and exactly one attempt per
// key must get 201.
func TestIdempotentFilingUnderLoad(t *testing.T) {
	const clients, perClient = 200, 50
	a := testapp.New(t)
	// A category without a default unit, pinned where nothing is mapped: the test measures filing, not routing.
	a.Do("admin", "POST", "/api/v1/categories", map[string]any{"code": "FAST-01", "name_zh": "测试", "type": "event", "time_limit_hours": 1}).MustStatus(t, 201)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 16, MaxIdleConnsPerHost: 16}}
	defer client.CloseIdleConnections()
	post := func(key string, body []byte) (int, int64, error) {
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
	var created, attempts atomic.Int64
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
				ids := make([]int64, tries)
				var inner sync.WaitGroup
				var fail error
				var mu sync.Mutex
				for i := range tries {
					send := func() {
						status, id, err := post(key, body)
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
					if i > 0 && rng.IntN(2) == 0 {
						inner.Add(1) // a retry racing the attempt before it
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
	t.Logf("%d attempts → %d reports", attempts.Load(), n)
}
