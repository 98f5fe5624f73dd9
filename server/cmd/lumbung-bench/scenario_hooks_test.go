package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMeasureJSHook runs create and create-jshook against fake servers
// that run the hook while its file is in their folder: create-jshook
// puts the file in place before its warm-up, measures with it there and
// takes it away after; the baseline, without a hooks folder, is n/a.
func TestMeasureJSHook(t *testing.T) {
	var mu sync.Mutex
	hooked := map[string][2]int{} // target: creates without, with the file
	newFake := func(name string, hooks bool) *target {
		dir := ""
		if hooks {
			dir = t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "hooks"), 0o755); err != nil {
				t.Fatal(err)
			}
			dir = filepath.Join(dir, "hooks")
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var rec map[string]any
			if err := json.NewDecoder(r.Body).Decode(&rec); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			on := false
			if dir != "" {
				b, err := os.ReadFile(filepath.Join(dir, jsHookFile))
				if on = err == nil; on && !strings.Contains(string(b), `}, "bench")`) {
					t.Errorf("%s: the hook file is not bound to bench:\n%s", name, b)
				}
			}
			mu.Lock()
			c := hooked[name]
			if on {
				c[1]++
				rec["title"] = rec["title"].(string) + jsHookMark
			} else {
				c[0]++
			}
			hooked[name] = c
			mu.Unlock()
			json.NewEncoder(w).Encode(rec) //nolint:errcheck
		}))
		t.Cleanup(srv.Close)
		env := &scenarioEnv{collection: "bench", records: "/api/collections/bench/records", ids: []string{"a"}}
		tg := newTarget(name, strings.TrimPrefix(srv.URL, "http://"), "su-"+name, env, 2)
		tg.hooksDir = dir
		return tg
	}
	lb, base, pb := newFake("lumbung", true), newFake("baseline", false), newFake("pocketbase", true)
	m := &measurer{
		cfg:     config{concurrency: 2, duration: 30 * time.Millisecond, warmup: 10 * time.Millisecond, requests: 5},
		targets: []*target{lb, base, pb},
		mode:    "durable",
		setMode: func(context.Context, string) error { return nil },
		say:     func(string, ...any) {},
	}
	reps, err := m.measure(context.Background(), planSteps([]string{"create", "create-jshook"}, "no-fsync", []string{"durable"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 2 || reps[1].Name != "create-jshook" {
		t.Fatalf("reports %+v", reps)
	}
	r := reps[1]
	if r.Baseline != nil || r.Lumbung == nil || r.PocketBase == nil || r.Lumbung.OK != 5 || r.PocketBase.OK != 5 {
		t.Errorf("create-jshook: lumbung %+v, baseline %+v, pocketbase %+v", r.Lumbung, r.Baseline, r.PocketBase)
	}
	for _, name := range []string{"lumbung", "pocketbase"} {
		// create: 5 + a warm-up of 5, all without the file; create-jshook:
		// the probe that saw it run, a warm-up of 5 and 5, with it; then
		// the probe that saw it gone, without
		if c := hooked[name]; c != [2]int{5 + 5 + 1, 1 + 5 + 5} {
			t.Errorf("%s: %d creates without the hook, %d with it; want 11 and 11", name, c[0], c[1])
		}
	}
	if c := hooked["baseline"]; c != [2]int{10, 0} {
		t.Errorf("baseline: %v", c)
	}
	for _, tg := range []*target{lb, pb} {
		if left, _ := os.ReadDir(tg.hooksDir); len(left) != 0 {
			t.Errorf("%s's hooks folder still holds %v", tg.name, left)
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(tg.hooksDir), ".tmp-*")); len(left) != 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
}

// TestJSHookNotTakenUp: a server that never runs the hook stops the
// measurement with an error naming it, and the file is taken away.
func TestJSHookNotTakenUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"title":"probe"}`))
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "hooks")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := &scenarioEnv{collection: "bench", records: "/api/collections/bench/records"}
	tg := newTarget("lumbung", strings.TrimPrefix(srv.URL, "http://"), "", env, 1)
	tg.hooksDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 3*jsHookProbeEvery)
	defer cancel()
	_, err := prepareJSHook(ctx, tg, config{})
	if err == nil || !strings.Contains(err.Error(), "lumbung did not take up") {
		t.Errorf("error %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the hooks folder still holds %v", left)
	}
}

func TestJSHookScript(t *testing.T) {
	got := jsHookScript(`we"ird`)
	for _, want := range []string{
		`onRecordCreate((e) => {`,
		`e.record.set("title", e.record.get("title") + " (js)")`,
		`e.next()`,
		`}, "we\"ird")`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if !jsHookSelected([]string{"list", "create-jshook"}) || jsHookSelected([]string{"create"}) {
		t.Error("jsHookSelected")
	}
	if got := scenarioNames(); slices.Index(got, "create-jshook") != slices.Index(got, "create")+1 ||
		slices.Index(got, "create-webhook") != slices.Index(got, "create")+2 {
		t.Errorf("scenario order %v: create-jshook and create-webhook follow create", got)
	}
}

// TestCreateComesAlong: create-jshook and create-webhook bring create,
// which their cost is measured against.
func TestCreateComesAlong(t *testing.T) {
	for _, list := range []string{"create-jshook", "create-webhook,list"} {
		cfg, err := parseFlags([]string{"-scenarios", list}, discard{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cfg.scenarios, "create") {
			t.Errorf("-scenarios %s: %v, no create", list, cfg.scenarios)
		}
	}
	cfg, err := parseFlags([]string{"-scenarios", "list"}, discard{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.scenarios, []string{"list"}) {
		t.Errorf("-scenarios list: %v", cfg.scenarios)
	}
}

// TestPlanStepsCreates: create and the scenarios compared with it run
// side by side in each mode.
func TestPlanStepsCreates(t *testing.T) {
	got := planSteps([]string{"view", "create", "create-jshook", "create-webhook", "upload"}, "no-fsync", []string{"durable", "async-commit"})
	want := []step{{"view", "no-fsync"},
		{"create", "durable"}, {"create-jshook", "durable"}, {"create-webhook", "durable"},
		{"create", "async-commit"}, {"create-jshook", "async-commit"}, {"create-webhook", "async-commit"},
		{"upload", "durable"}}
	if !slices.Equal(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
}
