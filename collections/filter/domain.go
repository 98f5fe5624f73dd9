package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// setDomain picks the domain of a comparison from the kinds of its sides,
// converts constants to it and rejects comparisons that make no sense.
// Rules: a text constant takes the type of the other side (a number, a
// boolean or a date written as text); a number constant compared with
// text is compared as text; null compares with the empty value of the
// other side; json values are compared as PocketBase compares them
// (strings with text, numbers with numbers, booleans with booleans).
func setDomain(a *atom, pos int) error {
	l, r := a.l, a.r
	if r.kind == kJSON && l.kind != kJSON {
		if a.op == OpLike || a.op == OpNotLike {
			return invalid(pos, "the right side of %s cannot be a json value", a.op)
		}
		a.l, a.r, a.op = r, l, a.op.flip()
		l, r = a.l, a.r
	}
	like := a.op == OpLike || a.op == OpNotLike
	if l.kind == kJSON {
		if r.kind == kJSON {
			return invalid(pos, "two json values cannot be compared")
		}
		if !r.isConst() && r.kind != kText {
			return invalid(pos, "a json value can only be compared with text fields and literal values")
		}
		switch {
		case like:
			a.dom = dJSONText
			return convert(r, kText, pos)
		case r.kind == kNull || (r.kind == kText && r.isConst() && isEmptyText(r)):
			a.dom = dJSONNull
			for i := range r.consts {
				r.consts[i] = nil
			}
		case r.kind == kText:
			a.dom = dJSONText
		case r.kind == kNumber:
			a.dom = dJSONNum
		case r.kind == kBool:
			a.dom = dJSONBool
		default:
			return invalid(pos, "a json value cannot be compared with %s", r.kind)
		}
		if a.dom == dJSONBool && isOrdering(a.op) {
			return invalid(pos, "%s cannot order booleans", a.op)
		}
		return nil
	}
	k := l.kind
	switch {
	case like:
		k = kText
	case l.kind == r.kind:
	case l.kind == kNull:
		k = r.kind
	case r.kind == kNull:
	case l.kind == kText && l.isConst():
		k = r.kind
	case r.kind == kText && r.isConst():
	case l.kind == kNumber && l.isConst() && r.kind == kText:
		k = kText
	case r.kind == kNumber && r.isConst() && l.kind == kText:
	default:
		return invalid(pos, "%s (%s) cannot be compared with %s (%s)", l.name, l.kind, r.name, r.kind)
	}
	if k == kNull {
		k = kText
	}
	// A date compared with text that does not read as a date compares as
	// text, the date written as PocketBase writes it: created ~ '2024-01'
	// and created >= '2024-01' mean what they mean in PocketBase.
	if k == kTime && !readAsDates(l, r) {
		k = kText
	}
	for _, side := range []*value{l, r} {
		if !side.isConst() && side.kind != k {
			if k == kText && side.kind == kTime && side.ref != nil {
				side.ref.dateText, side.kind = true, kText
				continue
			}
			if like {
				return invalid(pos, "%s needs text operands, %s is %s", a.op, side.name, side.kind)
			}
			return invalid(pos, "%s (%s) cannot be compared with %s (%s)", l.name, l.kind, r.name, r.kind)
		}
	}
	switch k {
	case kText:
		a.dom = dText
	case kNumber:
		a.dom = dNumber
	case kBool:
		if isOrdering(a.op) {
			return invalid(pos, "%s cannot order booleans", a.op)
		}
		a.dom = dBool
	case kTime:
		a.dom = dTime
	}
	if err := convert(l, k, pos); err != nil {
		return err
	}
	return convert(r, k, pos)
}

func isOrdering(op Operator) bool {
	return op == OpLt || op == OpLte || op == OpGt || op == OpGte
}

func isEmptyText(v *value) bool {
	for _, c := range v.consts {
		if s, _ := c.(string); s != "" {
			return false
		}
	}
	return !v.list
}

// readAsDates reports whether every text constant of l and r reads as a
// date.
func readAsDates(l, r *value) bool {
	for _, v := range []*value{l, r} {
		if !v.isConst() || v.kind != kText {
			continue
		}
		for _, c := range v.consts {
			if _, err := convertConst(c, kTime); err != nil {
				return false
			}
		}
	}
	return true
}

// convert turns the constants of v into values of kind k. Null stays nil.
// A request constant that cannot be converted becomes mismatch.
func convert(v *value, k kind, pos int) error {
	if !v.isConst() {
		return nil
	}
	for i, c := range v.consts {
		out, err := convertConst(c, k)
		if err != nil {
			if v.soft {
				v.consts[i] = mismatch{}
				continue
			}
			return invalid(pos, "%s cannot be compared with %s: %s", v.name, k, err)
		}
		v.consts[i] = out
	}
	return nil
}

func convertConst(c any, k kind) (any, error) {
	if c == nil {
		return nil, nil
	}
	switch k {
	case kText:
		switch x := c.(type) {
		case string:
			return x, nil
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		case time.Time:
			return collections.FormatDate(x), nil
		}
	case kNumber:
		switch x := c.(type) {
		case float64:
			return x, nil
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, nil
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			return f, nil
		}
	case kBool:
		switch x := c.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "1":
				return true, nil
			case "false", "0":
				return false, nil
			case "":
				return nil, nil
			}
			return nil, fmt.Errorf("%q is not a boolean", x)
		}
	case kTime:
		switch x := c.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Microsecond), nil
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, nil
			}
			t, ok := collections.ParseDate(x)
			if !ok {
				return nil, fmt.Errorf("%q is not a date", x)
			}
			return t.Truncate(time.Microsecond), nil
		}
	}
	return nil, fmt.Errorf("type mismatch")
}
