package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds PocketBase schemas of public apps, as their exports or
// migrations carry them (sources and licenses in SOURCES.md there); the
// SDK suite runs each app's client flow on them (corpus.test.js).
const corpusDir = "../sdktest/corpus"

// TestCorpusImports: every schema of the corpus imports in one request,
// every collection ends up with its id, name, type and every field the
// export lists (fields, or schema in the form before PocketBase 0.23) with
// its type, and importing the same export again changes nothing.
func TestCorpusImports(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("corpus: %d schemas (%v), want at least 10", len(files), err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var defs []map[string]any
			if err := json.Unmarshal(raw, &defs); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			e := MustEnv(t)
			body := `{"collections": ` + string(raw) + `}`
			e.MustJSON("PUT", "/api/collections/import", "", body, 204, nil)
			for _, def := range defs {
				cname, _ := def["name"].(string)
				if def["system"] == true && strings.HasPrefix(cname, "_") && cname != "_superusers" && cname != "_externalAuths" {
					continue // PocketBase's own, skipped
				}
				var got struct {
					ID, Name, Type string
					Fields         []struct{ Name, Type string }
				}
				e.MustJSON("GET", "/api/collections/"+cname, "", "", 200, &got)
				want, _ := def["id"].(string)
				if cname != "users" && cname != "_superusers" && cname != "_externalAuths" && want != "" && got.ID != want {
					t.Errorf("%s: id %q, want %q", cname, got.ID, want)
				}
				if typ, _ := def["type"].(string); typ != "" && got.Type != typ {
					t.Errorf("%s: type %q, want %q", cname, got.Type, typ)
				}
				fields, _ := def["fields"].([]any)
				if fields == nil {
					fields, _ = def["schema"].([]any)
				}
				if len(fields) == 0 && got.Type != "view" { // views of old migrations list none
					t.Errorf("%s: the export lists no fields", cname)
				}
				types := map[string]string{}
				for _, f := range got.Fields {
					types[f.Name] = f.Type
				}
				for _, f := range fields {
					f, _ := f.(map[string]any)
					fname, _ := f["name"].(string)
					ftype, _ := f["type"].(string)
					if got, ok := types[fname]; !ok || (got != ftype && def["type"] != "view") {
						t.Errorf("%s.%s: imported as %q, want a %s field", cname, fname, got, ftype)
					}
				}
			}
			// The same export again: nothing to change.
			var dry struct {
				Plans []struct {
					Steps []struct{ SQL string }
				}
			}
			e.MustJSON("PUT", "/api/collections/import?dryRun=1", "", body, 200, &dry)
			for _, p := range dry.Plans {
				for _, st := range p.Steps {
					if !strings.HasPrefix(st.SQL, "DROP VIEW") && !strings.HasPrefix(st.SQL, "CREATE VIEW") {
						t.Errorf("importing the same export again plans %s", st.SQL)
					}
				}
			}
			e.MustJSON("PUT", "/api/collections/import", "", body, 204, nil)
		})
	}
}
