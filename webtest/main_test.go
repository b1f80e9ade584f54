package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"everymeter/internal/ci"
)

// browser is the one Chromium every test of the package opens its pages in (started by TestMain);
// noBrowser says why there is none.
var (
	browser   context.Context
	noBrowser string
)

// chromiumPath finds the browser: $CHROMIUM, else the first chromium on PATH (so a test can put a broken one
// first), else the Debian places.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	// Screenshots of failures from an earlier run would mislead: they go before this run starts.
	if dir, err := os.Getwd(); err == nil {
		old, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "artifacts", "screenshots", "FAILED-*.png"))
		for _, f := range old {
			os.Remove(f)
		}
	}
	path := chromiumPath()
	if path == "" {
		noBrowser = "chromium is not installed (apt-get install chromium, or `make test` installs it)"
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "everymeter-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	// Root in a container with no network: no sandbox, no GPU, and nothing that phones home.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(dir), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.WindowSize(1280, 800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx); err != nil { // the first Run starts the browser; it must not carry a timeout
		noBrowser = "chromium did not start: " + err.Error()
	}
	browser = bctx
	return m.Run()
}

// needBrowser skips the test without Chromium, or fails it under CI=true (where it must run).
func needBrowser(t *testing.T) {
	t.Helper()
	if noBrowser == "" {
		return
	}
	ci.Missing(t, "%s", noBrowser)
}

// page is one browser tab in its own browser context (fresh storage) with a fixed viewport.
type page struct {
	t   *testing.T
	ctx context.Context
	url string // the site's base URL

	mu     sync.Mutex
	closed bool
	logs   []string
}

// newPage opens a tab of width×height CSS pixels (mobile: touch and a phone's device metrics) on base.
func newPage(t *testing.T, base string, width, height int64, mobile bool) *page {
	t.Helper()
	needBrowser(t)
	p := &page{t: t, url: base}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	t.Cleanup(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		cancel()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	// Each step gets its own deadline from p.run; this bounds the whole page.
	ctx, tcancel := context.WithTimeout(ctx, slack*150*time.Second)
	t.Cleanup(tcancel)
	p.ctx = ctx
	vp := []chromedp.EmulateViewportOption{}
	if mobile {
		vp = append(vp, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do("viewport", chromedp.EmulateViewport(width, height, vp...))
	return p
}

// listen keeps the page's console messages and uncaught exceptions for the failure report.
func (p *page) listen(ev any) {
	var line string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			if a.Value != nil {
				parts = append(parts, string(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		line = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
	case *runtime.EventExceptionThrown:
		line = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			line += " " + e.ExceptionDetails.Exception.Description
		}
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.logs = append(p.logs, line)
	}
}

// fail reports what the page logged and stops the test.
func (p *page) fail(format string, args ...any) {
	p.t.Helper()
	p.mu.Lock()
	logs := strings.Join(p.logs, "\n  ")
	p.mu.Unlock()
	p.screenshot("FAILED-" + strings.ReplaceAll(p.t.Name(), "/", "-"))
	if logs != "" {
		p.t.Logf("browser console:\n  %s", logs)
	}
	p.t.Fatalf(format, args...)
}

// do runs browser steps with a deadline, failing the test with what was being done.
func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, slack*30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (promises awaited) into T.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, slack*30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("eval %s: %v", js, err)
	}
	return v
}

// slack stretches every wait: `make test` runs all packages at once under -race on two cores, where a
// page that takes one second alone can take ten. Waits end as soon as their condition holds.
const slack = 3

// waitJS polls a JavaScript predicate until it is truthy (or slack × timeout passes).
func (p *page) waitJS(what, predicate string, timeout time.Duration) {
	p.t.Helper()
	timeout *= slack
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](predicate, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		p.fail("waiting for %s (%s): %v", what, predicate, err)
	}
}

// signIn loads the app and signs in through the login form, waiting for the role's first view.
func (p *page) signIn(user, password, view string) {
	p.t.Helper()
	p.do("sign in as "+user,
		chromedp.Navigate(p.url+"/"),
		chromedp.WaitVisible("#login-username"),
		chromedp.SendKeys("#login-username", user),
		chromedp.SendKeys("#login-password", password),
		chromedp.Click("#login-submit"),
	)
	p.waitJS(view+" view", fmt.Sprintf(`document.body.dataset.view === %q && !!window.everymeterMap`, view), 20*time.Second)
}

// screenshot saves the viewport as <repo>/artifacts/screenshots/<name>.png (outside git).
func (p *page) screenshot(name string) string {
	p.t.Helper()
	dir := filepath.Join(repoRoot(p.t), "artifacts", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Errorf("screenshot dir: %v", err)
		return ""
	}
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
	p.t.Logf("screenshot %s", path)
	return path
}

// repoRoot is the directory of go.mod above the package.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return filepath.Dir(dir)
		}
	}
}
