package collections

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzRecordInput feeds arbitrary JSON values to every field type: Prepare
// must never panic, and whatever it accepts must encode as valid JSON that
// PostgreSQL can store (no NUL characters).
func FuzzRecordInput(f *testing.F) {
	for _, seed := range []string{`"x"`, `1`, `-1.5e300`, `true`, `null`, `[]`, `["a","b"]`, `{"a":[1,{}]}`, `"2024-01-02 03:04:05.000Z"`,
		`"\u0000"`, `"<script>"`, `1e999`, `[1,2]`, `"` + string(rune(0x2028)) + `"`} {
		f.Add(seed)
	}
	s := staticSchema{}
	target := &Collection{ID: "pbc_target", Name: "target"}
	s["pbc_target"] = target
	var fields []*Field
	for _, typ := range FieldTypes() {
		fld, _ := NewField("f_"+typ, typ)
		switch o := fld.Options.(type) {
		case *SelectOptions:
			o.Values = []string{"a", "b", "x"}
			o.MaxSelect = 2
		case *RelationOptions:
			o.CollectionID = "pbc_target"
			o.MaxSelect = 3
		case *AutodateOptions:
			o.OnCreate = true
		}
		fields = append(fields, fld)
	}
	c := &Collection{ID: "pbc_fuzz", Name: "fuzz", Fields: fields}
	for _, fld := range fields {
		if ferr := fld.Options.Check(s, c, fld); ferr != nil {
			f.Fatalf("%s: %v", fld.Type, ferr)
		}
	}
	f.Fuzz(func(t *testing.T, input string) {
		dec := json.NewDecoder(bytes.NewReader([]byte(input)))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		rec := NewRecord(c)
		for _, fld := range fields {
			out, ferr := fld.Prepare(v)
			if ferr != nil {
				if ferr.Code == "" || ferr.Message == "" {
					t.Fatalf("%s: empty field error for %s", fld.Type, input)
				}
				continue
			}
			rec.Data[fld.Name] = out
		}
		b, err := rec.AppendJSON(nil, nil, true)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON for input %q: %s", input, b)
		}
		if bytes.Contains(b, []byte(`\u0000`)) {
			t.Fatalf("a NUL character was accepted from %q: %s", input, b)
		}
	})
}

// FuzzAppendString: the hand-written string encoder produces JSON that
// decodes to the same text.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "\x00\x1f\n\t", "<>&", "\u2028\u2029", "héllo 世界", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encoded as invalid JSON %s: %v", s, b, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("%q came back as %q", s, back)
		}
	})
}

type staticSchema map[string]*Collection

func (s staticSchema) Collection(id string) (*Collection, bool) {
	c, ok := s[id]
	return c, ok
}
