package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"everymeter/internal/testdb"
)

// TestImportFeedbackCommand runs `everymeter import feedback` twice on a CSV list: the row with coordinates is
// filed, the row without a usable place is printed with why, and the second run files nothing.
func TestImportFeedbackCommand(t *testing.T) {
	_, url := testdb.New(t)
	bin := binary(t)
	list := filepath.Join(t.TempDir(), "反馈.csv")
	csv := "\ufeff序号,点位,问题描述,经度,纬度\n1,人民路口,暴露垃圾,117.1,36.2\n2,县医院门口,小广告,,\n"
	if err := os.WriteFile(list, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() string {
		t.Helper()
		cmd := exec.Command(bin, "import", "feedback", list, "--rectify-by", "2026-12-31")
		cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("import feedback: %v\n%s", err, out)
		}
		return string(out)
	}
	first := run()
	if !strings.Contains(first, "2 rows: 1 filed, 0 filed before, 1 to pin by hand") || !strings.Contains(first, "县医院门口") {
		t.Errorf("first import printed:\n%s", first)
	}
	if again := run(); !strings.Contains(again, "2 rows: 0 filed, 1 filed before, 1 to pin by hand") {
		t.Errorf("second import printed:\n%s", again)
	}
}
