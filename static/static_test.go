package static_test

import (
	"bytes"
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
