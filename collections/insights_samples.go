package collections

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// ListSamples keeps, in one node's memory, the latest list requests of
// each collection: their filter and sort, the fields they compare and
// sort on, and how long their query took. It is bounded: the latest
// SamplesKept requests per collection, each filter cut to
// maxSampleFilter bytes. The database insights read their slowest and
// the fields they use most.
type ListSamples struct {
	mu sync.Mutex
	by map[string]*sampleRing // collection id → its latest samples
}

// ListSample is one list request.
type ListSample struct {
	Filter, Sort string
	// FilterFields are the collection's own fields the filter compares
	// with a value in a way an index serves (=, <, <=, >, >=);
	// SortFields those the sort orders by.
	FilterFields, SortFields []string
	Duration                 time.Duration
	At                       time.Time
}

// Bounds of the samples.
const (
	// SamplesKept is the number of latest list requests kept per
	// collection.
	SamplesKept     = 256
	maxSampleFilter = 512
)

type sampleRing struct {
	items []ListSample
	next  int // where the next sample goes once items is full
}

// NewListSamples returns an empty ListSamples.
func NewListSamples() *ListSamples {
	return &ListSamples{by: map[string]*sampleRing{}}
}

// Add keeps s as the latest list request of the collection with id
// collectionID, in place of the oldest when SamplesKept are kept.
func (l *ListSamples) Add(collectionID string, s ListSample) {
	if len(s.Filter) > maxSampleFilter {
		s.Filter = s.Filter[:maxSampleFilter] + "…"
	}
	if len(s.Sort) > maxSampleFilter {
		s.Sort = s.Sort[:maxSampleFilter] + "…"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.by[collectionID]
	if r == nil {
		r = &sampleRing{}
		l.by[collectionID] = r
	}
	if len(r.items) < SamplesKept {
		r.items = append(r.items, s)
		return
	}
	r.items[r.next] = s
	r.next = (r.next + 1) % SamplesKept
}

// Of returns a copy of the kept samples of a collection, oldest first.
func (l *ListSamples) Of(collectionID string) []ListSample {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.by[collectionID]
	if r == nil {
		return nil
	}
	return slices.Concat(r.items[r.next:], r.items[:r.next])
}

// Forget drops the samples of collections whose ids keep does not hold,
// such as deleted ones.
func (l *ListSamples) Forget(keep func(collectionID string) bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range l.by {
		if !keep(id) {
			delete(l.by, id)
		}
	}
}

// SlowList is one filter and sort among the samples, with its timings.
type SlowList struct {
	Filter, Sort string
	Count        int
	Mean, Max    time.Duration
	Last         time.Time
}

// SlowestLists groups samples by filter and sort and returns at most n
// groups, slowest (by their longest request) first.
func SlowestLists(samples []ListSample, n int) []SlowList {
	type key struct{ filter, sort string }
	groups := map[key]*SlowList{}
	total := map[key]time.Duration{}
	for _, s := range samples {
		k := key{s.Filter, s.Sort}
		g := groups[k]
		if g == nil {
			g = &SlowList{Filter: s.Filter, Sort: s.Sort}
			groups[k] = g
		}
		g.Count++
		total[k] += s.Duration
		g.Max = max(g.Max, s.Duration)
		if s.At.After(g.Last) {
			g.Last = s.At
		}
	}
	out := make([]SlowList, 0, len(groups))
	for k, g := range groups {
		g.Mean = total[k] / time.Duration(g.Count)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b SlowList) int {
		return cmp.Or(cmp.Compare(b.Max, a.Max), cmp.Compare(a.Filter, b.Filter), cmp.Compare(a.Sort, b.Sort))
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
