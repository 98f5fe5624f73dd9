package main

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// newRow returns scan destinations for one row.
func (b *baseline) newRow() []any {
	dest := make([]any, len(b.columns))
	for i, c := range b.columns {
		switch c.kind {
		case kindNumber:
			dest[i] = new(*float64)
		case kindBool:
			dest[i] = new(*bool)
		case kindDate, kindAutodate:
			dest[i] = new(*time.Time)
		default:
			dest[i] = new(*string)
		}
	}
	return dest
}

// dateLayout is how Lumbung writes dates.
const dateLayout = "2006-01-02 15:04:05.000Z"

// appendRecord writes a scanned row as Lumbung does: collectionId,
// collectionName, then the fields in schema order; NULL as the zero value.
func (b *baseline) appendRecord(buf []byte, dest []any) []byte {
	buf = append(buf, b.open...)
	for i, c := range b.columns {
		buf = append(buf, c.key...)
		switch d := dest[i].(type) {
		case **float64:
			if *d == nil {
				buf = append(buf, '0')
			} else {
				buf = strconv.AppendFloat(buf, **d, 'f', -1, 64)
			}
		case **bool:
			buf = strconv.AppendBool(buf, *d != nil && **d)
		case **time.Time:
			if *d == nil || (*d).IsZero() {
				buf = append(buf, `""`...)
			} else {
				buf = append(buf, '"')
				buf = (*d).UTC().AppendFormat(buf, dateLayout)
				buf = append(buf, '"')
			}
		case **string:
			if *d == nil {
				buf = append(buf, `""`...)
			} else {
				buf = appendJSONString(buf, **d)
			}
		}
	}
	return append(buf, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string with encoding/json's escapes.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			switch r {
			case utf8.RuneError:
				buf = append(buf, `\ufffd`...)
			default:
				buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			}
			start = i + size
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
