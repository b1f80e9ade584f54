package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"everymeter/pgctl"
	"everymeter/server"
	"everymeter/store"
)

// TestDatabaseRestartUnderLoad stops PostgreSQL in the middle of a write load and starts it again: the
// server must answer 503 (never hang) while the database is down, recover by itself, and every write it
// acknowledged must be in the database afterwards.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "emfault")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := pgctl.New(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Lock(); err != nil {
		t.Fatal(err)
	}
	defer c.Unlock()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.ForceStop(context.Background()) //nolint:errcheck
	if _, err := store.Migrate(ctx, c.URL()); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, c.URL(), 20)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, svc := server.Build(st, log, server.Options{DataDir: dir})
	srv := httptest.NewServer(e)
	defer srv.Close()
	if _, err := svc.AddUser(ctx, "p", "planner", "", "password-1"); err != nil {
		t.Fatal(err)
	}
	res, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"p","password":"password-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	var tok string
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Sscanf(string(b[strings.Index(string(b), `"token":"`)+9:]), "%43s", &tok)

	client := &http.Client{Timeout: 10 * time.Second}
	var (
		mu          sync.Mutex
		acked       []string
		status      = map[int]int{}
		hung        atomic.Int64
		stop        atomic.Bool
		wg          sync.WaitGroup
		seq         atomic.Int64
		downAnswers atomic.Int64
		down        atomic.Bool
	)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				code := fmt.Sprintf("U%d", seq.Add(1))
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/units", strings.NewReader(`{"code":"`+code+`","name":"单位","kind":"team"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				wasDown := down.Load()
				res, err := client.Do(req)
				if err != nil {
					hung.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				status[res.StatusCode]++
				if res.StatusCode == 201 {
					acked = append(acked, code)
				}
				mu.Unlock()
				if wasDown && down.Load() && res.StatusCode == 503 {
					downAnswers.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(1 * time.Second)
	down.Store(true)
	if err := c.ForceStop(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	down.Store(false)
	// Recovery: writes succeed again within a few seconds without anyone touching the server.
	recovered := false
	for i := 0; i < 100 && !recovered; i++ {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		recovered = len(acked) > n
		mu.Unlock()
	}
	time.Sleep(1 * time.Second)
	stop.Store(true)
	wg.Wait()

	t.Logf("answers: %v; requests that failed at the client: %d; 503s while down: %d", status, hung.Load(), downAnswers.Load())
	if !recovered {
		t.Fatal("the server did not recover after PostgreSQL came back")
	}
	if hung.Load() > 0 {
		t.Fatalf("%d requests hung or broke the connection instead of answering", hung.Load())
	}
	if downAnswers.Load() == 0 {
		t.Fatal("no 503 answers while the database was down")
	}
	for code := range status {
		if code >= 500 && code != 503 {
			t.Fatalf("unexpected %d answers: %v", code, status)
		}
	}
	// Every acknowledged write is there.
	for _, code := range acked {
		if _, err := st.UnitByCode(ctx, code); err != nil {
			t.Fatalf("acknowledged unit %s lost: %v", code, err)
		}
	}
	if len(acked) < 50 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
}
