package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

// A collection as Lumbung answers it, rules and system fields included.
const lumbungBench = `{
  "id": "pbc_123", "name": "bench", "type": "base", "system": false,
  "listRule": null, "viewRule": "", "createRule": "title != ''", "updateRule": null, "deleteRule": null,
  "fields": [
    {"id": "text3208210256", "name": "id", "type": "text", "system": true, "primaryKey": true, "min": 15, "max": 15},
    {"id": "text1", "name": "title", "type": "text", "system": false, "required": false, "max": 0},
    {"id": "number1", "name": "score", "type": "number", "system": false, "onlyInt": false},
    {"id": "autodate1", "name": "created", "type": "autodate", "system": false, "onCreate": true, "onUpdate": false}
  ],
  "indexes": ["CREATE INDEX \"idx_bench_category\" ON \"bench\" (\"category\")"]
}`

func TestPocketBaseCollection(t *testing.T) {
	var saved map[string]any
	if err := json.Unmarshal([]byte(lumbungBench), &saved); err != nil {
		t.Fatal(err)
	}
	got, err := pocketbaseCollection(saved, benchIndexes)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "bench", "type": "base", "indexes": benchIndexes,
		"listRule": nil, "viewRule": "", "createRule": "title != ''", "updateRule": nil, "deleteRule": nil,
		"fields": []map[string]any{
			{"name": "title", "type": "text", "required": false, "max": float64(0)},
			{"name": "score", "type": "number", "onlyInt": false},
			{"name": "created", "type": "autodate", "onCreate": true, "onUpdate": false},
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	if _, err := pocketbaseCollection(map[string]any{"name": "bench"}, nil); err == nil {
		t.Error("no error for a collection without fields")
	}
}

func TestPocketBaseDirArgs(t *testing.T) {
	args := pocketbaseDirArgs("/d")
	if !slices.Contains(args, "--dev=false") {
		t.Errorf("dev mode not off: %q", args)
	}
	for i := 0; i < len(args)-1; i++ {
		if strings.HasSuffix(args[i], "Dir") || args[i] == "--dir" {
			if !strings.HasPrefix(args[i+1], "/d/") {
				t.Errorf("%s %s is outside the server's directory", args[i], args[i+1])
			}
		}
	}
}

// fakeGo writes a go command that runs script (sh) and returns its path.
func fakeGo(t *testing.T, script string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake go command is a shell script")
	}
	path := filepath.Join(t.TempDir(), "go")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBuildPocketBase(t *testing.T) {
	say := func(string, ...any) {}
	ctx := context.Background()

	t.Run("reuses a built binary", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "pocketbase-"+pocketbaseVersion)
		os.MkdirAll(dir, 0o755)
		bin := filepath.Join(dir, pocketbaseBinary)
		if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		got, err := buildPocketBase(ctx, dir, fakeGo(t, "exit 1\n"), say)
		if err != nil || got != bin {
			t.Fatalf("got %q, %v; want %q", got, err, bin)
		}
	})

	t.Run("builds with go install", func(t *testing.T) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "pocketbase-"+pocketbaseVersion)
		args := filepath.Join(parent, "args")
		goBin := fakeGo(t, `echo "$@" > `+args+`
printf '#!/bin/sh\n' > "$GOBIN/base" && chmod +x "$GOBIN/base"
`)
		got, err := buildPocketBase(ctx, dir, goBin, say)
		if err != nil {
			t.Fatal(err)
		}
		if got != filepath.Join(dir, pocketbaseBinary) {
			t.Errorf("got %q", got)
		}
		b, _ := os.ReadFile(args)
		if want := "install " + pocketbaseModule + "@" + pocketbaseVersion; strings.TrimSpace(string(b)) != want {
			t.Errorf("go %s, want go %s", b, want)
		}
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".build-") {
				t.Errorf("left %s behind", e.Name())
			}
		}
	})

	t.Run("says clearly when the build fails", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "pocketbase-"+pocketbaseVersion)
		goBin := fakeGo(t, `echo 'go: github.com/pocketbase/pocketbase/examples/base@v0.39.11: dial tcp: lookup proxy: no such host' >&2
exit 1
`)
		_, err := buildPocketBase(ctx, dir, goBin, say)
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"build PocketBase " + pocketbaseVersion, "no such host", "-pocketbase=false"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if _, serr := os.Stat(filepath.Join(dir, pocketbaseBinary)); serr == nil {
			t.Error("a failed build left a binary")
		}
	})
}

// fakePocketBase answers record creates and the count of a list like
// PocketBase, keeping the ids it was given.
type fakePocketBase struct {
	mu  sync.Mutex
	ids map[string]map[string]any
}

func (f *fakePocketBase) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "tok" {
		http.Error(w, `{"status":401}`, http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodPost:
		var rec map[string]any
		json.NewDecoder(r.Body).Decode(&rec)
		f.ids[rec["id"].(string)] = rec
		json.NewEncoder(w).Encode(rec)
	case http.MethodGet:
		json.NewEncoder(w).Encode(map[string]any{"totalItems": len(f.ids)})
	}
}

func TestSeedWithIDs(t *testing.T) {
	fake := &fakePocketBase{ids: map[string]map[string]any{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	api := newAPIClient(srv.URL)
	api.token = "tok"
	ids := []string{"aaaaaaaaaaaaaa0", "aaaaaaaaaaaaaa1", "aaaaaaaaaaaaaa2", "aaaaaaaaaaaaaa3", "aaaaaaaaaaaaaa4"}
	if err := api.seedWithIDs(context.Background(), "bench", ids); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		rec := fake.ids[id]
		if rec == nil || rec["title"] != seedRecord(i)["title"] {
			t.Errorf("record %s = %v, want the body of seeded record %d", id, rec, i)
		}
	}
	api.token = "wrong"
	if err := api.seedWithIDs(context.Background(), "bench", []string{"b"}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("err = %v, want the 401", err)
	}
}
