package i18n

import "strings"

// Key is a message argument that is itself an English key: F translates it before filling the format.
type Key string

// Msg is a message kept in its parts, an English format and its arguments, so that it can be stored and rendered
// later in either language. Its arguments are text already (numbers formatted by the caller), so a Msg survives a
// JSON round trip unchanged; its format therefore uses only %s verbs (or %[n]s).
type Msg struct {
	Format string   `json:"f"`
	Args   []string `json:"a,omitempty"`
}

// M builds a Msg.
func M(format string, args ...string) Msg { return Msg{Format: format, Args: args} }

// In renders the message in l.
func (m Msg) In(l Lang) string {
	if len(m.Args) == 0 {
		return T(l, m.Format)
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		args[i] = a
	}
	return F(l, m.Format, args...)
}

// String renders the message in English.
func (m Msg) String() string { return m.In(English) }

// Msgs is a message of several steps, rendered joined by "; " (a routing reason: what was tried, what decided).
type Msgs []Msg

// In renders every step in l.
func (ms Msgs) In(l Lang) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.In(l)
	}
	sep := "; "
	if l == Chinese {
		sep = "；"
	}
	return strings.Join(parts, sep)
}

// String renders the steps in English.
func (ms Msgs) String() string { return ms.In(English) }

func localize(l Lang, args []any) []any {
	var out []any
	for i, a := range args {
		var s string
		switch v := a.(type) {
		case Key:
			s = T(l, string(v))
		case Msg:
			s = v.In(l)
		case Msgs:
			s = v.In(l)
		default:
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = s
	}
	if out == nil {
		return args
	}
	return out
}
