package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// inputsJSON has a field of every type that takes input, with options.
const inputsJSON = `{"name": "inputs", "fields": [
	{"name": "title", "type": "text"},
	{"name": "code", "type": "text", "min": 2, "max": 5, "pattern": "^[a-z]+$"},
	{"name": "count", "type": "number", "min": 1, "max": 10, "onlyInt": true},
	{"name": "score", "type": "number"},
	{"name": "flag", "type": "bool"},
	{"name": "mail", "type": "email", "onlyDomains": ["example.com"]},
	{"name": "other", "type": "email", "exceptDomains": ["spam.test"]},
	{"name": "site", "type": "url", "exceptDomains": ["spam.test"]},
	{"name": "day", "type": "date", "min": "2020-01-01 00:00:00.000Z", "max": "2030-12-31 00:00:00.000Z"},
	{"name": "status", "type": "select", "values": ["a", "b", "c"]},
	{"name": "tags", "type": "select", "values": ["x", "y", "z"], "maxSelect": 2},
	{"name": "meta", "type": "json", "maxSize": 20},
	{"name": "owner", "type": "relation", "collectionId": "pbc_authors001"},
	{"name": "team", "type": "relation", "collectionId": "pbc_authors001", "minSelect": 2, "maxSelect": 3},
	{"name": "spot", "type": "geoPoint"},
	{"name": "note", "type": "text", "hidden": true},
	{"name": "created", "type": "autodate", "onCreate": true},
	{"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}]}`

// strictJSON has required fields of every type.
const strictJSON = `{"name": "strict", "fields": [
	{"name": "rtext", "type": "text", "required": true},
	{"name": "rnum", "type": "number", "required": true},
	{"name": "rbool", "type": "bool", "required": true},
	{"name": "rmail", "type": "email", "required": true},
	{"name": "rday", "type": "date", "required": true},
	{"name": "rstatus", "type": "select", "values": ["a", "b"], "required": true},
	{"name": "rtags", "type": "select", "values": ["x", "y"], "maxSelect": 2, "required": true},
	{"name": "rmeta", "type": "json", "required": true},
	{"name": "rowner", "type": "relation", "collectionId": "pbc_authors001", "required": true},
	{"name": "rteam", "type": "relation", "collectionId": "pbc_authors001", "minSelect": 2, "maxSelect": 3, "required": true},
	{"name": "rspot", "type": "geoPoint", "required": true}]}`

// membersJSON is an auth collection whose password takes 10 to 12
// characters.
const membersJSON = `{"name": "members", "type": "auth", "fields": [
	{"name": "password", "type": "password", "min": 10, "max": 12}]}`

// Ids of the authors every records input test may relate to.
const (
	a1 = "author000000001"
	a2 = "author000000002"
	a3 = "author000000003"
	a4 = "author000000004"
)

// MustInputs returns a service with authors (a1 to a4 stored), inputs,
// strict and members.
func MustInputs(tb testing.TB) *collections.Service {
	tb.Helper()
	ctx := context.Background()
	svc := MustService(tb)
	for _, js := range []string{authorsJSON, inputsJSON, strictJSON, membersJSON} {
		if _, err := svc.CreateCollection(ctx, mustCollection(tb, js), collections.SaveOptions{}); err != nil {
			tb.Fatal(err)
		}
	}
	authors, _ := svc.Collection("authors")
	for _, id := range []string{a1, a2, a3, a4} {
		if _, err := svc.SystemRecords().Create(ctx, authors, map[string]any{"id": id, "name": id}); err != nil {
			tb.Fatal(err)
		}
	}
	return svc
}

// writer is a signed-in caller who may do everything but write only the
// fields listed.
type writer []string

func (w writer) Access(_ *collections.Collection, action string) collections.Access {
	if action == collections.ActionCreate || action == collections.ActionUpdate {
		return collections.Access{Allowed: true, Fields: w}
	}
	return collections.Access{Allowed: true}
}

func (writer) Auth() map[string]any { return map[string]any{"id": "someone", "collectionId": "x"} }

// stored writes a field value as a test expects it: dates in DateLayout,
// anything else as compact JSON (an empty list as []).
func stored(tb testing.TB, v any) string {
	tb.Helper()
	switch x := v.(type) {
	case time.Time:
		return collections.FormatDate(x)
	case json.RawMessage:
		var b bytes.Buffer
		if err := json.Compact(&b, x); err != nil {
			tb.Fatal(err)
		}
		return b.String()
	case []string:
		if x == nil {
			return "[]"
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// inputRow is one write: a create of in, or (with old) a create of old and
// an update with in.
type inputRow struct {
	name string
	coll string // "inputs" when empty
	old  map[string]any
	in   map[string]any
	as   collections.Caller // the system when nil
	// want are the stored values after the write (after the failed
	// update, with old); "<now>" is a date of the write, "<old>" the
	// value before the update.
	want map[string]string
	// codes are the field errors of a write that fails with EINVALID;
	// err is the code of one that fails otherwise.
	codes map[string]string
	err   string
}

var inputRows = []inputRow{
	// text
	{name: "text", in: map[string]any{"title": "hello", "code": "ab"}, want: map[string]string{"title": `"hello"`, "code": `"ab"`}},
	{name: "text number and bool are their text", in: map[string]any{"title": 5.5, "note": true}, want: map[string]string{"title": `"5.5"`, "note": `"true"`}},
	{name: "text omitted is empty", in: map[string]any{}, want: map[string]string{"title": `""`, "code": `""`}},
	{name: "text empty skips min and pattern", in: map[string]any{"code": ""}, want: map[string]string{"code": `""`}},
	{name: "text below min", in: map[string]any{"code": "a"}, codes: map[string]string{"code": "validation_min_text_constraint"}},
	{name: "text above max", in: map[string]any{"code": "abcdef"}, codes: map[string]string{"code": "validation_max_text_constraint"}},
	{name: "text against pattern", in: map[string]any{"code": "AB"}, codes: map[string]string{"code": "validation_invalid_format"}},
	{name: "text counts characters", in: map[string]any{"title": strings.Repeat("é", 5000)}, want: map[string]string{"title": `"` + strings.Repeat("é", 5000) + `"`}},
	{name: "text above the default max", in: map[string]any{"title": strings.Repeat("a", 5001)}, codes: map[string]string{"title": "validation_max_text_constraint"}},
	{name: "text with a NUL", in: map[string]any{"title": "a\x00b"}, codes: map[string]string{"title": "validation_invalid_text"}},
	{name: "json with invalid UTF-8 in a key", in: map[string]any{"meta": map[string]any{"\xff": 1.0}}, codes: map[string]string{"meta": "validation_invalid_text"}},
	{name: "text object", in: map[string]any{"title": map[string]any{"a": 1.0}}, codes: map[string]string{"title": "validation_invalid_value"}},
	{name: "text update", old: map[string]any{"code": "ab"}, in: map[string]any{"code": "abc"}, want: map[string]string{"code": `"abc"`}},
	{name: "text update refused keeps the value", old: map[string]any{"code": "ab", "title": "t"}, in: map[string]any{"code": "AB", "title": "u"},
		codes: map[string]string{"code": "validation_invalid_format"}, want: map[string]string{"code": `"ab"`, "title": `"t"`}},
	{name: "text update leaves fields not given", old: map[string]any{"code": "ab", "title": "t"}, in: map[string]any{"title": "u"}, want: map[string]string{"code": `"ab"`, "title": `"u"`}},

	// number
	{name: "number", in: map[string]any{"count": 5.0, "score": -2.5}, want: map[string]string{"count": "5", "score": "-2.5"}},
	{name: "number from text", in: map[string]any{"count": " 7 ", "score": "1e3"}, want: map[string]string{"count": "7", "score": "1000"}},
	{name: "number from json.Number", in: map[string]any{"score": json.Number("12.25")}, want: map[string]string{"score": "12.25"}},
	{name: "number omitted is zero", in: map[string]any{}, want: map[string]string{"count": "0", "score": "0"}},
	{name: "number zero skips min", in: map[string]any{"count": 0.0}, want: map[string]string{"count": "0"}},
	{name: "number empty text is zero", in: map[string]any{"count": ""}, want: map[string]string{"count": "0"}},
	{name: "number below min", in: map[string]any{"count": -1.0}, codes: map[string]string{"count": "validation_min_number_constraint"}},
	{name: "number above max", in: map[string]any{"count": 11.0}, codes: map[string]string{"count": "validation_max_number_constraint"}},
	{name: "number onlyInt", in: map[string]any{"count": 1.5}, codes: map[string]string{"count": "validation_only_int_constraint"}},
	{name: "number not a number", in: map[string]any{"score": "many"}, codes: map[string]string{"score": "validation_invalid_number"}},
	{name: "number not finite", in: map[string]any{"score": "NaN"}, codes: map[string]string{"score": "validation_invalid_number"}},
	{name: "number list", in: map[string]any{"score": []any{1.0}}, codes: map[string]string{"score": "validation_invalid_number"}},
	{name: "number update", old: map[string]any{"count": 2.0}, in: map[string]any{"count": 3.0}, want: map[string]string{"count": "3"}},
	{name: "number update refused", old: map[string]any{"count": 2.0}, in: map[string]any{"count": 30.0}, codes: map[string]string{"count": "validation_max_number_constraint"}, want: map[string]string{"count": "2"}},

	// bool
	{name: "bool", in: map[string]any{"flag": true}, want: map[string]string{"flag": "true"}},
	{name: "bool from form text", in: map[string]any{"flag": "on"}, want: map[string]string{"flag": "true"}},
	{name: "bool from number", in: map[string]any{"flag": 0.0}, want: map[string]string{"flag": "false"}},
	{name: "bool omitted", in: map[string]any{}, want: map[string]string{"flag": "false"}},
	{name: "bool other text", in: map[string]any{"flag": "maybe"}, codes: map[string]string{"flag": "validation_invalid_bool"}},
	{name: "bool update to false", old: map[string]any{"flag": true}, in: map[string]any{"flag": false}, want: map[string]string{"flag": "false"}},

	// email
	{name: "email", in: map[string]any{"mail": "ann@example.com", "other": "bob@elsewhere.test"}, want: map[string]string{"mail": `"ann@example.com"`, "other": `"bob@elsewhere.test"`}},
	{name: "email malformed", in: map[string]any{"other": "not an email"}, codes: map[string]string{"other": "validation_is_email"}},
	{name: "email with a display name", in: map[string]any{"other": "Ann <ann@example.com>"}, codes: map[string]string{"other": "validation_is_email"}},
	{name: "email outside onlyDomains", in: map[string]any{"mail": "ann@example.org"}, codes: map[string]string{"mail": "validation_email_domain_not_allowed"}},
	{name: "email in exceptDomains", in: map[string]any{"other": "ann@spam.test"}, codes: map[string]string{"other": "validation_email_domain_not_allowed"}},
	{name: "email empty skips domains", in: map[string]any{"mail": ""}, want: map[string]string{"mail": `""`}},

	// url
	{name: "url", in: map[string]any{"site": "https://example.com/a?b=c"}, want: map[string]string{"site": `"https://example.com/a?b=c"`}},
	{name: "url without scheme", in: map[string]any{"site": "example.com"}, codes: map[string]string{"site": "validation_invalid_url"}},
	{name: "url in exceptDomains", in: map[string]any{"site": "https://spam.test:8080/x"}, codes: map[string]string{"site": "validation_url_domain_not_allowed"}},

	// date
	{name: "date", in: map[string]any{"day": "2024-01-31 12:30:00.000Z"}, want: map[string]string{"day": "2024-01-31 12:30:00.000Z"}},
	{name: "date RFC 3339 with a zone", in: map[string]any{"day": "2024-01-31T12:30:00+02:00"}, want: map[string]string{"day": "2024-01-31 10:30:00.000Z"}},
	{name: "date without time", in: map[string]any{"day": "2024-01-31"}, want: map[string]string{"day": "2024-01-31 00:00:00.000Z"}},
	{name: "date empty", in: map[string]any{"day": ""}, want: map[string]string{"day": "null"}},
	{name: "date not a date", in: map[string]any{"day": "yesterday"}, codes: map[string]string{"day": "validation_invalid_date"}},
	{name: "date before min", in: map[string]any{"day": "2019-12-31 23:59:59.999Z"}, codes: map[string]string{"day": "validation_min_date_constraint"}},
	{name: "date after max", in: map[string]any{"day": "2031-01-01"}, codes: map[string]string{"day": "validation_max_date_constraint"}},
	{name: "date update to empty", old: map[string]any{"day": "2024-01-31"}, in: map[string]any{"day": nil}, want: map[string]string{"day": "null"}},

	// select
	{name: "select single", in: map[string]any{"status": "b"}, want: map[string]string{"status": `"b"`}},
	{name: "select single from a list of one", in: map[string]any{"status": []any{"c"}}, want: map[string]string{"status": `"c"`}},
	{name: "select single unknown value", in: map[string]any{"status": "d"}, codes: map[string]string{"status": "validation_invalid_value"}},
	{name: "select single keeps the last of several", in: map[string]any{"status": []any{"a", "b"}}, want: map[string]string{"status": `"b"`}},
	{name: "select single checks only the last", in: map[string]any{"status": []any{"d", "a"}}, want: map[string]string{"status": `"a"`}},
	{name: "select multi", in: map[string]any{"tags": []any{"y", "x"}}, want: map[string]string{"tags": `["y","x"]`}},
	{name: "select multi from one value", in: map[string]any{"tags": "z"}, want: map[string]string{"tags": `["z"]`}},
	{name: "select multi drops repeats and blanks", in: map[string]any{"tags": []any{"x", "", "x"}}, want: map[string]string{"tags": `["x"]`}},
	{name: "select multi omitted", in: map[string]any{}, want: map[string]string{"tags": `[]`, "status": `""`}},
	{name: "select multi above maxSelect", in: map[string]any{"tags": []any{"x", "y", "z"}}, codes: map[string]string{"tags": "validation_too_many_values"}},
	{name: "select multi unknown value", in: map[string]any{"tags": []any{"x", "w"}}, codes: map[string]string{"tags": "validation_invalid_value"}},
	{name: "select multi not strings", in: map[string]any{"tags": []any{1.0}}, codes: map[string]string{"tags": "validation_invalid_value"}},

	// json
	{name: "json object", in: map[string]any{"meta": map[string]any{"a": 1.0}}, want: map[string]string{"meta": `{"a":1}`}},
	{name: "json text", in: map[string]any{"meta": "hi"}, want: map[string]string{"meta": `"hi"`}},
	{name: "json null", in: map[string]any{"meta": nil}, want: map[string]string{"meta": "null"}},
	{name: "json above maxSize", in: map[string]any{"meta": strings.Repeat("a", 19)}, codes: map[string]string{"meta": "validation_json_size_limit"}},
	{name: "json update", old: map[string]any{"meta": []any{1.0}}, in: map[string]any{"meta": []any{1.0, 2.0}}, want: map[string]string{"meta": `[1,2]`}},

	// relation
	{name: "relation single", in: map[string]any{"owner": a1}, want: map[string]string{"owner": `"` + a1 + `"`}},
	{name: "relation single missing target", in: map[string]any{"owner": "nosuchauthor00"}, codes: map[string]string{"owner": "validation_missing_rel_records"}},
	{name: "relation single keeps the last of several", in: map[string]any{"owner": []any{a1, a2}}, want: map[string]string{"owner": `"` + a2 + `"`}},
	{name: "relation single omitted", in: map[string]any{}, want: map[string]string{"owner": `""`, "team": `[]`}},
	{name: "relation id too long", in: map[string]any{"owner": strings.Repeat("a", 101)}, codes: map[string]string{"owner": "validation_invalid_value"}},
	{name: "relation multi", in: map[string]any{"team": []any{a2, a1}}, want: map[string]string{"team": `["` + a2 + `","` + a1 + `"]`}},
	{name: "relation multi drops repeats", in: map[string]any{"team": []any{a1, a2, a1}}, want: map[string]string{"team": `["` + a1 + `","` + a2 + `"]`}},
	{name: "relation multi below minSelect", in: map[string]any{"team": a1}, codes: map[string]string{"team": "validation_not_enough_values"}},
	{name: "relation multi above maxSelect", in: map[string]any{"team": []any{a1, a2, a3, a4}}, codes: map[string]string{"team": "validation_too_many_values"}},
	{name: "relation multi missing target", in: map[string]any{"team": []any{a1, "nosuchauthor00"}}, codes: map[string]string{"team": "validation_missing_rel_records"}},
	{name: "relation update to empty", old: map[string]any{"owner": a1, "team": []any{a1, a2}}, in: map[string]any{"owner": "", "team": []any{}}, want: map[string]string{"owner": `""`, "team": `[]`}},
	{name: "relation update refused keeps the value", old: map[string]any{"owner": a1}, in: map[string]any{"owner": "nosuchauthor00"},
		codes: map[string]string{"owner": "validation_missing_rel_records"}, want: map[string]string{"owner": `"` + a1 + `"`}},

	// geoPoint
	{name: "geoPoint", in: map[string]any{"spot": map[string]any{"lon": 13.4, "lat": 52.5}}, want: map[string]string{"spot": `{"lon":13.4,"lat":52.5}`}},
	{name: "geoPoint as JSON text", in: map[string]any{"spot": `{"lat": -33.9, "lon": 18.4}`}, want: map[string]string{"spot": `{"lon":18.4,"lat":-33.9}`}},
	{name: "geoPoint omitted", in: map[string]any{}, want: map[string]string{"spot": `{"lon":0,"lat":0}`}},
	{name: "geoPoint latitude out of range", in: map[string]any{"spot": map[string]any{"lon": 0.0, "lat": 91.0}}, codes: map[string]string{"spot": "validation_invalid_latitude"}},
	{name: "geoPoint longitude out of range", in: map[string]any{"spot": map[string]any{"lon": -181.0, "lat": 0.0}}, codes: map[string]string{"spot": "validation_invalid_longitude"}},
	{name: "geoPoint not a point", in: map[string]any{"spot": map[string]any{"lon": "east", "lat": 1.0}}, codes: map[string]string{"spot": "validation_invalid_geo_point"}},
	{name: "geoPoint update", old: map[string]any{"spot": map[string]any{"lon": 1.0, "lat": 2.0}}, in: map[string]any{"spot": nil}, want: map[string]string{"spot": `{"lon":0,"lat":0}`}},

	// autodate
	{name: "autodate set by the server on create", in: map[string]any{"created": "2001-01-01 00:00:00.000Z", "updated": "2001-01-01"}, want: map[string]string{"created": "<now>", "updated": "<now>"}},
	{name: "autodate on update", old: map[string]any{"title": "a"}, in: map[string]any{"title": "b", "created": "2001-01-01"}, want: map[string]string{"created": "<old>", "updated": "<now>"}},

	// several errors at once, and the id
	{name: "every error is reported", in: map[string]any{"code": "ABC", "count": 0.5, "status": "z", "owner": "nosuchauthor00"},
		codes: map[string]string{"code": "validation_invalid_format", "count": "validation_only_int_constraint", "status": "validation_invalid_value", "owner": "validation_missing_rel_records"}},
	{name: "id given", in: map[string]any{"id": "given0000000001"}, want: map[string]string{"id": `"given0000000001"`}},
	{name: "id against its pattern", in: map[string]any{"id": "Given0000000001"}, codes: map[string]string{"id": "validation_invalid_format"}},
	{name: "id too short", in: map[string]any{"id": "short"}, codes: map[string]string{"id": "validation_min_text_constraint"}},

	// required fields
	{name: "required omitted", coll: "strict", in: map[string]any{}, codes: map[string]string{
		"rtext": "validation_required", "rnum": "validation_required", "rbool": "validation_required", "rmail": "validation_required",
		"rday": "validation_required", "rstatus": "validation_required", "rtags": "validation_required", "rmeta": "validation_required",
		"rowner": "validation_required", "rteam": "validation_required", "rspot": "validation_required"}},
	{name: "required empty values", coll: "strict", in: map[string]any{"rtext": "", "rnum": 0.0, "rbool": false, "rmail": "", "rday": "",
		"rstatus": "", "rtags": []any{}, "rmeta": map[string]any{}, "rowner": "", "rteam": []any{}, "rspot": map[string]any{"lon": 0.0, "lat": 0.0}},
		codes: map[string]string{
			"rtext": "validation_required", "rnum": "validation_required", "rbool": "validation_required", "rmail": "validation_required",
			"rday": "validation_required", "rstatus": "validation_required", "rtags": "validation_required", "rmeta": "validation_required",
			"rowner": "validation_required", "rteam": "validation_required", "rspot": "validation_required"}},
	{name: "required given", coll: "strict", in: map[string]any{"rtext": "t", "rnum": -1.0, "rbool": true, "rmail": "a@example.com", "rday": "2024-01-01",
		"rstatus": "a", "rtags": "y", "rmeta": 0.0, "rowner": a1, "rteam": []any{a1, a2}, "rspot": map[string]any{"lon": 1.0}},
		want: map[string]string{"rnum": "-1", "rmeta": "0", "rspot": `{"lon":1,"lat":0}`}},

	// password
	{name: "password", coll: "members", in: map[string]any{"email": "p1@example.com", "password": "1234567890", "passwordConfirm": "1234567890"},
		want: map[string]string{"password": `"hash:1234567890"`}},
	{name: "password counts characters", coll: "members", in: map[string]any{"email": "p2@example.com", "password": "éééééééééé"},
		want: map[string]string{"password": `"hash:éééééééééé"`}},
	{name: "password omitted", coll: "members", in: map[string]any{"email": "p3@example.com"}, codes: map[string]string{"password": "validation_required"}},
	{name: "password below min", coll: "members", in: map[string]any{"email": "p4@example.com", "password": "123456789"}, codes: map[string]string{"password": "validation_min_text_constraint"}},
	{name: "password above max", coll: "members", in: map[string]any{"email": "p5@example.com", "password": "1234567890123"}, codes: map[string]string{"password": "validation_max_text_constraint"}},
	{name: "password not text", coll: "members", in: map[string]any{"email": "p6@example.com", "password": 1234567890.0}, codes: map[string]string{"password": "validation_invalid_value"}},
	{name: "password confirmation differs", coll: "members", in: map[string]any{"email": "p7@example.com", "password": "1234567890", "passwordConfirm": "1234567891"},
		codes: map[string]string{"passwordConfirm": "validation_values_mismatch"}},
	{name: "password update", coll: "members", old: map[string]any{"email": "p8@example.com", "password": "1234567890"}, in: map[string]any{"password": "abcdefghij"},
		want: map[string]string{"password": `"hash:abcdefghij"`}},
	{name: "password update without it keeps it", coll: "members", old: map[string]any{"email": "p9@example.com", "password": "1234567890"}, in: map[string]any{"emailVisibility": true},
		want: map[string]string{"password": `"hash:1234567890"`, "emailVisibility": "true"}},
	{name: "password update empty keeps it", coll: "members", old: map[string]any{"email": "p10@example.com", "password": "1234567890"}, in: map[string]any{"password": ""},
		want: map[string]string{"password": `"hash:1234567890"`}},
	{name: "password update by its user needs the old one", coll: "members", as: writer(nil), old: map[string]any{"email": "p11@example.com", "password": "1234567890"},
		in: map[string]any{"password": "abcdefghij"}, codes: map[string]string{"oldPassword": "validation_invalid_old_password"}, want: map[string]string{"password": `"hash:1234567890"`}},

	// modifiers
	{name: "number add", old: map[string]any{"score": 3.0}, in: map[string]any{"score+": 2.0}, want: map[string]string{"score": "5"}},
	{name: "number subtract", old: map[string]any{"score": 3.0}, in: map[string]any{"score-": 5.0}, want: map[string]string{"score": "-2"}},
	{name: "number add text", old: map[string]any{"score": 3.0}, in: map[string]any{"score+": "0.5"}, want: map[string]string{"score": "3.5"}},
	{name: "number add after set", old: map[string]any{"score": 3.0}, in: map[string]any{"score": 10.0, "score-": 1.0}, want: map[string]string{"score": "9"}},
	{name: "number add on create", in: map[string]any{"score+": 4.0}, want: map[string]string{"score": "4"}},
	{name: "number add not a number", old: map[string]any{"score": 3.0}, in: map[string]any{"score+": "x"}, codes: map[string]string{"score": "validation_invalid_number"}, want: map[string]string{"score": "3"}},
	{name: "number add past max", old: map[string]any{"count": 9.0}, in: map[string]any{"count+": 2.0}, codes: map[string]string{"count": "validation_max_number_constraint"}, want: map[string]string{"count": "9"}},
	{name: "number add a fraction to an int", old: map[string]any{"count": 2.0}, in: map[string]any{"count+": 0.5}, codes: map[string]string{"count": "validation_only_int_constraint"}},
	{name: "number subtract to zero", old: map[string]any{"count": 2.0}, in: map[string]any{"count-": 2.0}, want: map[string]string{"count": "0"}},
	{name: "select append", old: map[string]any{"tags": "x"}, in: map[string]any{"tags+": "y"}, want: map[string]string{"tags": `["x","y"]`}},
	{name: "select prepend", old: map[string]any{"tags": "x"}, in: map[string]any{"+tags": []any{"z"}}, want: map[string]string{"tags": `["z","x"]`}},
	{name: "select remove", old: map[string]any{"tags": []any{"x", "y"}}, in: map[string]any{"tags-": "x"}, want: map[string]string{"tags": `["y"]`}},
	{name: "select remove absent", old: map[string]any{"tags": []any{"x"}}, in: map[string]any{"tags-": "y"}, want: map[string]string{"tags": `["x"]`}},
	{name: "select append present", old: map[string]any{"tags": []any{"x", "y"}}, in: map[string]any{"tags+": "x"}, want: map[string]string{"tags": `["x","y"]`}},
	{name: "select append past maxSelect", old: map[string]any{"tags": []any{"x", "y"}}, in: map[string]any{"tags+": "z"}, codes: map[string]string{"tags": "validation_too_many_values"}, want: map[string]string{"tags": `["x","y"]`}},
	{name: "select append unknown value", old: map[string]any{"tags": "x"}, in: map[string]any{"tags+": "w"}, codes: map[string]string{"tags": "validation_invalid_value"}},
	{name: "select append on create", in: map[string]any{"tags": "x", "tags+": "y"}, want: map[string]string{"tags": `["x","y"]`}},
	{name: "relation append", old: map[string]any{"team": []any{a1, a2}}, in: map[string]any{"team+": a3}, want: map[string]string{"team": `["` + a1 + `","` + a2 + `","` + a3 + `"]`}},
	{name: "relation prepend", old: map[string]any{"team": []any{a1, a2}}, in: map[string]any{"+team": a3}, want: map[string]string{"team": `["` + a3 + `","` + a1 + `","` + a2 + `"]`}},
	{name: "relation remove all", old: map[string]any{"team": []any{a1, a2}}, in: map[string]any{"team-": []any{a2, a1}}, want: map[string]string{"team": `[]`}},
	{name: "relation remove below minSelect", old: map[string]any{"team": []any{a1, a2}}, in: map[string]any{"team-": a1}, codes: map[string]string{"team": "validation_not_enough_values"}},
	{name: "relation append past maxSelect", old: map[string]any{"team": []any{a1, a2}}, in: map[string]any{"team+": []any{a3, a4}}, codes: map[string]string{"team": "validation_too_many_values"}},
	{name: "relation append missing target", old: map[string]any{"team": []any{a1, a2}}, in: map[string]any{"team+": "nosuchauthor00"}, codes: map[string]string{"team": "validation_missing_rel_records"}},
	{name: "relation append and remove", old: map[string]any{"team": []any{a1, a2}}, in: map[string]any{"team+": a3, "team-": a1}, want: map[string]string{"team": `["` + a2 + `","` + a3 + `"]`}},
	{name: "modifier on text", old: map[string]any{"title": "a"}, in: map[string]any{"title+": "b"}, codes: map[string]string{"title": "validation_invalid_modifier"}},
	{name: "modifier on a bool", old: map[string]any{"flag": true}, in: map[string]any{"flag-": true}, codes: map[string]string{"flag": "validation_invalid_modifier"}, want: map[string]string{"flag": "true"}},
	{name: "single select append replaces", old: map[string]any{"status": "a"}, in: map[string]any{"status+": "b"}, want: map[string]string{"status": `"b"`}},
	{name: "single select prepend keeps", old: map[string]any{"status": "a"}, in: map[string]any{"+status": "b"}, want: map[string]string{"status": `"a"`}},
	{name: "single select prepend to empty", old: map[string]any{}, in: map[string]any{"+status": "c"}, want: map[string]string{"status": `"c"`}},
	{name: "single select remove", old: map[string]any{"status": "a"}, in: map[string]any{"status-": "a"}, want: map[string]string{"status": `""`}},
	{name: "single select append unknown value", old: map[string]any{"status": "a"}, in: map[string]any{"status+": "d"}, codes: map[string]string{"status": "validation_invalid_value"}, want: map[string]string{"status": `"a"`}},
	{name: "single relation append replaces", old: map[string]any{"owner": a1}, in: map[string]any{"owner+": a2}, want: map[string]string{"owner": `"` + a2 + `"`}},
	{name: "single relation remove", old: map[string]any{"owner": a1}, in: map[string]any{"owner-": a1}, want: map[string]string{"owner": `""`}},
	{name: "single relation remove another", old: map[string]any{"owner": a1}, in: map[string]any{"owner-": a2}, want: map[string]string{"owner": `"` + a1 + `"`}},
	{name: "single relation append missing target", old: map[string]any{"owner": a1}, in: map[string]any{"owner+": "nosuchauthor00"}, codes: map[string]string{"owner": "validation_missing_rel_records"}, want: map[string]string{"owner": `"` + a1 + `"`}},
	{name: "modifier on an unknown field is ignored", old: map[string]any{"score": 1.0}, in: map[string]any{"nothing+": 1.0}, want: map[string]string{"score": "1"}},
	{name: "modifier on a field the caller may not write", as: writer{"title"}, old: map[string]any{"score": 1.0}, in: map[string]any{"title": "t", "score+": 1.0},
		err: collections.EFORBIDDEN, codes: map[string]string{"score": "validation_forbidden_field"}, want: map[string]string{"score": "1", "title": `""`}},
	{name: "prepend on a field the caller may not write", as: writer{"title"}, old: map[string]any{"tags": "x"}, in: map[string]any{"+tags": "y"},
		err: collections.EFORBIDDEN, codes: map[string]string{"tags": "validation_forbidden_field"}, want: map[string]string{"tags": `["x"]`}},
	{name: "modifiers on fields the caller may write", as: writer{"score", "tags"}, old: map[string]any{"score": 1.0}, in: map[string]any{"score+": 1.0, "tags+": "z"},
		want: map[string]string{"score": "2", "tags": `["z"]`}},
	{name: "modifier on a hidden field by a caller is ignored", as: writer(nil), old: map[string]any{"note": "a"}, in: map[string]any{"note+": "b", "note": "c", "title": "t"},
		want: map[string]string{"note": `"a"`, "title": `"t"`}},
	{name: "create by a caller may not write a field", as: writer{"title"}, in: map[string]any{"count": 1.0}, err: collections.EFORBIDDEN, codes: map[string]string{"count": "validation_forbidden_field"}},
}

// TestRecordInput writes each row's input and compares the stored values
// or the field errors.
func TestRecordInput(t *testing.T) {
	t.Parallel()
	svc := MustInputs(t)
	for _, row := range inputRows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			name := row.coll
			if name == "" {
				name = "inputs"
			}
			c, _ := svc.Collection(name)
			recs := svc.SystemRecords()
			if row.as != nil {
				recs = svc.RecordsAs(row.as)
			}
			var before *collections.Record
			var err error
			start := time.Now().UTC().Truncate(time.Millisecond)
			if row.old != nil {
				if before, err = svc.SystemRecords().Create(ctx, c, maps.Clone(row.old)); err != nil {
					t.Fatalf("old: %v", err)
				}
				_, err = recs.Update(ctx, c, before.ID(), maps.Clone(row.in))
			} else {
				var rec *collections.Record
				rec, err = recs.Create(ctx, c, maps.Clone(row.in))
				if rec != nil {
					before = rec
				}
			}
			checkInputError(t, err, row)
			if before == nil {
				return
			}
			after, err := svc.SystemRecords().Get(ctx, c, before.ID())
			if err != nil {
				t.Fatal(err)
			}
			for _, field := range slices.Sorted(maps.Keys(row.want)) {
				want := row.want[field]
				got := stored(t, after.Data[field])
				switch want {
				case "<old>":
					want = stored(t, before.Data[field])
				case "<now>":
					d, ok := after.Data[field].(time.Time)
					if !ok || d.Before(start) || d.After(time.Now()) {
						t.Errorf("%s = %s, want a date of the write (after %s)", field, got, collections.FormatDate(start))
					}
					continue
				}
				if got != want {
					t.Errorf("%s = %s, want %s", field, got, want)
				}
			}
		})
	}
}

func checkInputError(t *testing.T, err error, row inputRow) {
	t.Helper()
	if row.codes == nil && row.err == "" {
		if err != nil {
			t.Fatalf("write: %v", err)
		}
		return
	}
	var de *collections.Error
	if !errors.As(err, &de) {
		t.Fatalf("write: %v, want a domain error", err)
	}
	want := row.err
	if want == "" {
		want = collections.EINVALID
	}
	if de.Code != want {
		t.Errorf("error code %q (%v), want %q", de.Code, err, want)
	}
	got := map[string]string{}
	for k, fe := range de.Data {
		got[k] = fe.Code
	}
	if !maps.Equal(got, row.codes) {
		t.Errorf("field errors %v, want %v", got, row.codes)
	}
}
