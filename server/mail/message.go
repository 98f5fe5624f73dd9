package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"mime"
	"mime/quotedprintable"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Bytes returns the message in RFC 5322 form: headers, then a
// multipart/alternative body with a plain text and an HTML part, both UTF-8
// and quoted-printable. now dates the message.
func (m *Message) Bytes(now time.Time) ([]byte, error) {
	if m.From.Address == "" {
		return nil, errors.New("mail: no sender address")
	}
	if len(m.To) == 0 {
		return nil, errors.New("mail: no recipients")
	}
	for _, s := range append([]string{m.Subject, m.From.Name, m.From.Address}, m.addressStrings()...) {
		if strings.ContainsAny(s, "\r\n") {
			return nil, errors.New("mail: line break in a header")
		}
	}
	text := m.Text
	if text == "" {
		text = HTMLToText(m.HTML)
	}
	boundary := randomHex(16)
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+randomHex(16)+"@"+domainOf(m.From.Address)+">")
	header("From", m.From.String())
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = a.String()
	}
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m.Headers[k]
		if strings.ContainsAny(k+v, "\r\n") || strings.ContainsAny(k, ": ") {
			return nil, errors.New("mail: invalid extra header")
		}
		header(k, mime.QEncoding.Encode("utf-8", v))
	}
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", m.HTML}} {
		if part.body == "" && part.typ == "text/html" {
			continue
		}
		b.WriteString("--" + boundary + "\r\n")
		header("Content-Type", part.typ+"; charset=UTF-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		qp := quotedprintable.NewWriter(&b)
		if _, err := qp.Write([]byte(crlf(part.body))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

func (m *Message) addressStrings() []string {
	out := make([]string, 0, 2*len(m.To))
	for _, a := range m.To {
		out = append(out, a.Name, a.Address)
	}
	return out
}

// Recipients returns the envelope recipients.
func (m *Message) Recipients() []string {
	out := make([]string, len(m.To))
	for i, a := range m.To {
		out[i] = a.Address
	}
	return out
}

// crlf normalizes line ends to CRLF, as SMTP wants them.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "localhost"
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return hex.EncodeToString(b)
}

var (
	linkRe      = regexp.MustCompile(`(?is)<a\s[^>]*href\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a>`)
	breakRe     = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</h[1-6]>|</li>|</tr>`)
	dropRe      = regexp.MustCompile(`(?is)<(style|script|head)[^>]*>.*?</(style|script|head)>`)
	tagRe       = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRe     = regexp.MustCompile(`[ \t]+`)
	blankLineRe = regexp.MustCompile(`\n{3,}`)
)

// HTMLToText turns an HTML email body into readable plain text: links
// keep their address ("Verify (https://…)"), blocks become lines.
func HTMLToText(s string) string {
	s = dropRe.ReplaceAllString(s, "")
	s = linkRe.ReplaceAllStringFunc(s, func(a string) string {
		m := linkRe.FindStringSubmatch(a)
		label := strings.TrimSpace(tagRe.ReplaceAllString(m[2], ""))
		if label == "" || label == m[1] {
			return m[1]
		}
		return label + " (" + m[1] + ")"
	})
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n", " ")
	s = breakRe.ReplaceAllString(s, "\n")
	s = tagRe.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spaceRe.ReplaceAllString(l, " "))
	}
	s = strings.Join(lines, "\n")
	return strings.TrimSpace(blankLineRe.ReplaceAllString(s, "\n\n"))
}
