package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
)

// SchemaStore keeps collection definitions in _collections and applies
// planned schema changes.
type SchemaStore struct {
	db      *DB
	onApply func(ctx context.Context, tx bun.Tx, plan *collections.Plan) error
}

var _ collections.SchemaStore = (*SchemaStore)(nil)

// NewSchemaStore returns a SchemaStore on db.
func NewSchemaStore(db *DB) *SchemaStore { return &SchemaStore{db: db} }

// OnApply sets a function run inside the transaction of every applied plan,
// after its steps and definition: what must change together with the schema
// (access policies) changes there, and a failure rolls everything back.
func (s *SchemaStore) OnApply(fn func(ctx context.Context, tx bun.Tx, plan *collections.Plan) error) {
	s.onApply = fn
}

type collectionRow struct {
	bun.BaseModel `bun:"table:_collections"`

	ID         string          `bun:"id,pk"`
	Name       string          `bun:"name,notnull"`
	Type       string          `bun:"type,notnull"`
	System     bool            `bun:"system,notnull"`
	Definition json.RawMessage `bun:"definition,type:jsonb,notnull"`
	Created    time.Time       `bun:"created,notnull"`
	Updated    time.Time       `bun:"updated,notnull"`
}

type historyRow struct {
	bun.BaseModel `bun:"table:_schema_history"`

	ID             int64           `bun:"id,pk,autoincrement"`
	CollectionID   string          `bun:"collection_id,notnull"`
	CollectionName string          `bun:"collection_name,notnull"`
	Action         string          `bun:"action,notnull"`
	Before         json.RawMessage `bun:"before,type:jsonb"`
	After          json.RawMessage `bun:"after,type:jsonb"`
	Steps          json.RawMessage `bun:"steps,type:jsonb,notnull"`
	Actor          string          `bun:"actor,notnull"`
}

// Version implements collections.SchemaStore: the id of the newest
// schema-history row, which every applied change writes.
func (s *SchemaStore) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.Pool.QueryRow(ctx, "SELECT coalesce(max(id), 0) FROM _schema_history").Scan(&v)
	return v, translate(err, nil)
}

// Load implements collections.SchemaStore.
func (s *SchemaStore) Load(ctx context.Context) ([]*collections.Collection, error) {
	var rows []collectionRow
	if err := s.db.Bun.NewSelect().Model(&rows).Order("created", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load collections: %w", err)
	}
	out := make([]*collections.Collection, 0, len(rows))
	for _, r := range rows {
		c, err := decodeCollection(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	// Relation checks need every collection, so they run once all are known.
	lookup := staticLookup(out)
	for _, c := range out {
		for _, f := range c.Fields {
			f.Options.Check(lookup, c, f) //nolint:errcheck // stored definitions were valid when saved
		}
	}
	return out, nil
}

func decodeCollection(r collectionRow) (*collections.Collection, error) {
	c := &collections.Collection{}
	if err := json.Unmarshal(r.Definition, c); err != nil {
		return nil, fmt.Errorf("collection %s: stored definition: %w", r.ID, err)
	}
	c.Created, c.Updated = r.Created, r.Updated
	return c, nil
}

// staticLookup finds collections in a fixed list.
type staticLookup []*collections.Collection

func (l staticLookup) Collection(idOrName string) (*collections.Collection, bool) {
	for _, c := range l {
		if c.ID == idOrName || strings.EqualFold(c.Name, idOrName) {
			return c, true
		}
	}
	return nil, false
}

// Plan implements collections.SchemaStore.
func (s *SchemaStore) Plan(ctx context.Context, ch collections.Change) (*collections.Plan, error) {
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	return s.plan(ctx, conn.Conn(), ch)
}

// plan computes the steps of ch on conn: a connection of the pool, or the
// one of an open schema transaction, whose earlier steps it then sees.
func (s *SchemaStore) plan(ctx context.Context, conn *pgx.Conn, ch collections.Change) (*collections.Plan, error) {
	p := &planner{ctx: ctx, q: conn, plan: &collections.Plan{Change: ch, Steps: []collections.Step{}, Blocked: []string{}}}
	switch {
	case ch.Truncate:
		p.truncate(ch.Old)
	case ch.Old == nil:
		if ch.New.Type == collections.TypeView {
			if err := s.describeView(ctx, conn, ch.Schema, ch.New); err != nil {
				return nil, err
			}
		}
		p.create(ch.New, ch.Schema)
	case ch.New == nil:
		p.drop(ch.Old, ch.Schema)
	default:
		if ch.New.Type == collections.TypeView {
			if err := s.describeView(ctx, conn, ch.Schema, ch.New); err != nil {
				return nil, err
			}
		} else if err := checkDependentViews(ctx, conn, ch.Old, ch.New); err != nil {
			return nil, err
		}
		p.update(ch.Old, ch.New, ch.Schema, ch.AllowDataLoss)
	}
	if p.err != nil {
		return nil, p.err
	}
	return p.plan, nil
}

// Apply implements collections.SchemaStore.
func (s *SchemaStore) Apply(ctx context.Context, plans ...*collections.Plan) error {
	if err := checkBlocked(plans); err != nil {
		return err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit: nothing to undo
	if err := tx.Apply(ctx, plans...); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// checkBlocked refuses plans that would lose data without leave.
func checkBlocked(plans []*collections.Plan) error {
	var blocked []string
	for _, p := range plans {
		blocked = append(blocked, p.Blocked...)
	}
	if len(blocked) > 0 {
		return collections.Errorf(collections.EINVALID, "%s", strings.Join(blocked, " "))
	}
	return nil
}

// SchemaChannel is the NOTIFY channel on which applied schema changes are
// announced, so that other nodes reload their schema cache.
const SchemaChannel = "lumbung_schema"

// schemaLockKey serializes schema changes between nodes.
const schemaLockKey = 7_346_183_210

// checkCurrent fails with ECONFLICT when the stored definition changed since
// the plan was made.
func (s *SchemaStore) checkCurrent(ctx context.Context, tx bun.Tx, plan *collections.Plan) error {
	if plan.Old == nil {
		return nil
	}
	var row collectionRow
	err := tx.NewSelect().Model(&row).Where("id = ?", plan.Old.ID).For("UPDATE").Scan(ctx)
	if err != nil {
		return translate(err, nil)
	}
	if !row.Updated.Equal(plan.Old.Updated) {
		return collections.Errorf(collections.ECONFLICT, "Collection %q was changed by someone else; reload it and try again.", plan.Old.Name)
	}
	return nil
}

func (s *SchemaStore) saveDefinition(ctx context.Context, tx bun.Tx, plan *collections.Plan) error {
	h := historyRow{Actor: plan.Actor}
	h.Steps, _ = json.Marshal(plan.Steps)
	if plan.Old != nil {
		h.Before, _ = json.Marshal(plan.Old)
		h.CollectionID, h.CollectionName = plan.Old.ID, plan.Old.Name
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	switch {
	case plan.Truncate:
		h.Action = "truncate"
		h.After = h.Before
	case plan.New == nil:
		h.Action = "delete"
		if _, err := tx.NewDelete().Model((*collectionRow)(nil)).Where("id = ?", plan.Old.ID).Exec(ctx); err != nil {
			return err
		}
	default:
		c := plan.New
		c.Updated = now
		if plan.Old == nil {
			h.Action = "create"
			c.Created = now
		} else {
			h.Action = "update"
			c.Created = plan.Old.Created
		}
		b, _ := json.Marshal(c)
		h.After = b
		h.CollectionID, h.CollectionName = c.ID, c.Name
		row := collectionRow{ID: c.ID, Name: c.Name, Type: c.Type, System: c.System, Definition: b, Created: c.Created, Updated: c.Updated}
		_, err := tx.NewInsert().Model(&row).
			On("CONFLICT (id) DO UPDATE").
			Set("name = EXCLUDED.name, type = EXCLUDED.type, definition = EXCLUDED.definition, updated = EXCLUDED.updated").
			Exec(ctx)
		if err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" {
				return collections.Invalid("Failed to save the collection.", map[string]collections.FieldError{
					"name": {Code: "validation_collection_name_exists", Message: "Collection name must be unique (case insensitive)."}})
			}
			return err
		}
	}
	if _, err := tx.NewInsert().Model(&h).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", SchemaChannel, h.CollectionID)
	return err
}

// stepError explains a failed step without leaking the database's text
// where it is not about the user's own input.
func stepError(st collections.Step, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "23505":
		return collections.Errorf(collections.EINVALID, "%s failed: existing records hold duplicate values.", strings.TrimSuffix(st.Description, "."))
	case "23503":
		return collections.Errorf(collections.EINVALID, "%s failed: existing records reference missing records.", strings.TrimSuffix(st.Description, "."))
	case "42P07":
		return collections.Errorf(collections.EINVALID, "%s failed: the name is already used by another table or index.", strings.TrimSuffix(st.Description, "."))
	case "2BP01":
		return collections.Errorf(collections.EINVALID, "%s failed: other objects depend on it.", strings.TrimSuffix(st.Description, "."))
	}
	if pgErr.Code[:2] == "42" || pgErr.Code[:2] == "22" {
		// Only view queries carry user-written SQL; say what Postgres said.
		if strings.HasPrefix(st.SQL, "CREATE VIEW") {
			return collections.Errorf(collections.EINVALID, "Invalid view query: %s.", pgErr.Message)
		}
	}
	return fmt.Errorf("schema step %q: %w", st.Description, err)
}

// describeView checks a view query and derives the view's fields from the
// columns it returns. The query runs through the extended protocol, which
// refuses more than one statement. A query that reads a secret field of a
// collection in schema, or an internal table, is refused (checkViewReads).
func (s *SchemaStore) describeView(ctx context.Context, conn *pgx.Conn, schema collections.Lookup, c *collections.Collection) error {
	q := sqliteQuotes(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(c.ViewQuery), ";")))
	c.ViewQuery = q
	return withViewFunctions(ctx, conn, func() error { return s.describeViewQuery(ctx, conn, schema, c, q) })
}

func (s *SchemaStore) describeViewQuery(ctx context.Context, conn *pgx.Conn, schema collections.Lookup, c *collections.Collection, q string) error {
	q, err := sqliteNames(ctx, conn, q)
	if err != nil {
		return err
	}
	c.ViewQuery = q
	if err := checkViewParams(ctx, conn, q); err != nil {
		return err
	}
	rows, err := conn.Query(ctx, "SELECT * FROM ("+q+"\n) AS v LIMIT 0", pgx.QueryExecModeDescribeExec)
	if err != nil {
		return viewQueryError(q, err)
	}
	// A copy: the connection reuses the descriptions' memory.
	fds := append([]pgconn.FieldDescription(nil), rows.FieldDescriptions()...)
	rows.Close()
	if err := rows.Err(); err != nil {
		return viewQueryError(q, err)
	}
	sources, err := columnSources(ctx, conn, fds)
	if err != nil {
		return err
	}
	var fields []*collections.Field
	hasID := false
	for i, fd := range fds {
		name := fd.Name
		if name == "id" {
			hasID = true
		}
		if msg := collections.CheckName(name, false); msg != "" && name != "id" {
			return collections.Errorf(collections.EINVALID, "Invalid view query: column %q: %s", name, msg)
		}
		f := viewField(schema, name, fd.DataTypeOID, sources[i])
		if old, ok := c.Field(name); ok {
			f.ID = old.ID
		} else {
			f.ID = collections.NewFieldID(f.Type)
		}
		fields = append(fields, f)
	}
	if !hasID {
		return collections.Errorf(collections.EINVALID, "Invalid view query: it must return an id column.")
	}
	if err := checkViewQuery(ctx, conn, schema, q); err != nil {
		return err
	}
	c.Fields = fields
	return nil
}

// previewTimeout bounds a view preview in the database.
const previewTimeout = 3 * time.Second

// PreviewView implements collections.SchemaStore: the query runs in a
// read-only transaction with a statement timeout, through the extended
// protocol (one statement only), and is rolled back. Its rows are returned
// only if the query could be saved as a view of the stored schema: one that
// reads a secret field or an internal table is refused (checkViewReads).
func (s *SchemaStore) PreviewView(ctx context.Context, query string, limit int) ([]json.RawMessage, error) {
	q := sqliteQuotes(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(query), ";")))
	out, q, err := s.previewRows(ctx, q, limit)
	if err != nil {
		return nil, err
	}
	schema, err := s.Load(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	err = withViewFunctions(ctx, conn.Conn(), func() error { return checkViewQuery(ctx, conn.Conn(), staticLookup(schema), q) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// previewRows runs the preview query of PreviewView, and returns it as it
// ran (see sqliteNames).
func (s *SchemaStore) previewRows(ctx context.Context, q string, limit int) ([]json.RawMessage, string, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to keep
	if _, err := tx.Exec(ctx, "SELECT set_config('statement_timeout', $1, true)", strconv.Itoa(int(previewTimeout/time.Millisecond))); err != nil {
		return nil, "", err
	}
	if _, err := tx.Exec(ctx, sqliteSearchPath); err != nil {
		return nil, "", err
	}
	if q, err = sqliteNames(ctx, tx.Conn(), q); err != nil {
		return nil, "", err
	}
	if err := checkViewParams(ctx, tx.Conn(), q); err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, "SELECT to_jsonb(v) FROM ("+q+"\n) AS v LIMIT "+strconv.Itoa(limit))
	if err != nil {
		return nil, "", viewQueryError(q, err)
	}
	out := []json.RawMessage{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, "", err
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, "", viewQueryError(q, err)
	}
	return out, q, nil
}

// checkViewParams refuses a view query with parameters ($1, $2…): a view
// has nobody to bind them. The query is only parsed, not run. (The line
// break lets a query end in a -- comment.)
func checkViewParams(ctx context.Context, conn *pgx.Conn, q string) error {
	sd, err := conn.PgConn().Prepare(ctx, "", "SELECT * FROM ("+q+"\n) AS v", nil)
	if err != nil {
		return viewQueryError(q, err)
	}
	if len(sd.ParamOIDs) > 0 {
		return collections.Invalid("Invalid view query: it cannot have parameters ($1, $2, …).",
			map[string]collections.FieldError{"viewQuery": {Code: "validation_invalid_view_query", Message: "A view query cannot have parameters ($1, $2, …)."}})
	}
	return nil
}

// viewFieldType maps a result column type to a field type.
func viewFieldType(oid uint32) string {
	switch oid {
	case 20, 21, 23, 700, 701, 1700: // int8, int2, int4, float4, float8, numeric
		return "number"
	case 16:
		return "bool"
	case 1082, 1114, 1184: // date, timestamp, timestamptz
		return "date"
	case 25, 1043, 1042, 19: // text, varchar, bpchar, name
		return "text"
	}
	return "json"
}
