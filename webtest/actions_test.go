package webtest

import (
	"os/exec"
	"runtime"

	"github.com/chromedp/chromedp"
)

// Short names for the browser steps the journeys use.
var (
	click    = func(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(sel, chromedp.NodeVisible) }
	sendKeys = func(sel, v string) chromedp.Action[chromedp.Void] {
		return chromedp.SendKeys(sel, v, chromedp.NodeVisible)
	}
	reload = chromedp.Reload
)

// navigateAndWait loads url and waits until sel is visible.
func navigateAndWait(url, sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Navigate(url), chromedp.WaitVisible(sel))
}

func runtimeCores() int { return runtime.GOMAXPROCS(0) }

// chromiumVersion is what `chromium --version` prints, for the figures' record.
func chromiumVersion() string {
	out, err := exec.Command(chromiumPath(), "--version").Output()
	if err != nil {
		return "chromium (version unknown)"
	}
	return string(out)
}
