package rbac

import (
	"strings"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// maxFields bounds a policy's field list.
const maxFields = 1000

// Normalize returns p with blanks trimmed from the condition, repeated
// fields dropped and an empty field list made nil, the form in which
// policies are stored and compared.
func (p Policy) Normalize() Policy {
	p.Condition = strings.TrimSpace(p.Condition)
	if len(p.Fields) == 0 {
		p.Fields = nil
		return p
	}
	fields := make([]string, 0, len(p.Fields))
	seen := make(map[string]bool, len(p.Fields))
	for _, f := range p.Fields {
		f = strings.TrimSpace(f)
		if !seen[f] {
			seen[f] = true
			fields = append(fields, f)
		}
	}
	p.Fields = fields
	return p
}

// Validate checks a normalized policy: a valid subject, collection and
// action, a condition that parses as a filter, and field names. It reports
// every problem at once as an EINVALID error with per-input details. The
// condition is only parsed here; whether its fields exist is known only
// against the collection's schema, when it is compiled.
func (p Policy) Validate() error {
	problems := map[string]collections.FieldError{}
	add := func(key string, err error) {
		if err != nil {
			problems[key] = collections.FieldError{Code: "validation_invalid_value", Message: collections.ErrorMessage(err)}
		}
	}
	add("subject", ValidSubject(p.Subject))
	add("collection", ValidCollection(p.Collection))
	add("action", ValidAction(p.Action))
	if p.Condition != "" {
		_, err := filter.Parse(p.Condition)
		add("condition", err)
	}
	if len(p.Fields) > maxFields {
		add("fields", collections.Errorf(collections.EINVALID, "At most %d fields may be listed.", maxFields))
	}
	for _, f := range p.Fields {
		if !fieldNameRe.MatchString(f) {
			add("fields", collections.Errorf(collections.EINVALID, "Invalid field name %q.", clip(f)))
			break
		}
	}
	if len(problems) > 0 {
		return collections.Invalid("Invalid policy.", problems)
	}
	return nil
}

// joinFields and splitFields convert a field list to and from the
// comma-separated form of the Casbin "fields" token.
func joinFields(fields []string) string { return strings.Join(fields, ",") }

func splitFields(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
