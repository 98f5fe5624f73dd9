package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// ErrNeedsDatabase is returned by Eval for filters it cannot evaluate in
// memory: relation paths, back-relations and @collection references. The
// caller checks such filters with SQL instead.
var ErrNeedsDatabase = errors.New("filter: the expression needs the database")

// Eval evaluates e against one record of env.Root with the same meaning as
// SQL. rec maps field names to canonical values as the collections field
// types produce them: string, float64, bool, time.Time or nil,
// json.RawMessage or nil, []string, and "" or an id for single relations.
// A missing field has its column default (”, 0, false, null, []).
//
// It returns ErrNeedsDatabase, whatever the record, when e follows
// relations or uses @collection. A record value of the wrong type is an
// error.
func Eval(e Expr, env Env, rec map[string]any) (bool, error) {
	n, err := compileIn(env, e)
	if err != nil {
		return false, err
	}
	if needsDatabase(n) {
		return false, ErrNeedsDatabase
	}
	ev := &evaluator{rec: rec, json: map[string]any{}}
	return ev.node(n)
}

func needsDatabase(n node) bool {
	return !eachHop(n, func(hop) bool { return false })
}

type evaluator struct {
	rec  map[string]any
	json map[string]any // decoded json fields, by column
}

func (ev *evaluator) node(n node) (bool, error) {
	switch n := n.(type) {
	case constNode:
		return bool(n), nil
	case *logic:
		for _, t := range n.terms {
			ok, err := ev.node(t)
			if err != nil {
				return false, err
			}
			if ok != n.and { // true in an OR, false in an AND decides
				return ok, nil
			}
		}
		return n.and, nil
	case *atom:
		return ev.atom(n)
	}
	return false, fmt.Errorf("filter: unknown node %T", n)
}

// atom compares every item of the left side with every item of the right
// side: any-form atoms need one pair to match, the others every pair. A
// list with no items counts as one null item.
func (ev *evaluator) atom(a *atom) (bool, error) {
	ls, err := ev.items(a.l)
	if err != nil {
		return false, err
	}
	rs, err := ev.items(a.r)
	if err != nil {
		return false, err
	}
	anyForm := a.anyForm()
	for _, x := range ls {
		for _, y := range rs {
			ok := compare(a.dom, a.op, x, y, a.r.isConst())
			if ok == anyForm {
				return ok, nil
			}
		}
	}
	return !anyForm, nil
}

// items returns the values of one side in the atom's domain.
func (ev *evaluator) items(v *value) ([]any, error) {
	if v.isConst() {
		return v.consts[:1], nil
	}
	if v.pred != nil {
		ok, err := ev.node(v.pred)
		return []any{ok}, err
	}
	if v.call != nil {
		args := make([]any, len(v.call.args))
		for i, a := range v.call.args {
			xs, err := ev.items(a)
			if err != nil {
				return nil, err
			}
			args[i] = xs[0]
			if j, ok := xs[0].(jsonVal); ok {
				args[i] = j.number()
			}
		}
		return []any{v.call.eval(args)}, nil
	}
	rf := v.ref
	raw, present := ev.rec[rf.col]
	if rf.masked {
		shown, _ := ev.rec["emailVisibility"].(bool)
		if id, _ := ev.rec["id"].(string); !shown && (rf.owner == "" || id != rf.owner) {
			raw = ""
		}
	}
	switch {
	case rf.jsonText:
		list, err := stringList(raw)
		if err != nil {
			return nil, ev.badValue(rf, raw)
		}
		s := jsonText(list)
		if rf.lower {
			s = strings.ToLower(s)
		}
		return []any{s}, nil
	case rf.dateText:
		x, err := scalar(kTime, raw)
		if err != nil {
			return nil, ev.badValue(rf, raw)
		}
		s := ""
		if t, ok := x.(time.Time); ok {
			s = collections.FormatDate(t)
		}
		if rf.lower {
			s = strings.ToLower(s)
		}
		return []any{s}, nil
	case rf.items || rf.length:
		list, err := stringList(raw)
		if err != nil {
			return nil, ev.badValue(rf, raw)
		}
		if rf.length {
			return []any{float64(len(list))}, nil
		}
		if len(list) == 0 {
			return []any{""}, nil // no items: one missing value, '' in text comparisons
		}
		out := make([]any, len(list))
		for i, s := range list {
			if rf.lower {
				s = strings.ToLower(s)
			}
			out[i] = s
		}
		return out, nil
	case rf.kind == kJSON:
		j, err := ev.jsonValue(rf, raw)
		if err != nil {
			return nil, err
		}
		return []any{j}, nil
	}
	if !present && !rf.nullable { // the column default
		switch rf.kind {
		case kText:
			raw = ""
		case kNumber:
			raw = 0.0
		case kBool:
			raw = false
		}
	}
	x, err := scalar(rf.kind, raw)
	if err != nil {
		return nil, ev.badValue(rf, raw)
	}
	if x == nil && rf.kind == kText {
		x = "" // a missing text value (NULL relation) is ''
	}
	if s, ok := x.(string); ok && rf.lower {
		x = strings.ToLower(s)
	}
	return []any{x}, nil
}

func (ev *evaluator) badValue(rf *ref, raw any) error {
	return fmt.Errorf("filter: record field %q holds %T, not %s", rf.col, raw, rf.kind)
}

// scalar converts a record value to the Go type of kind k.
func scalar(k kind, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch k {
	case kText:
		if s, ok := raw.(string); ok {
			return s, nil
		}
	case kNumber:
		switch x := raw.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case int32:
			return float64(x), nil
		case json.Number:
			return x.Float64()
		}
	case kBool:
		if b, ok := raw.(bool); ok {
			return b, nil
		}
	case kTime:
		switch x := raw.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Microsecond), nil
		case string:
			if x == "" {
				return nil, nil
			}
			if t, ok := collections.ParseDate(x); ok {
				return t.Truncate(time.Microsecond), nil
			}
		}
	}
	return nil, fmt.Errorf("unexpected %T", raw)
}

func stringList(raw any) ([]string, error) {
	switch x := raw.(type) {
	case nil:
		return nil, nil
	case []string:
		return x, nil
	case []any:
		out := make([]string, len(x))
		for i, it := range x {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("unexpected %T", it)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected %T", raw)
}

// jsonValue decodes a json field (once per evaluation) and follows the
// reference's key path, as PostgreSQL's #> operator does.
func (ev *evaluator) jsonValue(rf *ref, raw any) (jsonVal, error) {
	doc, ok := ev.json[rf.col]
	if !ok {
		var data []byte
		switch x := raw.(type) {
		case nil:
		case json.RawMessage:
			data = x
		case []byte:
			data = x
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return jsonVal{}, ev.badValue(rf, raw)
			}
			data = b
		}
		if len(bytes.TrimSpace(data)) > 0 {
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			if err := d.Decode(&doc); err != nil {
				return jsonVal{}, fmt.Errorf("filter: record field %q holds invalid JSON", rf.col)
			}
		}
		ev.json[rf.col] = doc
	}
	for _, k := range rf.jsonPath {
		switch x := doc.(type) {
		case map[string]any:
			doc = x[k]
		case []any:
			i, err := strconv.ParseInt(k, 10, 32)
			if err != nil || i < 0 || i >= int64(len(x)) {
				doc = nil
			} else {
				doc = x[i]
			}
		default:
			doc = nil
		}
	}
	switch x := doc.(type) {
	case nil:
		return jsonVal{t: jNull}, nil
	case string:
		return jsonVal{t: jString, s: x}, nil
	case json.Number:
		return jsonVal{t: jNumber, s: x.String()}, nil
	case bool:
		return jsonVal{t: jBool, b: x}, nil
	}
	return jsonVal{t: jOther}, nil
}
