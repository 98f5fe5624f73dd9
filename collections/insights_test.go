package collections

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func mustField(t *testing.T, name, typ string) *Field {
	t.Helper()
	f, err := NewField(name, typ)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSuggestIndexes(t *testing.T) {
	c := &Collection{Name: "posts", Fields: []*Field{
		mustField(t, "id", "text"), mustField(t, "title", "text"), mustField(t, "views", "number"),
		mustField(t, "body", "editor"), mustField(t, "meta", "json"), mustField(t, "slug", "text"),
		mustField(t, "score", "number"), mustField(t, "name", "text"),
	}, Indexes: []string{
		"CREATE UNIQUE INDEX `idx_posts_title` ON `posts` (`slug`)",
		"CREATE INDEX `idx_name` ON `posts` (`name` COLLATE NOCASE)",
	}}
	var samples []ListSample
	add := func(n int, filter, sort []string) {
		for range n {
			samples = append(samples, ListSample{FilterFields: filter, SortFields: sort})
		}
	}
	add(3, []string{"title", "views"}, nil)
	add(3, []string{"title", "title"}, []string{"views"}) // title counted once per request
	add(9, []string{"id", "body", "meta", "slug", "score", "name"}, nil)
	add(4, nil, []string{"nothing"})

	got := SuggestIndexes(c, samples, map[string]bool{"score": true})
	want := []IndexSuggestion{
		// name: its index compares case-insensitively, so equality does not use it.
		{Field: "name", Filters: 9, Index: "CREATE INDEX `idx_posts_name` ON `posts` (`name`)"},
		// title: idx_posts_title is taken (by an index on slug).
		{Field: "title", Filters: 6, Index: "CREATE INDEX `idx_posts_title_2` ON `posts` (`title`)"},
		{Field: "views", Filters: 3, Sorts: 3, Index: "CREATE INDEX `idx_posts_views` ON `posts` (`views`)"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, s := range got {
		if _, err := ParseIndex(s.Index); err != nil {
			t.Errorf("%s: %v", s.Index, err)
		}
	}
	if got := SuggestIndexes(c, samples[:4], nil); len(got) != 0 {
		t.Errorf("below %d uses: %+v", MinSuggestUses, got)
	}
}

func TestListSamples(t *testing.T) {
	l := NewListSamples()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range SamplesKept + 10 {
		l.Add("a", ListSample{Filter: fmt.Sprintf("n = %d", i%3), Duration: time.Duration(i) * time.Millisecond, At: at.Add(time.Duration(i) * time.Second)})
	}
	got := l.Of("a")
	if len(got) != SamplesKept || got[0].Filter != "n = 1" || got[len(got)-1].Duration != time.Duration(SamplesKept+9)*time.Millisecond {
		t.Fatalf("kept %d, first %+v, last %+v", len(got), got[0], got[len(got)-1])
	}
	slow := SlowestLists(got, 2)
	if len(slow) != 2 || slow[0].Filter != "n = 1" || slow[0].Max != 265*time.Millisecond || slow[0].Count != 86 || slow[1].Filter != "n = 0" || slow[1].Count != 85 {
		t.Errorf("slowest: %+v", slow)
	}
	l.Add("b", ListSample{Filter: string(make([]byte, 2000))})
	if f := l.Of("b")[0].Filter; len(f) > maxSampleFilter+4 {
		t.Errorf("a long filter is kept whole: %d bytes", len(f))
	}
	l.Forget(func(id string) bool { return id == "b" })
	if l.Of("a") != nil || len(l.Of("b")) != 1 {
		t.Error("Forget")
	}
}
