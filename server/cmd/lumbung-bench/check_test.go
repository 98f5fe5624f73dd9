package main

import (
	"strconv"
	"strings"
	"testing"
)

func TestAnswerDiff(t *testing.T) {
	lumbungRec := `{"collectionId":"c1","collectionName":"bench","id":"abc","title":"t","score":1.5,"created":"a","updated":"b"}`
	pbRec := `{"collectionId":"pbc_9","collectionName":"bench","created":"x","id":"abc","score":1.5,"title":"t","updated":"y"}`
	list := func(total, n int) string {
		items := strings.TrimSuffix(strings.Repeat(lumbungRec+",", n), ",")
		return `{"page":1,"perPage":30,"totalItems":` + strconv.Itoa(total) + `,"totalPages":1,"items":[` + items + `]}`
	}
	for _, c := range []struct {
		name     string
		sa, sb   int
		a, b     string
		created  bool
		wantDiff string // "" for none
	}{
		{"same record, other collection id and dates", 200, 200, lumbungRec, pbRec, false, ""},
		{"another value", 200, 200, lumbungRec, strings.Replace(pbRec, `"t"`, `"u"`, 1), false, "vs"},
		{"another id", 200, 200, lumbungRec, strings.Replace(pbRec, "abc", "abd", 1), false, "vs"},
		{"created: ids differ", 200, 200, lumbungRec, strings.Replace(pbRec, "abc", "abd", 1), true, ""},
		{"status", 200, 404, lumbungRec, `{}`, false, "status 200 vs 404"},
		{"same list", 200, 200, list(3, 2), list(3, 2), false, ""},
		{"total", 200, 200, list(3, 2), list(4, 2), false, "totalItems 3 vs 4"},
		{"items", 200, 200, list(3, 2), list(3, 1), false, "2 items vs 1"},
		{"not json", 200, 200, lumbungRec, `oops`, false, "not a JSON object"},
	} {
		got := answerDiff(c.sa, []byte(c.a), c.sb, []byte(c.b), c.created)
		if (got == "") != (c.wantDiff == "") || !strings.Contains(got, c.wantDiff) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.wantDiff)
		}
	}
}
