package command

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestTypegenGolden: the TypeScript module of a schema with every field
// type, a hidden field, an auth collection and two names that read alike
// (the SDK suite's typegen.test.js compiles such modules with tsc).
func TestTypegenGolden(t *testing.T) {
	var cols []*collections.Collection
	for _, src := range []string{
		`{"id": "pbc_people", "name": "people", "type": "auth", "fields": [
			{"name": "id", "type": "text", "primaryKey": true, "autogeneratePattern": "[a-z0-9]{15}"},
			{"name": "password", "type": "password", "hidden": true},
			{"name": "tokenKey", "type": "text", "hidden": true},
			{"name": "email", "type": "email"},
			{"name": "emailVisibility", "type": "bool"},
			{"name": "verified", "type": "bool"},
			{"name": "name", "type": "text"}]}`,
		`{"id": "pbc_posts", "name": "posts", "type": "base", "fields": [
			{"name": "id", "type": "text", "primaryKey": true},
			{"name": "title", "type": "text", "required": true},
			{"name": "body", "type": "editor"}, {"name": "site", "type": "url"}, {"name": "views", "type": "number"},
			{"name": "live", "type": "bool"}, {"name": "when", "type": "date"},
			{"name": "status", "type": "select", "values": ["draft", "live"], "maxSelect": 1},
			{"name": "tags", "type": "select", "values": ["a", "b'c"], "maxSelect": 2},
			{"name": "meta", "type": "json"}, {"name": "place", "type": "geoPoint"},
			{"name": "cover", "type": "file"}, {"name": "files", "type": "file", "maxSelect": 5},
			{"name": "author", "type": "relation", "collectionId": "pbc_people", "maxSelect": 1},
			{"name": "editors", "type": "relation", "collectionId": "pbc_people", "maxSelect": 3},
			{"name": "note", "type": "text", "hidden": true},
			{"name": "created", "type": "autodate", "onCreate": true}]}`,
		`{"id": "pbc_su", "name": "_superusers", "type": "auth", "fields": [{"name": "id", "type": "text"}, {"name": "email", "type": "email"}]}`,
		`{"id": "pbc_su2", "name": "superusers", "type": "base", "fields": [{"name": "id", "type": "text"}, {"name": "my-field", "type": "text"}]}`,
	} {
		var c collections.Collection
		if err := json.Unmarshal([]byte(src), &c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, &c)
	}
	var b bytes.Buffer
	if err := writeTypes(&b, cols); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "typegen.ts")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("typegen output differs from %s (go test -run TestTypegenGolden -update):\n%s", golden, b.String())
	}
}
