package api

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// Insights are what /api/insights reads: the database's statistics of
// collection tables and this node's samples of list requests.
type Insights struct {
	Store   collections.InsightsStore
	Samples *collections.ListSamples
}

func (h *handlers) insightsRoutes() []Route {
	if h.Insights == nil {
		return nil
	}
	return []Route{
		{Method: fiber.MethodGet, Path: "/insights", Access: Superusers, Handler: h.listInsights,
			Summary: "Database insights of every collection table: rows, sizes, dead rows, vacuums, index use, slow lists and index suggestions"},
		{Method: fiber.MethodGet, Path: "/insights/:collection", Access: Superusers, Handler: h.collectionInsights,
			Summary: "Database insights of one collection's table"},
	}
}

// slowListsShown is how many slow lists and statements a collection's
// insights show.
const slowListsShown = 10

// insightsJSON is GET /api/insights's answer.
type insightsJSON struct {
	// StatsReset is when PostgreSQL's statistics began counting (index
	// scans, dead rows), or null.
	StatsReset *string `json:"statsReset"`
	// Statements says where slow queries come from: "pg_stat_statements"
	// when the extension is readable, else "sampled" (this node's list
	// requests only).
	Statements  string                  `json:"statements"`
	Collections []collectionInsightJSON `json:"collections"`
}

// collectionInsightJSON is one collection's insights.
type collectionInsightJSON struct {
	ID              string      `json:"id"`
	Name            string      `json:"name"`
	Type            string      `json:"type"`
	System          bool        `json:"system"`
	Rows            int64       `json:"rows"`
	RowsExact       bool        `json:"rowsExact"`
	TableSize       int64       `json:"tableSize"`
	IndexesSize     int64       `json:"indexesSize"`
	TotalSize       int64       `json:"totalSize"`
	LiveRows        int64       `json:"liveRows"`
	DeadRows        int64       `json:"deadRows"`
	SeqScans        int64       `json:"seqScans"`
	IndexScans      int64       `json:"indexScans"`
	LastVacuum      *string     `json:"lastVacuum"`
	LastAutovacuum  *string     `json:"lastAutovacuum"`
	LastAnalyze     *string     `json:"lastAnalyze"`
	LastAutoanalyze *string     `json:"lastAutoanalyze"`
	Indexes         []indexJSON `json:"indexes"`
	// Sampled is the number of this node's list requests kept (at most
	// collections.SamplesKept), which SlowLists and Suggestions read.
	Sampled   int            `json:"sampled"`
	SlowLists []slowListJSON `json:"slowLists"`
	// Statements are pg_stat_statements' slowest reads of the table
	// (null without the extension).
	Statements  []statementJSON  `json:"statements"`
	Suggestions []suggestionJSON `json:"suggestions"`
}

// indexJSON is one index of the table. Unused means no scan since the
// statistics were reset and no constraint to enforce (not unique, not
// the primary key). Definition is the index as the collection's indexes
// hold it ("" for the indexes Lumbung keeps itself).
type indexJSON struct {
	Name       string   `json:"name"`
	Columns    []string `json:"columns"`
	Unique     bool     `json:"unique"`
	Primary    bool     `json:"primary"`
	Size       int64    `json:"size"`
	Scans      int64    `json:"scans"`
	Unused     bool     `json:"unused"`
	Definition string   `json:"definition"`
}

// slowListJSON is a filter and sort of this node's sampled list
// requests with their query's timings in milliseconds.
type slowListJSON struct {
	Filter string  `json:"filter"`
	Sort   string  `json:"sort"`
	Count  int     `json:"count"`
	MeanMs float64 `json:"meanMs"`
	MaxMs  float64 `json:"maxMs"`
	Last   string  `json:"last"`
}

type statementJSON struct {
	Query   string  `json:"query"`
	Calls   int64   `json:"calls"`
	MeanMs  float64 `json:"meanMs"`
	MaxMs   float64 `json:"maxMs"`
	TotalMs float64 `json:"totalMs"`
	Rows    int64   `json:"rows"`
}

// suggestionJSON proposes Index (in the collection's indexes syntax) for
// Field, filtered on in Filters and sorted on in Sorts of the sampled
// requests; it is applied by adding it to the collection's indexes.
type suggestionJSON struct {
	Field   string `json:"field"`
	Filters int    `json:"filters"`
	Sorts   int    `json:"sorts"`
	Index   string `json:"index"`
}

// listInsights answers the insights of every collection with a table
// (views have none), in the schema's order.
func (h *handlers) listInsights(c *fiber.Ctx) error {
	ctx := c.UserContext()
	h.Insights.Samples.Forget(func(id string) bool { _, ok := h.Collections.Collection(id); return ok })
	var cols []*collections.Collection
	for _, col := range h.Collections.Collections() {
		if col.Type != "view" {
			cols = append(cols, col)
		}
	}
	out, err := h.insights(ctx, cols)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// collectionInsights answers one collection's insights; a view is a 400.
func (h *handlers) collectionInsights(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	if col.Type == "view" {
		return collections.Errorf(collections.EINVALID, "View collections have no table of their own to show insights of.")
	}
	out, err := h.insights(c.UserContext(), []*collections.Collection{col})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *handlers) insights(ctx context.Context, cols []*collections.Collection) (*insightsJSON, error) {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	stats, err := h.Insights.Store.Tables(ctx, names)
	if err != nil {
		return nil, err
	}
	reset, err := h.Insights.Store.StatsReset(ctx)
	if err != nil {
		return nil, err
	}
	out := &insightsJSON{StatsReset: insightTime(reset), Statements: "sampled", Collections: []collectionInsightJSON{}}
	for _, col := range cols {
		t, ok := stats[col.Name]
		if !ok {
			continue // created or renamed since the schema was read
		}
		ci := collectionInsight(col, t, h.Insights.Samples.Of(col.ID))
		st, ok, err := h.Insights.Store.Statements(ctx, col.Name, slowListsShown)
		if err != nil {
			return nil, err
		}
		if ok {
			out.Statements = "pg_stat_statements"
			ci.Statements = make([]statementJSON, len(st))
			for i, s := range st {
				ci.Statements[i] = statementJSON{Query: s.Query, Calls: s.Calls, MeanMs: s.MeanMs, MaxMs: s.MaxMs, TotalMs: s.TotalMs, Rows: s.Rows}
			}
		}
		out.Collections = append(out.Collections, ci)
	}
	return out, nil
}

// collectionInsight puts the figures of col's table t and its samples
// together.
func collectionInsight(col *collections.Collection, t collections.TableStats, samples []collections.ListSample) collectionInsightJSON {
	ci := collectionInsightJSON{ID: col.ID, Name: col.Name, Type: col.Type, System: col.System,
		Rows: t.Rows, RowsExact: t.RowsExact, TableSize: t.TableBytes, IndexesSize: t.IndexBytes, TotalSize: t.TotalBytes,
		LiveRows: t.LiveRows, DeadRows: t.DeadRows, SeqScans: t.SeqScans, IndexScans: t.IndexScans,
		LastVacuum: insightTime(t.LastVacuum), LastAutovacuum: insightTime(t.LastAutovacuum),
		LastAnalyze: insightTime(t.LastAnalyze), LastAutoanalyze: insightTime(t.LastAutoanalyze),
		Indexes: []indexJSON{}, Sampled: len(samples), SlowLists: []slowListJSON{}, Suggestions: []suggestionJSON{}}
	defs := map[string]string{}
	for _, s := range col.Indexes {
		if ix, err := collections.ParseIndex(s); err == nil {
			defs[ix.Name] = s
		}
	}
	leading := map[string]bool{}
	for _, ix := range t.Indexes {
		if len(ix.Columns) > 0 {
			leading[ix.Columns[0]] = true
		}
		ci.Indexes = append(ci.Indexes, indexJSON{Name: ix.Name, Columns: ix.Columns, Unique: ix.Unique, Primary: ix.Primary,
			Size: ix.Bytes, Scans: ix.Scans, Unused: ix.Scans == 0 && !ix.Unique && !ix.Primary, Definition: defs[ix.Name]})
	}
	for _, s := range collections.SlowestLists(samples, slowListsShown) {
		ci.SlowLists = append(ci.SlowLists, slowListJSON{Filter: s.Filter, Sort: s.Sort, Count: s.Count,
			MeanMs: millis(s.Mean), MaxMs: millis(s.Max), Last: cronTime(s.Last)})
	}
	for _, s := range collections.SuggestIndexes(col, samples, leading) {
		ci.Suggestions = append(ci.Suggestions, suggestionJSON{Field: s.Field, Filters: s.Filters, Sorts: s.Sorts, Index: s.Index})
	}
	return ci
}

// sampleList starts timing a list request of col; the function it
// returns, called once the list's query has answered, keeps the request
// among the samples the insights read: its filter and sort, the fields
// they use, and the time the query took.
func (h *handlers) sampleList(col *collections.Collection, q collections.Query) func() {
	if h.Insights == nil {
		return func() {}
	}
	started := time.Now()
	return func() {
		// Fiber's strings are the request's buffer: copied to be kept.
		s := collections.ListSample{Filter: strings.Clone(q.Filter), Sort: strings.Clone(q.Sort), Duration: time.Since(started), At: h.Now()}
		s.SortFields = filter.SortFields(s.Sort)
		if s.Filter != "" {
			if e, err := filter.Parse(s.Filter); err == nil {
				s.FilterFields = filter.IndexedFields(e)
			}
		}
		h.Insights.Samples.Add(col.ID, s)
	}
}

func insightTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := cronTime(*t)
	return &s
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
