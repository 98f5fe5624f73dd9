package api_test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestRouteTableAccess: every route of the route table the OpenAPI
// document lists (Lumbung's own and plugins') is refused as its access
// says, before its handler runs, whatever its method and parameters: a
// superusers' route answers a guest 401 and a signed-in user 403, a
// signed-in route answers a guest 401. New routes (files, audit, record
// history, insights, backups…) are covered as they are added.
func TestRouteTableAccess(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	user := MustSignIn(t, e.env, "users", "ada@example.com", "ada password")
	var doc struct {
		Paths map[string]map[string]struct {
			Security []map[string]any `json:"security"`
		} `json:"paths"`
	}
	_, body := e.Do("GET", "/api/openapi.json", "", "")
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	var superusers, signedIn []string
	for path, ops := range doc.Paths {
		for m, op := range ops {
			method := strings.ToUpper(m)
			url := param.ReplaceAllString(path, "x0000000000000x")
			_, forSuperusers := securityOf(op.Security)["superuserToken"]
			_, forRecords := securityOf(op.Security)["recordToken"]
			anyone := len(op.Security) == 0 || hasEmpty(op.Security)
			switch {
			case forSuperusers:
				superusers = append(superusers, method+" "+path)
				if code, body := e.Do(method, url, "-", ""); code != 401 {
					t.Errorf("%s %s as a guest: %d %.100s", method, path, code, body)
				}
				if code, body := e.Do(method, url, user, ""); code != 403 {
					t.Errorf("%s %s as a user: %d %.100s", method, path, code, body)
				}
			case forRecords && !anyone:
				signedIn = append(signedIn, method+" "+path)
				if code, body := e.Do(method, url, "-", ""); code != 401 {
					t.Errorf("%s %s as a guest: %d %.100s", method, path, code, body)
				}
			}
		}
	}
	sort.Strings(superusers)
	for _, want := range []string{"GET /api/audit", "GET /api/insights", "GET /api/collections/{collection}/records/{id}/history", "POST /api/backups/upload"} {
		if i := sort.SearchStrings(superusers, want); i == len(superusers) || superusers[i] != want {
			t.Errorf("%s is not a superusers' route of the document: %v", want, superusers)
		}
	}
	if len(signedIn) == 0 {
		t.Error("no signed-in route checked")
	}
}

func securityOf(list []map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, m := range list {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

func hasEmpty(list []map[string]any) bool {
	for _, m := range list {
		if len(m) == 0 {
			return true
		}
	}
	return false
}
