package filter

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lumbunghq/lumbung/collections"
)

// Limits that keep parsing and compiling cheap whatever the input.
const (
	// MaxLength is the longest filter accepted, in bytes.
	MaxLength = 4096
	// MaxDepth is how deeply parentheses may nest.
	MaxDepth = 32
)

// Parse reads a filter in PocketBase's syntax:
//
//	operand op operand [&& | || ...]
//
// with parentheses for grouping, && binding tighter than ||, and // comments
// to the end of a line. Syntax errors are *collections.Error values with
// code EINVALID naming the 1-based character position, for example
// "Invalid filter at position 12: expected an operator.".
func Parse(src string) (Expr, error) {
	if len(src) > MaxLength {
		return nil, collections.Errorf(collections.EINVALID, "Invalid filter: it is longer than %d characters.", MaxLength)
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, syntaxError(p.peek().pos, "the filter is empty")
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, syntaxError(t.pos, "unexpected )")
		}
		return nil, syntaxError(t.pos, "expected && or ||")
	}
	return e, nil
}

func syntaxError(pos int, msg string) error {
	return collections.Errorf(collections.EINVALID, "Invalid filter at position %d: %s.", pos, msg)
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tOp
	tAnd
	tOr
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string // identifier, operator or unquoted string; number text
	pos  int    // 1-based rune position
}

// operatorAt returns the comparison operator at the start of s, taking the
// longest match, or "".
func operatorAt(s string) Operator {
	for _, op := range [...]Operator{
		OpAnyNeq, OpAnyGte, OpAnyLte, OpAnyNotLike,
		OpAnyEq, OpAnyGt, OpAnyLt, OpAnyLike,
		OpNeq, OpGte, OpLte, OpNotLike,
		OpEq, OpGt, OpLt, OpLike,
	} {
		if strings.HasPrefix(s, string(op)) {
			return op
		}
	}
	return ""
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits src into tokens. It runs in linear time.
func lex(src string) ([]token, error) {
	if !utf8.ValidString(src) {
		return nil, collections.Errorf(collections.EINVALID, "Invalid filter: it is not valid UTF-8 text.")
	}
	if i := strings.IndexByte(src, 0); i >= 0 { // PostgreSQL text cannot hold NUL
		return nil, syntaxError(utf8.RuneCountInString(src[:i])+1, "unexpected NUL character")
	}
	var toks []token
	i, pos := 0, 1       // byte offset, 1-based rune position of src[i]
	adv := func(n int) { // advance n bytes
		pos += utf8.RuneCountInString(src[i : i+n])
		i += n
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			adv(1)
		case c == '/' && strings.HasPrefix(src[i:], "//"):
			n := strings.IndexByte(src[i:], '\n')
			if n < 0 {
				n = len(src) - i
			}
			adv(n)
		case c == '(':
			toks = append(toks, token{tLParen, "(", pos})
			adv(1)
		case c == ')':
			toks = append(toks, token{tRParen, ")", pos})
			adv(1)
		case c == ',':
			toks = append(toks, token{tComma, ",", pos})
			adv(1)
		case c == '&' || c == '|':
			if i+1 >= len(src) || src[i+1] != c {
				return nil, syntaxError(pos, "expected "+string([]byte{c, c}))
			}
			k := tAnd
			if c == '|' {
				k = tOr
			}
			toks = append(toks, token{k, src[i : i+2], pos})
			adv(2)
		case c == '\'' || c == '"':
			s, n, ok := scanString(src[i:])
			if !ok {
				return nil, syntaxError(pos, "unterminated string")
			}
			toks = append(toks, token{tString, s, pos})
			adv(n)
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			n := scanNumber(src[i:])
			toks = append(toks, token{tNumber, src[i : i+n], pos})
			adv(n)
		case isIdentStart(c):
			n := 1
			for i+n < len(src) && isIdentPart(src[i+n]) {
				n++
			}
			toks = append(toks, token{tIdent, src[i : i+n], pos})
			adv(n)
		default:
			op := operatorAt(src[i:])
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, syntaxError(pos, "unexpected character "+strconv.QuoteRune(r))
			}
			toks = append(toks, token{tOp, string(op), pos})
			adv(len(op))
		}
	}
	return append(toks, token{tEOF, "", pos}), nil
}

// scanString reads a quoted string at the start of s. A backslash before
// the closing quote character escapes it; every other backslash is kept as
// written (PocketBase's rule). It returns the unquoted text and the number
// of bytes read.
func scanString(s string) (string, int, bool) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == q:
			b.WriteByte(q)
			i++
		case s[i] == q:
			return b.String(), i + 1, true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, false
}

// scanNumber returns the length of the number at the start of s:
// -?digits(.digits)?([eE][+-]?digits)?
func scanNumber(s string) int {
	i := 0
	if s[i] == '-' {
		i++
	}
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// expr parses a chain of and-groups joined by ||.
func (p *parser) expr(depth int) (Expr, error) {
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	terms := []Expr{first}
	for p.peek().kind == tOr {
		p.next()
		t, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		terms = appendFlat(terms, t, Or)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return &Logical{Op: Or, Terms: terms, Start: first.Pos()}, nil
}

// and parses a chain of primaries joined by &&.
func (p *parser) and(depth int) (Expr, error) {
	first, err := p.primary(depth)
	if err != nil {
		return nil, err
	}
	terms := appendFlat(nil, first, And)
	for p.peek().kind == tAnd {
		p.next()
		t, err := p.primary(depth)
		if err != nil {
			return nil, err
		}
		terms = appendFlat(terms, t, And)
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &Logical{Op: And, Terms: terms, Start: first.Pos()}, nil
}

// appendFlat appends t to terms, splicing in its terms when it is a group
// with the same operator: (a && b) && c is a && b && c.
func appendFlat(terms []Expr, t Expr, op LogicalOp) []Expr {
	if l, ok := t.(*Logical); ok && l.Op == op {
		return append(terms, l.Terms...)
	}
	return append(terms, t)
}

func (p *parser) primary(depth int) (Expr, error) {
	t := p.peek()
	if t.kind == tLParen {
		if depth >= MaxDepth {
			return nil, syntaxError(t.pos, "parentheses are nested too deeply")
		}
		p.next()
		if p.peek().kind == tRParen {
			return nil, syntaxError(p.peek().pos, "empty parentheses")
		}
		e, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tRParen {
			if c.kind == tEOF {
				return nil, syntaxError(t.pos, "unclosed parenthesis")
			}
			return nil, syntaxError(c.pos, "expected && or ||")
		}
		p.next()
		return e, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Expr, error) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch t.kind {
	case tOp:
	case tEOF:
		return nil, syntaxError(t.pos, "expected an operator, found the end of the filter")
	default:
		return nil, syntaxError(t.pos, "expected an operator")
	}
	p.next()
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	return &Comparison{Left: left, Op: Operator(t.text), Right: right, OpPos: t.pos}, nil
}

func (p *parser) operand() (Operand, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.next()
		return &Literal{Kind: LitString, Value: t.text, Start: t.pos}, nil
	case tNumber:
		p.next()
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, syntaxError(t.pos, "number "+t.text+" is out of range")
		}
		return &Literal{Kind: LitNumber, Value: f, Start: t.pos}, nil
	case tIdent:
		p.next()
		if p.peek().kind == tLParen {
			return p.call(t)
		}
		return parseIdent(t)
	case tEOF:
		return nil, syntaxError(t.pos, "expected an operand, found the end of the filter")
	}
	return nil, syntaxError(t.pos, "expected an operand")
}

// maxCallArgs bounds the arguments of a function call.
const maxCallArgs = 10

// call parses the arguments of the function named by t, whose opening
// parenthesis is next: literals and identifiers separated by commas.
func (p *parser) call(t token) (Operand, error) {
	if !isFunction(t.text) {
		return nil, syntaxError(t.pos, "unknown function "+strconv.Quote(t.text)+" (use strftime or geoDistance)")
	}
	open := p.next()
	c := &Call{Name: t.text, Start: t.pos}
	if p.peek().kind == tRParen {
		p.next()
		return c, nil
	}
	for {
		a := p.peek()
		if len(c.Args) == maxCallArgs {
			return nil, syntaxError(a.pos, "too many arguments")
		}
		var arg Operand
		var err error
		switch a.kind {
		case tString, tNumber:
			arg, err = p.operand()
		case tIdent:
			p.next()
			if p.peek().kind == tLParen {
				return nil, syntaxError(a.pos, "function arguments cannot be function calls")
			}
			arg, err = parseIdent(a)
		case tEOF:
			return nil, syntaxError(open.pos, "unclosed parenthesis")
		default:
			return nil, syntaxError(a.pos, "expected a function argument")
		}
		if err != nil {
			return nil, err
		}
		c.Args = append(c.Args, arg)
		switch n := p.next(); n.kind {
		case tComma:
		case tRParen:
			return c, nil
		case tEOF:
			return nil, syntaxError(open.pos, "unclosed parenthesis")
		default:
			return nil, syntaxError(n.pos, "expected , or )")
		}
	}
}

// isFunction reports whether name is a function the language knows.
func isFunction(name string) bool { return name == "strftime" || name == "geoDistance" }

// isModifier reports whether m is an identifier modifier the language knows.
func isModifier(m string) bool {
	switch m {
	case "lower", "length", "each", "isset", "changed":
		return true
	}
	return false
}

// parseIdent checks an identifier token and splits it into its kind, path
// and modifier.
func parseIdent(t token) (Operand, error) {
	switch strings.ToLower(t.text) {
	case "true", "false":
		return &Literal{Kind: LitBool, Value: strings.EqualFold(t.text, "true"), Start: t.pos}, nil
	case "null":
		return &Literal{Kind: LitNull, Start: t.pos}, nil
	}
	text, mod, alias := t.text, "", ""
	cut := 0 // bytes of ":<alias>" removed from text
	// @collection.<name>:<alias>.<field>: the alias is taken out of the
	// name segment before looking for a modifier.
	if rest, ok := strings.CutPrefix(text, "@collection."); ok {
		seg := len(text) - len(rest)
		end := strings.IndexByte(rest, '.')
		if end < 0 {
			return nil, syntaxError(t.pos, "expected @collection.<name>.<field>")
		}
		if j := strings.IndexByte(rest[:end], ':'); j >= 0 {
			alias = rest[j+1 : end]
			if alias == "" || strings.ContainsAny(alias, ":@") {
				return nil, syntaxError(t.pos+seg+j+1, "invalid alias in "+strconv.Quote(t.text)+" (expected @collection.<name>:<alias>.<field>)")
			}
			text, cut = text[:seg+j]+text[seg+end:], end-j
		}
	}
	if i := strings.IndexByte(text, ':'); i >= 0 {
		text, mod = text[:i], text[i+1:]
		if !isModifier(mod) {
			return nil, syntaxError(t.pos+cut+i+1, "unknown modifier \":"+mod+"\" (use :lower, :length, :each, :isset or :changed)")
		}
	}
	id := &Identifier{Kind: IdentField, Modifier: mod, Alias: alias, Start: t.pos}
	parts := strings.Split(text, ".")
	if strings.HasPrefix(parts[0], "@") {
		switch parts[0] {
		case "@request":
			id.Kind = IdentRequest
		case "@collection":
			id.Kind = IdentCollection
		default:
			id.Kind = IdentMacro
			parts[0] = parts[0][1:]
			if _, ok := macroValue(parts[0], time.Time{}); !ok || len(parts) > 1 || mod != "" {
				return nil, syntaxError(t.pos, "unknown identifier "+strconv.Quote(t.text))
			}
		}
		if id.Kind != IdentMacro {
			parts = parts[1:]
			if len(parts) < 2 && id.Kind == IdentCollection {
				return nil, syntaxError(t.pos, "expected @collection.<name>.<field>")
			}
			if len(parts) < 1 {
				return nil, syntaxError(t.pos, "expected @request.<name>")
			}
		}
	}
	for _, part := range parts {
		if part == "" || strings.ContainsAny(part, "@") {
			return nil, syntaxError(t.pos, "invalid identifier "+strconv.Quote(t.text))
		}
	}
	id.Path = parts
	return id, nil
}
