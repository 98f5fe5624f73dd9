package postgres

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// Totals keeps the totals of list queries (the count of the records a
// filter and the caller's access conditions admit) until a collection they
// count changes, so that listing a collection nobody writes to does not
// count its rows again on every request.
//
// A kept total is exact. The change log numbers every committed change of
// every collection table, whoever wrote it; the node's change log reader
// passes each change to Changed and reports how far it has got through
// the function given to Follow. A list that finds a kept total reads the
// log's last number in the same round trip as its page, and uses the total
// only when the reader has passed that number, so every change committed
// before the request has been counted against the total's collections.
// Otherwise (a write not yet read, or no reader: Follow not called) the
// rows are counted as without Totals.
//
// Totals of view collections are not kept (a view reads tables the change
// log does not follow), nor totals whose filter compares with a date (@now
// differs on every request), nor totals read inside a transaction (its own
// writes are not committed). A schema change gives every collection a new
// definition, and totals are kept per definition.
type Totals struct {
	applied atomic.Pointer[func() int64]
	// behind is the highest log number a list has read; while applied is
	// below it the reader is known to be behind and lists count at once.
	behind atomic.Int64

	mu       sync.Mutex
	gen      uint64            // Follow calls so far
	versions map[string]uint64 // collection id → changes seen
	entries  map[totalKey]total
	size     int // bytes of the entries' queries
}

// Bounds of the kept totals, in number and in bytes of their queries (a
// long filter makes a long key); the set is emptied when either is reached.
const (
	maxTotals      = 4096
	maxTotalsBytes = 4 << 20
)

type totalKey struct {
	c     *collections.Collection
	query string // the WHERE clause and its arguments
}

type total struct {
	n    int64
	deps []version // the counted collections' versions when counting began
}

type version struct {
	id string
	n  uint64
}

// NewTotals returns an empty Totals that keeps nothing until Follow.
func NewTotals() *Totals {
	return &Totals{versions: map[string]uint64{}, entries: map[totalKey]total{}}
}

// Follow starts keeping totals: applied returns the log number up to which
// every change has been passed to Changed. Follow(nil) stops. Either
// forgets the totals kept so far.
func (t *Totals) Follow(applied func() int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if applied == nil {
		t.applied.Store(nil)
	} else {
		t.applied.Store(&applied)
	}
	t.gen++
	t.entries, t.size = map[totalKey]total{}, 0
}

// Changed records a committed change of a record of the collection with
// the given id.
func (t *Totals) Changed(collectionID string) {
	t.mu.Lock()
	t.versions[collectionID]++
	t.mu.Unlock()
}

// lastSeqSQL reads the change log's last allocated number: every change
// committed before it runs is numbered at or below it.
const lastSeqSQL = "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM _events_seq_seq"

// key returns the key of a total of c under where and args, or false when
// such a total is not kept.
func (t *Totals) key(c *collections.Collection, where string, args []any) (totalKey, bool) {
	if t == nil || c.Type == collections.TypeView || t.applied.Load() == nil {
		return totalKey{}, false
	}
	var b strings.Builder
	b.WriteString(where)
	for _, a := range args {
		b.WriteByte(0)
		switch a := a.(type) {
		case string:
			writeLen(&b, 's', a)
		case []string:
			b.WriteByte('l')
			b.WriteString(strconv.Itoa(len(a)))
			for _, s := range a {
				writeLen(&b, ',', s)
			}
		case float64:
			b.WriteByte('f')
			b.WriteString(strconv.FormatFloat(a, 'g', -1, 64))
		case bool:
			b.WriteByte('b')
			b.WriteString(strconv.FormatBool(a))
		case time.Time:
			return totalKey{}, false
		default: // a type the filter compiler does not produce: do not guess
			return totalKey{}, false
		}
	}
	return totalKey{c: c, query: b.String()}, true
}

func writeLen(b *strings.Builder, tag byte, s string) {
	b.WriteByte(tag)
	b.WriteString(strconv.Itoa(len(s)))
	b.WriteByte(':')
	b.WriteString(s)
}

// get returns the kept total of k when its collections have not changed
// since it was counted and the reader is not known to be behind.
func (t *Totals) get(k totalKey) (int64, bool) {
	if !t.caughtUp(t.behind.Load()) {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[k]
	if !ok || !t.current(e.deps) {
		return 0, false
	}
	return e.n, true
}

// confirm reports whether a total from get may answer a request whose
// round trip read lastSeq: the reader has passed it, and the total's
// collections are still unchanged.
func (t *Totals) confirm(k totalKey, n int64, lastSeq int64) bool {
	if !t.caughtUp(lastSeq) {
		for { // remember the reader is behind, for the next lists
			b := t.behind.Load()
			if lastSeq <= b || t.behind.CompareAndSwap(b, lastSeq) {
				break
			}
		}
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[k]
	return ok && e.n == n && t.current(e.deps)
}

func (t *Totals) caughtUp(seq int64) bool {
	applied := t.applied.Load()
	return applied != nil && (*applied)() >= seq
}

func (t *Totals) current(deps []version) bool {
	for _, d := range deps {
		if t.versions[d.id] != d.n {
			return false
		}
	}
	return true
}

// counting is what put needs to know about the moment counting began.
type counting struct {
	deps []version
	gen  uint64
}

// begin returns the versions of the collections with the given ids; it is
// called before their rows are counted.
func (t *Totals) begin(ids []string) counting {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]version, len(ids))
	for i, id := range ids {
		out[i] = version{id: id, n: t.versions[id]}
	}
	return counting{deps: out, gen: t.gen}
}

// put keeps n as the total of k, counted after b. A total counted before
// the last Follow is dropped: changes before the reader started may not
// have reached Changed.
func (t *Totals) put(k totalKey, n int64, b counting) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if b.gen != t.gen || t.applied.Load() == nil {
		return
	}
	if len(t.entries) >= maxTotals || t.size+len(k.query) > maxTotalsBytes {
		t.entries, t.size = map[totalKey]total{}, 0
	}
	if _, ok := t.entries[k]; !ok {
		t.size += len(k.query)
	}
	t.entries[k] = total{n: n, deps: b.deps}
}
