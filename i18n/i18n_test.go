package i18n

import "testing"

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
	defer func() {
		if recover() == nil {
			t.Error("registering a key twice with another text must panic")
		}
	}()
	Register(map[string]string{"test: %d of %s": "别的"})
}
