// Package printpdf turns an HTML page into a PDF with headless Chromium (the same browser the tests drive), so that
// every printed document — sign boards, 责任书, briefings, ledgers — is laid out once, in HTML and CSS, with the
// CJK fonts the system has. One browser is started on first use and shared; each document gets its own tab.
package printpdf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Paper is a page size in inches (what the DevTools protocol takes).
type Paper struct{ Width, Height float64 }

// Paper sizes used by county offices.
var (
	A4 = Paper{8.27, 11.69}
	A3 = Paper{11.69, 16.54}
)

// Options choose the paper and orientation; the zero value is A4 portrait with the page's own margins (CSS @page).
type Options struct {
	Paper     Paper
	Landscape bool
}

// ErrNoBrowser means no Chromium is installed; handlers answer 503 with it rather than a broken document.
var ErrNoBrowser = errors.New("printpdf: chromium is not installed (apt-get install chromium fonts-noto-cjk)")

var (
	mu      sync.Mutex
	browser context.Context
	dataDir string
)

// executable finds Chromium under the names Debian and other systems use.
func executable() string {
	if p := os.Getenv("EVERYMETER_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// start launches the shared browser once; a browser that died is started again on the next call.
func start() (context.Context, error) {
	mu.Lock()
	defer mu.Unlock()
	if browser != nil && browser.Err() == nil {
		return browser, nil
	}
	path := executable()
	if path == "" {
		return nil, ErrNoBrowser
	}
	if dataDir == "" {
		d, err := os.MkdirTemp("", "everymeter-print-")
		if err != nil {
			return nil, err
		}
		dataDir = d
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(dataDir), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"),
	}
	actx, _ := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, _ := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		return nil, fmt.Errorf("printpdf: start chromium: %w", err)
	}
	browser = bctx
	return browser, nil
}

// FromHTML prints one self-contained HTML document (inline CSS, images as data: URLs or inline SVG) to PDF.
func FromHTML(ctx context.Context, html string, o Options) ([]byte, error) {
	b, err := start()
	if err != nil {
		return nil, err
	}
	if o.Paper == (Paper{}) {
		o.Paper = A4
	}
	tab, cancel := chromedp.NewContext(b)
	defer cancel()
	// The tab lives under the browser's context; the caller's deadline still bounds the work.
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		return nil, fmt.Errorf("printpdf: %w", err)
	}
	tree, err := chromedp.Call(tab, page.GetFrameTree, cdp.Empty{})
	if err == nil {
		_, err = chromedp.Call(tab, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html})
	}
	var pdf []byte
	if err == nil {
		opts := []chromedp.PDFOption{chromedp.PDFPaper(chromedp.PaperSize(o.Paper)), chromedp.PDFPrintBackground(), chromedp.PDFPreferCSSPageSize()}
		if o.Landscape {
			opts = append(opts, chromedp.PDFLandscape())
		}
		pdf, err = chromedp.Run(tab, chromedp.PrintToPDF(opts...))
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("printpdf: %w", err)
	}
	return pdf, nil
}
