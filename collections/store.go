package collections

import (
	"context"
	"encoding/json"
	"time"
)

// SchemaStore persists collection definitions and applies schema changes.
type SchemaStore interface {
	// Load returns every collection.
	Load(ctx context.Context) ([]*Collection, error)
	// Version returns a number that grows with every applied schema
	// change (on any node), read before Load it tells whether a cache
	// loaded then is behind the database.
	Version(ctx context.Context) (int64, error)
	// Plan computes the SQL steps and their data impact for changing old into
	// new (old nil: create; new nil: drop), without changing anything.
	Plan(ctx context.Context, change Change) (*Plan, error)
	// Apply runs the plan's steps, the definition update and a schema-history
	// row in one transaction. It fails with ECONFLICT when the stored
	// definition no longer matches change.Old (a concurrent edit).
	// Several plans (an import) apply together in one transaction.
	Apply(ctx context.Context, plans ...*Plan) error
	// PreviewView runs a view query read-only and returns up to limit of
	// its rows as JSON objects; a query that fails is EINVALID with the
	// database's reason.
	PreviewView(ctx context.Context, query string, limit int) ([]json.RawMessage, error)
	// Begin starts a schema change of several plans (an import) in one
	// transaction, holding the schema lock until it ends.
	Begin(ctx context.Context) (SchemaTx, error)
}

// SchemaTx is a schema change in progress: a plan made in it sees what the
// plans applied in it before did (tables created, columns added), so a view
// can read a table created by the same import. Nothing is visible to others
// until Commit; Rollback (a no-op after Commit) undoes everything.
type SchemaTx interface {
	Plan(ctx context.Context, change Change) (*Plan, error)
	// Apply runs the plans as SchemaStore.Apply does, inside the
	// transaction; a failure leaves it to be rolled back.
	Apply(ctx context.Context, plans ...*Plan) error
	// Records returns a record store whose reads and writes join the
	// transaction (a collection hook's seed records, say).
	Records() RecordStore
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// Change is a schema change: Old nil creates New, New nil drops Old.
type Change struct {
	Old, New *Collection
	Schema   Lookup // every collection after the change
	// AllowDataLoss lets type changes discard values that cannot be converted.
	AllowDataLoss bool
	// Truncate empties the collection instead of changing its definition.
	Truncate bool
	Actor    string
}

// Plan is a schema change as the SQL that will run, for review before apply.
type Plan struct {
	Change `json:"-"`
	Steps  []Step `json:"steps"`
	// Blocked lists reasons the change cannot run as requested (e.g. rows
	// that would fail a type cast without AllowDataLoss).
	Blocked []string `json:"blocked"`
}

// Step is one statement of a plan with a human description of what it does
// to existing data.
type Step struct {
	SQL         string `json:"sql"`
	Description string `json:"description"`
	Impact      string `json:"impact,omitempty"`
	// AffectedRows is how many existing rows the step changes or fails on,
	// when known (-1 when not applicable).
	AffectedRows int64 `json:"affectedRows"`
}

// Query is a parsed list request.
type Query struct {
	Page      int
	PerPage   int
	Sort      string
	Filter    string
	SkipTotal bool
	// Now is the time filter macros such as @now see.
	Now time.Time
	// CanRead decides which fields filter and sort may name; nil allows
	// every field that is not hidden.
	CanRead func(c *Collection, field string) bool
	// Scope limits the records listed (and counted).
	Scope *Scope
	// Auth feeds @request.auth.* in Filter; nil for a guest.
	Auth map[string]any
	// Request feeds the other @request.* values in Filter (nil: none).
	Request *RequestInfo
	// Visible returns the caller's view access of a collection that
	// Filter or Sort enters through a relation, a back-relation or
	// @collection: only the records it grants are reached. Nil reaches
	// every record.
	Visible func(c *Collection) Access
	// HideEmails makes Filter and Sort read the email of an auth record
	// whose emailVisibility is off as '', unless it is the caller's own.
	HideEmails bool
	// IDs, when set, limits the list to records with these ids.
	IDs []string
}

// Page is one page of records.
type Page struct {
	Page       int       `json:"page"`
	PerPage    int       `json:"perPage"`
	TotalItems int       `json:"totalItems"`
	TotalPages int       `json:"totalPages"`
	Items      []*Record `json:"items"`
}

// RecordStore reads and writes records of user collections. Reads take an
// optional *Scope (nil: every record); a record outside the scope does not
// exist for the caller.
type RecordStore interface {
	// SQL runs one statement of the app's own code (a hook's), its $1…
	// bound to args, and returns the rows it returned, column → value.
	SQL(ctx context.Context, sql string, args []any) ([]map[string]any, error)
	List(ctx context.Context, s Lookup, c *Collection, q Query) (*Page, error)
	Get(ctx context.Context, s Lookup, c *Collection, id string, scope *Scope) (*Record, error)
	// GetMany returns the records with the given ids, in no particular order.
	GetMany(ctx context.Context, s Lookup, c *Collection, ids []string, scope *Scope) ([]*Record, error)
	// Referencing returns records of c whose field references any of ids,
	// at most limit, ordered by creation when byCreated (and c has the
	// created field), else by id.
	Referencing(ctx context.Context, s Lookup, c *Collection, field *Field, ids []string, limit int, byCreated bool, scope *Scope) ([]*Record, error)
	// Matching returns which of ids are records inside scope; with lock the
	// rows stay locked until the transaction ends.
	Matching(ctx context.Context, s Lookup, c *Collection, ids []string, scope *Scope, lock bool) ([]string, error)
	// Admits reports whether r, a record not stored yet, lies inside
	// scope: its conditions are checked against r as if it were a row of
	// its table, with every other row as it is (so a condition that counts
	// rows does not count r).
	Admits(ctx context.Context, s Lookup, r *Record, scope *Scope) (bool, error)
	// FindByEmail returns the auth record with the given email, compared
	// case-insensitively.
	FindByEmail(ctx context.Context, c *Collection, email string) (*Record, error)
	// CountExisting returns how many of ids are records of c.
	CountExisting(ctx context.Context, c *Collection, ids []string) (int, error)
	// LockAll returns the ids of every record of c and keeps the rows
	// locked until the transaction ends. A row another transaction deletes
	// meanwhile is waited for and then left out.
	LockAll(ctx context.Context, c *Collection) ([]string, error)
	Insert(ctx context.Context, r *Record) error
	// Update writes every field of r.
	Update(ctx context.Context, r *Record) error
	// Delete deletes record id of c and returns it as it was.
	Delete(ctx context.Context, c *Collection, id string) (*Record, error)
	// InTx runs fn with a RecordStore bound to one transaction, committed when
	// fn returns nil and rolled back otherwise. Inside a transaction it runs
	// fn on the same transaction.
	InTx(ctx context.Context, fn func(RecordStore) error) error
}
