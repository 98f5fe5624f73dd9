package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMeasure runs reads and creates against three fake targets:
// PocketBase's role scenario is n/a, creates run once per mode, and the
// database is switched only between modes.
func TestMeasure(t *testing.T) {
	var mu sync.Mutex
	hits := map[string][]string{} // target: "METHOD path" of each request
	newFake := func(name string) *target {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[name] = append(hits[name], r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
			mu.Unlock()
			w.Write([]byte(`{}`))
		}))
		t.Cleanup(srv.Close)
		env := &scenarioEnv{records: "/api/collections/bench/records", ids: []string{"a", "b"}}
		return newTarget(name, strings.TrimPrefix(srv.URL, "http://"), "su-"+name, env, 2)
	}
	lb, base, pb := newFake("lumbung"), newFake("baseline"), newFake("pocketbase")
	lb.roles, lb.roleAuth, base.roles = true, "member", true

	var switched []string
	m := &measurer{
		cfg:     config{concurrency: 2, duration: 30 * time.Millisecond, requests: 5},
		targets: []*target{lb, base, pb},
		mode:    "no-fsync",
		setMode: func(_ context.Context, mode string) error { switched = append(switched, mode); return nil },
		say:     func(string, ...any) {},
	}
	steps := planSteps([]string{"list", "list-role", "create"}, "no-fsync", []string{"durable", "async-commit"})
	reps, err := m.measure(context.Background(), steps)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(switched, []string{"durable", "async-commit"}) {
		t.Errorf("switched to %v", switched)
	}
	var got []string
	for _, r := range reps {
		got = append(got, r.Name+"/"+r.Mode)
		if r.Lumbung == nil || r.Baseline == nil || r.Lumbung.OK != 5 || r.Baseline.OK != 5 {
			t.Errorf("%s (%s): lumbung %+v, baseline %+v; want 5 answers each", r.Name, r.Mode, r.Lumbung, r.Baseline)
		}
		if na := r.Name == "list-role"; (r.PocketBase == nil) != na || (r.PocketBaseRatio == nil) != na {
			t.Errorf("%s: pocketbase %+v, ratio %v; n/a should be %v", r.Name, r.PocketBase, r.PocketBaseRatio, na)
		}
	}
	if want := []string{"list/no-fsync", "list-role/no-fsync", "create/durable", "create/async-commit"}; !slices.Equal(got, want) {
		t.Errorf("reports %v, want %v", got, want)
	}
	for _, h := range hits["pocketbase"] {
		if strings.HasSuffix(h, " member") {
			t.Errorf("pocketbase got a role member's request: %s", h)
		}
	}
	if !slices.Contains(hits["lumbung"], "GET /api/collections/bench/records member") {
		t.Errorf("lumbung got no role member's request: %v", hits["lumbung"])
	}
}
