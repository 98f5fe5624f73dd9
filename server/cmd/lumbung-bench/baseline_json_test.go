package main

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uo\te`, "tab\tnl\ncr\r\x01", "<a href='x'>&</a>", "line\u2028para\u2029", "bad\xffutf8", "héllo ✓"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendRecord(t *testing.T) {
	b := &baseline{col: &collectionInfo{ID: "pbc_1", Name: "bench", Fields: []fieldInfo{
		{"id", "text"}, {"title", "text"}, {"score", "number"}, {"published", "bool"}, {"created", "autodate"},
	}}}
	if err := b.build(); err != nil {
		t.Fatal(err)
	}
	dest := b.newRow()
	id, title, score, on := "abc", `say "hi"`, 1.5, true
	created := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("x", 3600))
	*dest[0].(**string), *dest[1].(**string), *dest[2].(**float64), *dest[3].(**bool), *dest[4].(**time.Time) = &id, &title, &score, &on, &created
	want := `{"collectionId":"pbc_1","collectionName":"bench","id":"abc","title":"say \"hi\"","score":1.5,"published":true,"created":"2026-01-02 02:04:05.006Z"}`
	if got := b.appendRecord(nil, dest); string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	null := b.newRow()
	want = `{"collectionId":"pbc_1","collectionName":"bench","id":"","title":"","score":0,"published":false,"created":""}`
	if got := b.appendRecord(nil, null); string(got) != want {
		t.Errorf("NULLs: got  %s\nwant %s", got, want)
	}
}
