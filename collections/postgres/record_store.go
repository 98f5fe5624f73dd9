package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// RecordStore runs record queries with pgx: typed scans and bind parameters.
// Table and column names come only from the collection definitions.
type RecordStore struct {
	db     *DB
	q      querier
	conds  *conditionCache // shared by the transaction-bound copies
	cols   *columnCache    // shared too
	totals *Totals         // nil: every list counts
	inTx   bool            // q is a transaction's (or a schema transaction's connection)
	wrote  *bool           // in a transaction: whether it changed records
	origin *txOrigin       // in a transaction: the origin set in it so far
}

var _ collections.RecordStore = (*RecordStore)(nil)

// NewRecordStore returns a RecordStore on db that keeps list totals in
// totals, or counts on every list when totals is nil.
func NewRecordStore(db *DB, totals *Totals) *RecordStore {
	return &RecordStore{db: db, q: db.Pool, conds: newConditionCache(), cols: &columnCache{lists: map[*collections.Collection]string{}}, totals: totals}
}

// List implements collections.RecordStore.
func (s *RecordStore) List(ctx context.Context, lookup collections.Lookup, c *collections.Collection, q collections.Query) (*collections.Page, error) {
	env := filter.Env{Root: c, Schema: lookup, Now: q.Now, CanRead: q.CanRead, Auth: q.Auth, Request: q.Request, HideEmails: q.HideEmails}
	if q.Visible != nil {
		env.Visible = s.visible(q.Visible)
	}
	var conds []string
	var args []any
	var fexpr filter.Expr
	if strings.TrimSpace(q.Filter) != "" {
		expr, err := filter.Parse(q.Filter)
		if err != nil {
			return nil, err
		}
		cond, cargs, err := filter.SQL(expr, env, "r", 0)
		if err != nil {
			return nil, err
		}
		conds, args, fexpr = append(conds, cond), cargs, expr
	}
	scope, args, err := s.scopeSQL(lookup, c, q.Scope, args)
	if err != nil {
		return nil, err
	}
	if scope != "" {
		conds = append(conds, scope)
	}
	if q.IDs != nil {
		args = append(args, q.IDs)
		conds = append(conds, "r.id = ANY($"+strconv.Itoa(len(args))+"::text[])")
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	// The sort's parameters follow the condition's, which the count uses
	// alone.
	order, pageArgs, err := s.orderBy(c, env, q.Sort, args[:len(args):len(args)])
	if err != nil {
		return nil, err
	}
	from := " FROM " + ident(c.Name) + " AS r"
	sel := "SELECT " + s.cols.list(c) + from + where + order +
		" LIMIT " + strconv.Itoa(q.PerPage) + " OFFSET " + strconv.Itoa(offset(q.Page, q.PerPage))

	page := &collections.Page{Page: q.Page, PerPage: q.PerPage, TotalItems: -1, TotalPages: -1}
	if q.SkipTotal {
		rows, err := s.q.Query(ctx, sel, pageArgs...)
		if err != nil {
			return nil, translate(err, c)
		}
		page.Items, err = collect(rows, c)
		return page, err
	}

	t := listTotal{store: s, count: "SELECT count(*)" + from + where, args: args}
	t.key, t.keep = s.totals.key(c, where, args)
	if s.inTx {
		t.keep = false
	}
	if t.keep {
		t.deps = func() ([]string, error) { return s.countedCollections(lookup, c, env, fexpr, q.Scope) }
	}
	// The total (or, for a kept one, the log's last number) and the page in
	// one round trip.
	b := &pgx.Batch{}
	t.queue(b)
	b.Queue(sel, pageArgs...)
	br := s.sendBatch(ctx, b)
	if err := t.scan(br.QueryRow()); err != nil {
		br.Close()
		return nil, translate(err, c)
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, translate(err, c)
	}
	page.Items, err = collect(rows, c)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = translate(cerr, c)
	}
	if err != nil {
		return nil, err
	}
	total, err := t.finish(ctx)
	if err != nil {
		return nil, translate(err, c)
	}
	page.TotalItems = int(total)
	page.TotalPages = int((total + int64(q.PerPage) - 1) / int64(q.PerPage))
	return page, nil
}

// offset is where page starts; a page so far that the offset would
// overflow starts past every row.
func offset(page, perPage int) int {
	if page <= 1 || perPage <= 0 {
		return 0
	}
	if page-1 > math.MaxInt64/perPage {
		return math.MaxInt64
	}
	return (page - 1) * perPage
}

// listTotal finds the total of one list: kept by Totals, or counted.
type listTotal struct {
	store *RecordStore
	count string // the count query
	args  []any
	key   totalKey
	keep  bool                     // the total may be kept
	deps  func() ([]string, error) // the ids of the counted collections

	kept    int64 // a kept total found before the round trip
	found   bool
	first   int64 // what the first query of the round trip returned
	counted counting
}

// queue adds the first query of the round trip to b: the log's last number
// when a kept total was found, else the count.
func (t *listTotal) queue(b *pgx.Batch) {
	if t.keep {
		t.kept, t.found = t.store.totals.get(t.key)
	}
	if t.found {
		b.Queue(lastSeqSQL)
		return
	}
	t.begin()
	b.Queue(t.count, t.args...)
}

// begin takes the versions a kept total depends on, before counting.
func (t *listTotal) begin() {
	if !t.keep {
		return
	}
	ids, err := t.deps()
	if err != nil { // compiled fine a moment ago; count without keeping
		t.keep = false
		return
	}
	t.counted = t.store.totals.begin(ids)
}

func (t *listTotal) scan(row pgx.Row) error { return row.Scan(&t.first) }

// finish returns the total: the kept one when Totals confirms it, the
// count of the round trip, or a count made now.
func (t *listTotal) finish(ctx context.Context) (int64, error) {
	if !t.found {
		if t.keep {
			t.store.totals.put(t.key, t.first, t.counted)
		}
		return t.first, nil
	}
	if t.store.totals.confirm(t.key, t.kept, t.first) {
		return t.kept, nil
	}
	t.begin()
	var n int64
	if err := t.store.q.QueryRow(ctx, t.count, t.args...).Scan(&n); err != nil {
		return 0, err
	}
	if t.keep {
		t.store.totals.put(t.key, n, t.counted)
	}
	return n, nil
}

// countedCollections returns the ids of the collections whose rows decide
// a count of c under the filter expr and the scope's conditions.
func (s *RecordStore) countedCollections(lookup collections.Lookup, c *collections.Collection, env filter.Env, expr filter.Expr, scope *collections.Scope) ([]string, error) {
	ids := []string{c.ID}
	add := func(e filter.Expr, env filter.Env) error {
		reads, err := filter.Reads(e, env)
		for _, r := range reads {
			if !slices.Contains(ids, r.ID) {
				ids = append(ids, r.ID)
			}
		}
		return err
	}
	if expr != nil {
		if err := add(expr, env); err != nil {
			return nil, err
		}
	}
	if scope.Unlimited() {
		return ids, nil
	}
	senv := s.scopeEnv(lookup, c, scope)
	for _, src := range scope.Conditions {
		e, err := s.conds.parse(src)
		if err != nil {
			return nil, err
		}
		if err := add(e, senv); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

func (s *RecordStore) sendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	type batcher interface {
		SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
	}
	return s.q.(batcher).SendBatch(ctx, b)
}

// orderBy builds the ORDER BY clause, its parameters following args; the
// id breaks ties so pages are stable.
func (s *RecordStore) orderBy(c *collections.Collection, env filter.Env, sort string, args []any) (string, []any, error) {
	if strings.TrimSpace(sort) == "" {
		// By creation time when the caller may read it: the order of a
		// field it may not read would tell it something.
		if f, ok := c.Field("created"); ok && f.Type == "autodate" && c.Type != collections.TypeView && (env.CanRead == nil || env.CanRead(c, "created")) {
			return ` ORDER BY r."created", r.id`, args, nil
		}
		return " ORDER BY r.id", args, nil
	}
	order, oargs, err := filter.ParseSort(sort, env, "r", len(args))
	if err != nil {
		return "", nil, err
	}
	if order == "" {
		return " ORDER BY r.id", args, nil
	}
	return " ORDER BY " + order + ", r.id", append(args, oargs...), nil
}

// visible turns a caller's view access into the rows a filter's relation
// paths may reach (filter.Env.Visible).
func (s *RecordStore) visible(view func(*collections.Collection) collections.Access) func(*collections.Collection) ([]filter.Expr, bool, error) {
	return func(c *collections.Collection) ([]filter.Expr, bool, error) {
		acc := view(c)
		if !acc.Allowed {
			return nil, false, nil
		}
		if len(acc.Conditions) == 0 {
			return nil, true, nil
		}
		exprs := make([]filter.Expr, len(acc.Conditions))
		for i, src := range acc.Conditions {
			e, err := s.conds.parse(src)
			if err != nil {
				return nil, false, fmt.Errorf("view condition %q of %s: %w", src, c.Name, err)
			}
			exprs[i] = e
		}
		return exprs, false, nil
	}
}

func collect(rows pgx.Rows, c *collections.Collection) ([]*collections.Record, error) {
	defer rows.Close()
	sc := newScanner(c)
	items := []*collections.Record{}
	for rows.Next() {
		if err := rows.Scan(sc.dest...); err != nil {
			return nil, translate(err, c)
		}
		items = append(items, sc.record())
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, c)
	}
	return items, nil
}

// Get implements collections.RecordStore.
func (s *RecordStore) Get(ctx context.Context, lookup collections.Lookup, c *collections.Collection, id string, scope *collections.Scope) (*collections.Record, error) {
	cond, args, err := s.scopeSQL(lookup, c, scope, []any{id})
	if err != nil {
		return nil, err
	}
	if cond != "" {
		return s.one(ctx, c, "r.id = $1 AND "+cond, args...)
	}
	return s.one(ctx, c, "r.id = $1", id)
}

// FindByEmail implements collections.RecordStore.
func (s *RecordStore) FindByEmail(ctx context.Context, c *collections.Collection, email string) (*collections.Record, error) {
	// r.email <> '' lets PostgreSQL use the partial email index, and an
	// empty email never names a record.
	return s.one(ctx, c, "lower(r.email) = lower($1) AND r.email <> ''", email)
}

// one returns the first record of c matching cond, or ENOTFOUND.
func (s *RecordStore) one(ctx context.Context, c *collections.Collection, cond string, args ...any) (*collections.Record, error) {
	rows, err := s.q.Query(ctx, "SELECT "+s.cols.list(c)+" FROM "+ident(c.Name)+" AS r WHERE "+cond+" LIMIT 1", args...)
	if err != nil {
		return nil, translate(err, c)
	}
	items, err := collect(rows, c)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	return items[0], nil
}

// GetMany implements collections.RecordStore.
func (s *RecordStore) GetMany(ctx context.Context, lookup collections.Lookup, c *collections.Collection, ids []string, scope *collections.Scope) ([]*collections.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cond, args, err := s.scopeSQL(lookup, c, scope, []any{ids})
	if err != nil {
		return nil, err
	}
	if cond != "" {
		cond = " AND " + cond
	}
	rows, err := s.q.Query(ctx, "SELECT "+s.cols.list(c)+" FROM "+ident(c.Name)+" AS r WHERE r.id = ANY($1)"+cond, args...)
	if err != nil {
		return nil, translate(err, c)
	}
	return collect(rows, c)
}

// Referencing implements collections.RecordStore.
func (s *RecordStore) Referencing(ctx context.Context, lookup collections.Lookup, c *collections.Collection, f *collections.Field, ids []string, limit int, byCreated bool, scope *collections.Scope) ([]*collections.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cond := "r." + ident(f.Name) + " = ANY($1)"
	if f.Storage() == collections.StorageTextArray {
		cond = "r." + ident(f.Name) + " && $1"
	}
	extra, args, err := s.scopeSQL(lookup, c, scope, []any{ids})
	if err != nil {
		return nil, err
	}
	if extra != "" {
		cond += " AND " + extra
	}
	order := " ORDER BY r.id"
	if cf, ok := c.Field("created"); ok && cf.Type == "autodate" && byCreated {
		order = ` ORDER BY r."created", r.id`
	}
	rows, err := s.q.Query(ctx, "SELECT "+s.cols.list(c)+" FROM "+ident(c.Name)+" AS r WHERE "+cond+order+" LIMIT "+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, translate(err, c)
	}
	return collect(rows, c)
}

// Admits implements collections.RecordStore: the scope's conditions run
// over the record as a row of its table's type, built from its values
// (json_populate_record), so relation paths, back-relations and
// @collection references read the other rows as they are.
func (s *RecordStore) Admits(ctx context.Context, lookup collections.Lookup, r *collections.Record, scope *collections.Scope) (bool, error) {
	c := r.Collection
	if scope.Unlimited() {
		return true, nil
	}
	row := make(map[string]any, len(c.Fields))
	for _, f := range c.Fields {
		v, ok := r.Data[f.Name]
		if !ok {
			continue
		}
		v = arg(f, v)
		if b, ok := v.([]byte); ok && f.Storage() == collections.StorageJSON {
			v = json.RawMessage(b)
		}
		row[f.Name] = v
	}
	data, err := json.Marshal(row)
	if err != nil {
		return false, fmt.Errorf("admits %s: %w", c.Name, err)
	}
	cond, args, err := s.scopeSQL(lookup, c, scope, []any{string(data)})
	if err != nil {
		return false, err
	}
	var n int
	err = s.q.QueryRow(ctx, "SELECT count(*) FROM json_populate_record(NULL::"+ident(c.Name)+", $1::json) AS r WHERE "+cond, args...).Scan(&n)
	if err != nil {
		return false, translate(err, c)
	}
	return n == 1, nil
}

// Matching implements collections.RecordStore.
func (s *RecordStore) Matching(ctx context.Context, lookup collections.Lookup, c *collections.Collection, ids []string, scope *collections.Scope, lock bool) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	cond, args, err := s.scopeSQL(lookup, c, scope, []any{ids})
	if err != nil {
		return nil, err
	}
	if cond != "" {
		cond = " AND " + cond
	}
	sql := "SELECT r.id FROM " + ident(c.Name) + " AS r WHERE r.id = ANY($1)" + cond
	if lock {
		sql += " FOR UPDATE OF r"
	}
	rows, err := s.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, translate(err, c)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, translate(err, c)
}

// scopeSQL compiles a scope's conditions, OR-ed, for alias r; their
// parameters follow args. An unlimited scope gives "".
func (s *RecordStore) scopeSQL(lookup collections.Lookup, c *collections.Collection, scope *collections.Scope, args []any) (string, []any, error) {
	if scope.Unlimited() {
		return "", args, nil
	}
	env := s.scopeEnv(lookup, c, scope)
	parts := make([]string, 0, len(scope.Conditions))
	for _, src := range scope.Conditions {
		cond, cargs, err := s.conds.sql(src, env, len(args))
		if err != nil {
			return "", nil, fmt.Errorf("access condition %q: %w", src, err)
		}
		parts = append(parts, "("+cond+")")
		args = append(args, cargs...)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args, nil
}

// scopeEnv is what a scope's conditions compile against. They were checked
// when the policy was saved; fields they name need not be readable by the
// caller.
func (s *RecordStore) scopeEnv(lookup collections.Lookup, c *collections.Collection, scope *collections.Scope) filter.Env {
	return filter.Env{Root: c, Schema: lookup, Now: scope.Now, Auth: scope.Auth, Request: scope.Request, Stored: scope.Stored,
		CanRead: func(*collections.Collection, string) bool { return true }}
}

// Insert implements collections.RecordStore. The stored row (with database
// defaults) is read back into r.
func (s *RecordStore) Insert(ctx context.Context, r *collections.Record) error {
	c := r.Collection
	cols := make([]string, 0, len(c.Fields))
	marks := make([]string, 0, len(c.Fields))
	args := make([]any, 0, len(c.Fields))
	for _, f := range c.Fields {
		v, ok := r.Data[f.Name]
		if !ok {
			continue
		}
		args = append(args, arg(f, v))
		cols = append(cols, ident(f.Name))
		marks = append(marks, "$"+strconv.Itoa(len(args)))
	}
	sql := "INSERT INTO " + ident(c.Name) + " AS r (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ") RETURNING " + s.cols.list(c)
	return s.writeBack(ctx, r, sql, args)
}

// Update implements collections.RecordStore: every field of r is written.
func (s *RecordStore) Update(ctx context.Context, r *collections.Record) error {
	c := r.Collection
	sets := make([]string, 0, len(c.Fields))
	args := []any{r.ID()}
	for _, f := range c.Fields {
		v, ok := r.Data[f.Name]
		if !ok || f.Name == "id" {
			continue
		}
		args = append(args, arg(f, v))
		sets = append(sets, ident(f.Name)+" = $"+strconv.Itoa(len(args)))
	}
	sql := "UPDATE " + ident(c.Name) + " AS r SET " + strings.Join(sets, ", ") + " WHERE r.id = $1 RETURNING " + s.cols.list(c)
	return s.writeBack(ctx, r, sql, args)
}

func (s *RecordStore) writeBack(ctx context.Context, r *collections.Record, sql string, args []any) error {
	items, err := s.write(ctx, r.Collection, sql, args)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	r.Data = items[0].Data
	s.changed()
	return nil
}

// CountExisting implements collections.RecordStore.
func (s *RecordStore) CountExisting(ctx context.Context, c *collections.Collection, ids []string) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, "SELECT count(*) FROM "+ident(c.Name)+" WHERE id = ANY($1)", ids).Scan(&n)
	return n, translate(err, c)
}

// Delete implements collections.RecordStore.
func (s *RecordStore) Delete(ctx context.Context, c *collections.Collection, id string) (*collections.Record, error) {
	r := collections.NewRecord(c)
	err := s.writeBack(ctx, r, "DELETE FROM "+ident(c.Name)+" AS r WHERE r.id = $1 RETURNING "+s.cols.list(c), []any{id})
	return r, err
}

// InTx implements collections.RecordStore. Inside a transaction it runs fn
// on the same transaction.
func (s *RecordStore) InTx(ctx context.Context, fn func(collections.RecordStore) error) error {
	if s.inTx {
		return fn(s)
	}
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	tx := &lazyTx{conn: conn}
	ended := false
	defer func() {
		if !ended { // fn failed or panicked
			tx.end(ctx, false) //nolint:errcheck // the pool drops a connection left in a transaction
		}
	}()
	wrote := false
	if err := fn(&RecordStore{db: s.db, q: tx, conds: s.conds, cols: s.cols, totals: s.totals, inTx: true, wrote: &wrote, origin: &txOrigin{}}); err != nil {
		return err
	}
	ended = true
	if err := tx.end(ctx, true); err != nil {
		return err
	}
	if wrote {
		s.db.Announce()
	}
	return nil
}

// changed records that a write succeeded: announced at once outside a
// transaction, after the commit inside one.
func (s *RecordStore) changed() {
	if s.wrote != nil {
		*s.wrote = true
		return
	}
	s.db.Announce()
}

// conditionCache keeps parsed access conditions, and the SQL of those
// that compile alike for every caller: the same few conditions are
// compiled on every request, and doing it again is wasted work.
type conditionCache struct {
	mu    sync.RWMutex
	exprs map[string]filter.Expr
	sqls  map[compiledKey]compiled
}

// compiledKey is a condition compiled for a collection definition with
// placeholders from $argStart+1. A schema change gives every collection a
// new definition, so compilations against an old schema are not reused.
type compiledKey struct {
	c        *collections.Collection
	src      string
	argStart int
}

type compiled struct {
	sql  string
	args []any
}

func newConditionCache() *conditionCache {
	return &conditionCache{exprs: map[string]filter.Expr{}, sqls: map[compiledKey]compiled{}}
}

// maxCachedConditions bounds each map of the cache; a full map is emptied.
const maxCachedConditions = 4096

func (c *conditionCache) parse(src string) (filter.Expr, error) {
	c.mu.RLock()
	e, ok := c.exprs[src]
	c.mu.RUnlock()
	if ok {
		return e, nil
	}
	e, err := filter.Parse(src)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.exprs) >= maxCachedConditions {
		c.exprs = map[string]filter.Expr{}
	}
	c.exprs[src] = e
	c.mu.Unlock()
	return e, nil
}

// sql compiles the condition src in env with placeholders from
// $argStart+1. The returned args must not be modified.
func (c *conditionCache) sql(src string, env filter.Env, argStart int) (string, []any, error) {
	key := compiledKey{c: env.Root, src: src, argStart: argStart}
	keep := callerFree(src)
	if keep {
		c.mu.RLock()
		out, ok := c.sqls[key]
		c.mu.RUnlock()
		if ok {
			return out.sql, out.args, nil
		}
	}
	expr, err := c.parse(src)
	if err != nil {
		return "", nil, err
	}
	sql, args, err := filter.SQL(expr, env, "r", argStart)
	if err != nil || !keep {
		return sql, args, err
	}
	c.mu.Lock()
	if len(c.sqls) >= maxCachedConditions {
		c.sqls = map[compiledKey]compiled{}
	}
	c.sqls[key] = compiled{sql: sql, args: args}
	c.mu.Unlock()
	return sql, args, nil
}

// callerFree reports whether the condition src compiles to the same SQL
// for every caller and at every moment: it names no @request value and no
// date macro, only @collection (an @ inside a string literal counts too,
// which only costs a compilation), and calls no strftime (whose time may
// be now).
func callerFree(src string) bool {
	if strings.Contains(src, "strftime") {
		return false
	}
	for i := strings.IndexByte(src, '@'); i >= 0; {
		if !strings.HasPrefix(src[i:], "@collection.") {
			return false
		}
		next := strings.IndexByte(src[i+1:], '@')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return true
}

// columnCache keeps the select list of each collection definition (alias
// r): it is the same on every request, and building it costs more than
// looking it up. Definitions are not changed in place once records are
// read through them (the service hands out its cached ones read-only, and
// a schema change makes new ones), so the pointer is the key.
type columnCache struct {
	mu    sync.RWMutex
	lists map[*collections.Collection]string
}

// maxCachedColumnLists bounds the cache; old definitions stay in it until
// it is emptied when full.
const maxCachedColumnLists = 1024

func (cc *columnCache) list(c *collections.Collection) string {
	cc.mu.RLock()
	l, ok := cc.lists[c]
	cc.mu.RUnlock()
	if ok {
		return l
	}
	l = selectList(c, "r")
	cc.mu.Lock()
	if len(cc.lists) >= maxCachedColumnLists {
		cc.lists = map[*collections.Collection]string{}
	}
	cc.lists[c] = l
	cc.mu.Unlock()
	return l
}
