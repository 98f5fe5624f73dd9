package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"time"

	"github.com/valyala/fasthttp"
)

// compareTargets sends each scenario's request once to both targets and
// returns a warning for every pair of answers that differ. Reads must match
// byte for byte, role scenarios included: their condition holds for every
// record, so the role member gets the superuser's rows. Creates are
// compared with ids and dates blanked.
func compareTargets(a, b *target, env *scenarioEnv, names []string) []string {
	var warnings []string
	for _, name := range names {
		s, _ := scenarioByName(name)
		rnd := rand.New(rand.NewPCG(1, 2))
		path := s.path(env, rnd)
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
		if s.body != nil {
			ba, bb = blankGenerated(ba), blankGenerated(bb)
		}
		if sa != sb || !bytes.Equal(ba, bb) {
			warnings = append(warnings, fmt.Sprintf("%s: %s %s answers differ: %s %d %s; %s %d %s",
				name, s.method, path, a.name, sa, around(ba, bb), b.name, sb, around(bb, ba)))
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
