// Command vocabjs writes the web app's copy of package vocab (run by `go generate ./static`).
package main

import (
	"fmt"
	"os"

	"everymeter/vocab"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vocabjs OUTPUT.js")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], vocab.JS(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "vocabjs:", err)
		os.Exit(1)
	}
}
