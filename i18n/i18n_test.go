package i18n

import (
	"strings"
	"testing"
)

func TestFromHeader(t *testing.T) {
	for _, c := range []struct {
		header string
		want   Lang
	}{
		{"", Chinese},
		{"zh-CN,zh;q=0.9,en;q=0.8", Chinese},
		{"en-US,en;q=0.9", English},
		{"en;q=0.5,zh;q=0.9", Chinese},
		{"fr-FR", Chinese},
		{"fr-FR,en;q=0.5", English},
		{"zh-TW", Chinese},
		{";;;garbage", Chinese},
	} {
		if got := FromHeader(c.header); got != c.want {
			t.Errorf("FromHeader(%q) = %s, want %s", c.header, got, c.want)
		}
	}
}

func TestTranslate(t *testing.T) {
	Register(map[string]string{"test: %d of %s": "测试：%[2]s 的第 %[1]d 个"})
	if got := F(Chinese, "test: %d of %s", 3, "路"); got != "测试：路 的第 3 个" {
		t.Errorf("zh = %q", got)
	}
	if got := F(English, "test: %d of %s", 3, "road"); got != "test: 3 of road" {
		t.Errorf("en = %q", got)
	}
	if got := T(Chinese, "no translation here"); got != "no translation here" {
		t.Errorf("untranslated = %q", got)
	}
	before := len(Conflicts())
	Register(map[string]string{"test: %d of %s": "别的"})
	if len(Conflicts()) != before+1 || T(Chinese, "test: %d of %s") != "测试：%[2]s 的第 %[1]d 个" {
		t.Error("a key registered twice with another text must keep the first and be listed as a conflict")
	}
}

// TestNoConflicts fails when two features registered one English key with different Chinese texts.
func TestNoConflicts(t *testing.T) {
	for _, c := range Conflicts() {
		if !strings.Contains(c, "别的") { // TestTranslate's own
			t.Errorf("registered twice: %s", c)
		}
	}
}
