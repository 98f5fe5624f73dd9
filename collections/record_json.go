package collections

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// plainASCII marks the bytes that JSON strings carry unescaped.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string, escaping as encoding/json does
// (including <, >, & and U+2028/U+2029) and replacing invalid UTF-8.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// ParseProjection reads PocketBase's "fields" parameter: a comma separated
// list of field names, "*" for all, dotted paths into "expand", and the
// ":excerpt(maxLength, withEllipsis?)" modifier on text fields. An empty
// string returns nil (everything).
func ParseProjection(s string) (*Projection, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	root := &Projection{fields: map[string]*Projection{}}
	for _, item := range splitTopLevel(s) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		path, mod, _ := strings.Cut(item, ":")
		var leaf *Projection
		if mod != "" {
			n, ellipsis, ok := parseExcerpt(mod)
			if !ok {
				return nil, Errorf(EINVALID, "Invalid fields modifier %q: expected excerpt(maxLength, withEllipsis?).", mod)
			}
			leaf = &Projection{all: true, excerpt: n, ellipsis: ellipsis}
		}
		node := root
		parts := strings.Split(path, ".")
		for i, part := range parts {
			if part == "" {
				return nil, Errorf(EINVALID, "Invalid fields parameter %q.", item)
			}
			if part == "*" {
				if i != len(parts)-1 {
					return nil, Errorf(EINVALID, "Invalid fields parameter %q.", item)
				}
				node.all = true
				break
			}
			if i == len(parts)-1 {
				if _, seen := node.fields[part]; !seen || leaf != nil {
					node.fields[part] = leaf
				}
				break
			}
			next, ok := node.fields[part]
			if !ok || next == nil {
				if ok && next == nil {
					// "a" then "a.b": "a" already asks for everything.
					break
				}
				next = &Projection{fields: map[string]*Projection{}}
				node.fields[part] = next
			}
			node = next
		}
	}
	return root, nil
}

func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseExcerpt(mod string) (int, bool, bool) {
	args, ok := strings.CutPrefix(mod, "excerpt(")
	if !ok || !strings.HasSuffix(args, ")") {
		return 0, false, false
	}
	parts := strings.Split(strings.TrimSuffix(args, ")"), ",")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n <= 0 || len(parts) > 2 {
		return 0, false, false
	}
	ellipsis := false
	if len(parts) == 2 {
		if ellipsis, err = strconv.ParseBool(strings.TrimSpace(parts[1])); err != nil {
			return 0, false, false
		}
	}
	return n, ellipsis, true
}

func (p *Projection) has(name string) bool {
	if p == nil || p.all {
		return true
	}
	_, ok := p.fields[name]
	return ok
}

func (p *Projection) sub(name string) *Projection {
	if p == nil {
		return nil
	}
	if q, ok := p.fields[name]; ok {
		return q
	}
	if p.all && p.excerpt > 0 {
		return p
	}
	return nil
}

// Fields returns the top-level names the projection asks for (nil for all),
// so callers can check each is readable.
func (p *Projection) Fields() []string {
	if p == nil || p.all {
		return nil
	}
	out := make([]string, 0, len(p.fields))
	for k := range p.fields {
		out = append(out, k)
	}
	return out
}

// excerpt returns s without HTML tags, collapsed whitespace, cut to n runes.
func excerpt(s string, n int, ellipsis bool) string {
	var b strings.Builder
	inTag, space := false, false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
		case inTag:
		case r == ' ' || r == '\n' || r == '\t' || r == '\r':
			space = b.Len() > 0
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	out := []rune(b.String())
	if len(out) <= n {
		return string(out)
	}
	if ellipsis {
		return string(out[:n]) + "..."
	}
	return string(out[:n])
}
