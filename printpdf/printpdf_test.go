package printpdf

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"everymeter/internal/ci"
)

// TestFromHTML prints a Chinese page and reads its text back with poppler's pdftotext, an independent reader.
func TestFromHTML(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		ci.Missing(t, "pdftotext (poppler-utils) is not installed")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pdf, err := FromHTML(ctx, `<!doctype html><meta charset="utf-8"><style>@page{size:A4;margin:15mm}</style>
<h1>路段长公示牌</h1><p>责任单位：城关镇人民政府</p>`, Options{Paper: A4})
	if errors.Is(err, ErrNoBrowser) {
		ci.Missing(t, "%v", err)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	f := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"路段长公示牌", "城关镇人民政府"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the PDF's text lacks %q: %q", want, out)
		}
	}
	info, err := exec.Command("pdfinfo", f).Output()
	if err == nil && !strings.Contains(string(info), "(A4)") { // pdfinfo names the paper it measured
		t.Errorf("not A4: %s", info)
	}
}
