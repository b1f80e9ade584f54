// Command table ends `make bench`: it reads the rows the benchmarks appended (bench/row), prints them as one
// table and writes BENCH.md with them.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"everymeter/bench/row"
)

func main() {
	rows := flag.String("rows", os.Getenv(row.Env), "the JSON-lines file the benchmarks appended to")
	out := flag.String("out", "BENCH.md", "the Markdown file to write")
	took := flag.Duration("took", 0, "how long the benchmarks ran (for the header)")
	flag.Parse()
	f, err := os.Open(*rows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench table:", err)
		os.Exit(1)
	}
	defer f.Close()
	rs, err := row.Read(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench table:", err)
		os.Exit(1)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# make bench\n\nMeasured %s on %d CPUs (shared with other work: absolute figures are noisy, the ratios are\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU())
	fmt.Fprintf(&b, "measured side by side in the same run; the load average at each row says how busy the box was).")
	if *took > 0 {
		fmt.Fprintf(&b, " The benchmarks took %s.", took.Round(time.Second))
	}
	fmt.Fprintf(&b, " A ratio above 1 means everymeter does the same work faster than the baseline.\n\n")
	row.Markdown(&b, rs)
	os.Stdout.Write(b.Bytes())
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench table:", err)
		os.Exit(1)
	}
	if len(rs) == 0 {
		fmt.Fprintln(os.Stderr, "bench table: no rows; did the benchmarks run?")
		os.Exit(1)
	}
}
