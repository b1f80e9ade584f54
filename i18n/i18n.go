// Package i18n chooses the language of every server message and holds their translations. Messages are written in
// English in the code (the English text is the key, as gettext's msgid); each feature registers its zh-CN texts in a
// file of its own here (zh_<feature>.go), so features added side by side never edit one shared table. zh-CN is the
// default; English is chosen only when the client asks for it (Accept-Language, or the app's switch).
//
// A format with arguments is translated before it is filled: a translation may reorder them with explicit indexes
// (%[2]s … %[1]d), as fmt allows.
package i18n

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// Lang is a language everymeter speaks.
type Lang string

// The languages everymeter speaks; Chinese is the default.
const (
	Chinese Lang = "zh-CN"
	English Lang = "en"
)

var (
	mu sync.RWMutex
	zh = map[string]string{}
	// conflicts are keys registered twice with different texts.
	conflicts []string

	matcher = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})
)

// Register adds zh-CN translations (English text → Chinese text). It is meant for init functions. A key registered
// twice with different texts keeps the first and is listed by Conflicts (a test fails on it): a server must still
// start, but one of the two features would be silently wrong.
func Register(m map[string]string) {
	mu.Lock()
	defer mu.Unlock()
	for k, v := range m {
		if old, ok := zh[k]; ok {
			if old != v {
				conflicts = append(conflicts, fmt.Sprintf("%q: %q and %q", k, old, v))
			}
			continue
		}
		zh[k] = v
	}
}

// Conflicts lists the keys registered twice with different texts.
func Conflicts() []string {
	mu.RLock()
	defer mu.RUnlock()
	return append([]string(nil), conflicts...)
}

// Has reports whether a zh-CN text is registered for the English key (tests use it to find untranslated messages).
func Has(key string) bool {
	mu.RLock()
	defer mu.RUnlock()
	_, ok := zh[key]
	return ok
}

// FromHeader picks the language from an Accept-Language header: English only when English is preferred to Chinese,
// Chinese for everything else, a missing or malformed header included.
func FromHeader(accept string) Lang {
	if strings.TrimSpace(accept) == "" {
		return Chinese
	}
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return Chinese
	}
	_, i, conf := matcher.Match(tags...)
	if i == 1 && conf != language.No {
		return English
	}
	return Chinese
}

// T translates one message without arguments; a message with no translation is returned as it is.
func T(l Lang, key string) string {
	if l == English {
		return key
	}
	mu.RLock()
	defer mu.RUnlock()
	if v, ok := zh[key]; ok {
		return v
	}
	return key
}

// F translates a format and fills it with args; arguments that are messages themselves (Key, Msg, Msgs) are
// translated too.
func F(l Lang, format string, args ...any) string {
	if len(args) == 0 {
		return T(l, format)
	}
	return fmt.Sprintf(T(l, format), localize(l, args)...)
}
