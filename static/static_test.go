package static_test

import (
	"bytes"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"everymeter/static"
	"everymeter/vocab"
)

// TestVocabJSCurrent fails when static/app/vocab.js, the web app's vocabulary, no longer matches package vocab.
func TestVocabJSCurrent(t *testing.T) {
	got, err := static.FS.ReadFile("app/vocab.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, vocab.JS()) {
		t.Fatal("static/app/vocab.js is stale: run go generate ./static and commit it")
	}
}

// TestServiceWorkerShell holds the service worker's app shell to the files the app loads: every module, style and
// icon under app/ and every vendor file index.html loads is cached for opening offline, and every cached path
// exists (a missing one would leave a hole the app falls into with no signal).
func TestServiceWorkerShell(t *testing.T) {
	sw, err := static.FS.ReadFile("app/sw.js")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(sw, []byte("const SHELL = ["))
	end := bytes.Index(sw[start:], []byte("];"))
	if start < 0 || end < 0 {
		t.Fatal("sw.js has no SHELL list")
	}
	shell := map[string]bool{}
	for _, m := range regexp.MustCompile(`'([^']+)'`).FindAllSubmatch(sw[start:start+end], -1) {
		shell[string(m[1])] = true
	}
	entries, err := fs.ReadDir(static.FS, "app")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := "/app/" + e.Name(); e.Name() != "sw.js" && !shell[name] {
			t.Errorf("%s is not in the service worker's shell", name)
		}
	}
	index, err := static.FS.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllSubmatch(index, -1) {
		if p := string(m[1]); !shell[p] {
			t.Errorf("index.html loads %s, which the service worker does not cache", p)
		}
	}
	for p := range shell {
		if p == "/" {
			continue
		}
		if _, err := fs.Stat(static.FS, strings.TrimPrefix(p, "/")); err != nil {
			t.Errorf("the shell caches %s, which the app does not have", p)
		}
	}
}
