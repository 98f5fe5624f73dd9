package filter

import (
	"math/big"
	"strconv"
	"strings"
	"time"
)

// This file holds the meaning of a single comparison of two values in each
// domain. Eval uses it directly; sql.go emits SQL with the same truth
// table, and the tests check the two against each other.
//
// Values by domain (nil is null in every domain):
//   dText    string           a missing value is ''; nil is only the null
//                             literal: it equals '', and ordering with it
//                             is false
//   dNumber  float64          null equals only null; ordering with null is false
//   dBool    bool             as dNumber, no ordering
//   dTime    time.Time        as dNumber
//   dJSON*   jsonVal (left)   right side: string (dJSONText), float64
//                             (dJSONNum), bool (dJSONBool), nil (dJSONNull)
//
// Every negated operator (!=, !~) is exactly the negation of its positive
// form.

// jsonType classifies a JSON value.
type jsonType uint8

const (
	jNull jsonType = iota // JSON null, SQL NULL or a missing key
	jString
	jNumber
	jBool
	jOther // object or array
)

// jsonVal is a JSON value as the comparisons see it.
type jsonVal struct {
	t jsonType
	s string // jString: the string; jNumber: the number as written
	b bool
}

// text returns the text a JSON value has in dJSONText comparisons: its
// string, ” for null, and false (not comparable) for other types.
func (j jsonVal) text() (string, bool) {
	switch j.t {
	case jNull:
		return "", true
	case jString:
		return j.s, true
	}
	return "", false
}

// number returns a JSON number as a float64 (nil for other values and
// numbers a float64 cannot hold), as jsonNumberSQL reads it.
func (j jsonVal) number() any {
	if j.t != jNumber {
		return nil
	}
	r, ok := new(big.Rat).SetString(j.s)
	if !ok {
		return nil
	}
	if r.Sign() != 0 {
		a := new(big.Rat).Abs(r)
		if a.Cmp(new(big.Rat).SetFloat64(1e-300)) < 0 || a.Cmp(new(big.Rat).SetFloat64(1e300)) > 0 {
			return nil
		}
	}
	f, _ := r.Float64()
	return f
}

// compare evaluates `a op b` in domain d. constPattern tells whether b is
// a constant: for ~ a constant containing % is used as a LIKE pattern,
// while values from fields are always matched literally.
func compare(d domain, op Operator, a, b any, constPattern bool) bool {
	switch op {
	case OpNeq:
		return !compare(d, OpEq, a, b, constPattern)
	case OpNotLike:
		return !compare(d, OpLike, a, b, constPattern)
	}
	if a == (mismatch{}) || b == (mismatch{}) {
		return false
	}
	switch d {
	case dText:
		as, aok := a.(string)
		bs, bok := b.(string)
		switch op {
		case OpEq:
			return as == bs // nil is ''
		case OpLike:
			return likeMatch(as, likePatternOf(bs, constPattern))
		}
		if !aok || !bok {
			return false
		}
		return order(op, strings.Compare(as, bs))
	case dNumber:
		af, aok := a.(float64)
		bf, bok := b.(float64)
		if op == OpEq {
			return aok == bok && (!aok || af == bf)
		}
		if !aok || !bok {
			return false
		}
		c := 0
		if af < bf {
			c = -1
		} else if af > bf {
			c = 1
		}
		return order(op, c)
	case dBool:
		ab, aok := a.(bool)
		bb, bok := b.(bool)
		if op == OpEq {
			return aok == bok && (!aok || ab == bb)
		}
		return false
	case dTime:
		at, aok := a.(time.Time)
		bt, bok := b.(time.Time)
		if op == OpEq {
			return aok == bok && (!aok || at.Equal(bt))
		}
		if !aok || !bok {
			return false
		}
		return order(op, at.Compare(bt))
	}
	j, _ := a.(jsonVal)
	switch d {
	case dJSONNull:
		if op == OpEq {
			s, ok := j.text()
			return ok && s == ""
		}
		return false
	case dJSONText:
		bs, bok := b.(string)
		switch op {
		case OpEq:
			s, ok := j.text()
			return ok && s == bs
		case OpLike:
			s, ok := j.text()
			return ok && likeMatch(s, likePatternOf(bs, constPattern))
		}
		if j.t != jString || !bok {
			return false
		}
		return order(op, strings.Compare(j.s, bs))
	case dJSONNum:
		bf, _ := b.(float64)
		if j.t != jNumber {
			return false
		}
		c, ok := compareDecimal(j.s, strconv.FormatFloat(bf, 'g', -1, 64))
		if !ok {
			return false
		}
		if op == OpEq {
			return c == 0
		}
		return order(op, c)
	case dJSONBool:
		bb, _ := b.(bool)
		return op == OpEq && j.t == jBool && j.b == bb
	}
	return false
}

func order(op Operator, c int) bool {
	switch op {
	case OpLt:
		return c < 0
	case OpLte:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGte:
		return c >= 0
	}
	return false
}

// maxDecimalExp bounds the exponents compareDecimal works with; PostgreSQL's
// numeric (and so jsonb) cannot hold larger ones.
const maxDecimalExp = 140000

// compareDecimal compares two decimal numbers exactly, as PostgreSQL's
// numeric does. ok is false when a number is malformed or out of range.
func compareDecimal(a, b string) (int, bool) {
	for _, s := range []string{a, b} {
		if i := strings.IndexAny(s, "eE"); i >= 0 {
			e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
			if err != nil || e > maxDecimalExp || e < -maxDecimalExp {
				return 0, false
			}
		}
	}
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	return x.Cmp(y), true
}

// likePattern turns a constant into a LIKE pattern. A value containing %
// is used as a pattern as written (\ escapes); any other value is matched
// as a substring ("contains"). A trailing lone backslash is doubled, since
// PostgreSQL rejects patterns ending in an escape.
func likePattern(s string) string {
	if strings.Contains(s, "%") {
		n := len(s) - len(strings.TrimRight(s, `\`))
		if n%2 == 1 {
			s += `\`
		}
		return s
	}
	return "%" + escapeLike(s) + "%"
}

// likePatternOf returns the pattern for the right side of ~: constants
// follow likePattern, field values always mean "contains".
func likePatternOf(s string, constant bool) string {
	if constant {
		return likePattern(s)
	}
	return "%" + escapeLike(s) + "%"
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// likeMatch reports whether s matches the LIKE pattern p, ignoring case
// (ILIKE): % is any run of characters, _ one character, \ escapes the next
// character.
func likeMatch(s, p string) bool {
	sr := []rune(strings.ToLower(s))
	pr := []rune(strings.ToLower(p))
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(sr) {
		if pi < len(pr) {
			switch c := pr[pi]; {
			case c == '%':
				starP, starS = pi, si
				pi++
				continue
			case c == '_':
				si++
				pi++
				continue
			case c == '\\' && pi+1 < len(pr):
				if pr[pi+1] == sr[si] {
					si++
					pi += 2
					continue
				}
			case c == sr[si]:
				si++
				pi++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		si, pi = starS, starP+1
	}
	for pi < len(pr) && pr[pi] == '%' {
		pi++
	}
	return pi == len(pr)
}
