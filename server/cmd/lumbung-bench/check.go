package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"time"

	"github.com/valyala/fasthttp"
)

// compareTargets sends each scenario's request once to both targets and
// returns a warning for every pair of answers that differ. Reads must match
// byte for byte, role scenarios included: their condition holds for every
// record, so the role member gets the superuser's rows. Creates are
// compared with ids and dates blanked.
func compareTargets(a, b *target, names []string) []string {
	return compare(a, b, names, exactDiff)
}

// exactDiff says where two answers differ byte for byte (a created
// record's generated values aside), or returns "" when they are the same.
func exactDiff(statusA int, a []byte, statusB int, b []byte, created bool) string {
	if created {
		a, b = blankGenerated(a), blankGenerated(b)
	}
	if statusA == statusB && bytes.Equal(a, b) {
		return ""
	}
	return fmt.Sprintf("%d %s; %d %s", statusA, around(a, b), statusB, around(b, a))
}

// compare sends each scenario b serves once to a and b and returns a
// warning for every pair of answers diff says differ.
func compare(a, b *target, names []string, diff func(statusA int, a []byte, statusB int, b []byte, created bool) string) []string {
	var warnings []string
	for _, name := range names {
		s, _ := scenarioByName(name)
		if !b.supports(s) || s.files || s.prepare != nil { // these check their setup instead
			continue
		}
		path := s.path(a.env, rand.New(rand.NewPCG(1, 2)))
		var body []byte
		if s.body != nil {
			body = s.body(rand.New(rand.NewPCG(3, 4)), nil)
		}
		sa, ba, err := fetch(a, a.authFor(s), s.method, path, body)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %s %s on %s: %v", name, s.method, path, a.name, err))
			continue
		}
		sb, bb, err := fetch(b, b.authFor(s), s.method, path, body)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %s %s on %s: %v", name, s.method, path, b.name, err))
			continue
		}
		if d := diff(sa, ba, sb, bb, s.body != nil); d != "" {
			warnings = append(warnings, fmt.Sprintf("%s: %s %s answers of %s and %s differ: %s", name, s.method, path, a.name, b.name, d))
		}
	}
	return warnings
}

func fetch(t *target, auth, method, path string, body []byte) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	req.Header.SetHost(t.addr)
	if auth != "" {
		req.Header.Set(fasthttp.HeaderAuthorization, auth)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	if err := t.client.DoTimeout(req, resp, 30*time.Second); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

var generated = regexp.MustCompile(`"(id|created|updated)":"[^"]*"`)

// blankGenerated replaces the values a create generates.
func blankGenerated(b []byte) []byte { return generated.ReplaceAll(b, []byte(`"$1":"…"`)) }

// around returns a's text near its first difference from b.
func around(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from, to := max(i-60, 0), min(i+100, len(a))
	return fmt.Sprintf("(at byte %d) …%s…", i, a[from:to])
}

// compareWithPeer sends each scenario p serves once to a and p (seeded
// with the same records under the same ids) and returns a warning for
// every pair of answers that differ in what both should agree on: the
// status; for a list its page, perPage, totalItems, totalPages, the number
// of items and the fields of the first; for a record its fields and
// values, except the collection's id and the dates (and the id of a
// created record). The order of a list without sort is each server's own.
func compareWithPeer(a, p *target, names []string) []string {
	return compare(a, p, names, answerDiff)
}

// answerDiff says how two answers differ in what compareWithPeer compares,
// or returns "" when they agree.
func answerDiff(statusA int, a []byte, statusB int, b []byte, created bool) string {
	if statusA != statusB {
		return fmt.Sprintf("status %d vs %d: %.200s vs %.200s", statusA, statusB, a, b)
	}
	var ma, mb map[string]any
	if err := json.Unmarshal(a, &ma); err != nil {
		return fmt.Sprintf("first answer is not a JSON object: %.200s", a)
	}
	if err := json.Unmarshal(b, &mb); err != nil {
		return fmt.Sprintf("second answer is not a JSON object: %.200s", b)
	}
	if _, ok := ma["items"]; ok {
		for _, k := range []string{"page", "perPage", "totalItems", "totalPages"} {
			if !reflect.DeepEqual(ma[k], mb[k]) {
				return fmt.Sprintf("%s %v vs %v", k, ma[k], mb[k])
			}
		}
		ia, _ := ma["items"].([]any)
		ib, _ := mb["items"].([]any)
		if len(ia) != len(ib) {
			return fmt.Sprintf("%d items vs %d", len(ia), len(ib))
		}
		if len(ia) > 0 {
			ra, _ := ia[0].(map[string]any)
			rb, _ := ib[0].(map[string]any)
			if ka, kb := slices.Sorted(maps.Keys(ra)), slices.Sorted(maps.Keys(rb)); !slices.Equal(ka, kb) {
				return fmt.Sprintf("item fields %v vs %v", ka, kb)
			}
		}
		return ""
	}
	for _, k := range []string{"collectionId", "created", "updated"} {
		delete(ma, k)
		delete(mb, k)
	}
	if created {
		delete(ma, "id")
		delete(mb, "id")
	}
	if !reflect.DeepEqual(ma, mb) {
		return fmt.Sprintf("%v vs %v", ma, mb)
	}
	return ""
}
