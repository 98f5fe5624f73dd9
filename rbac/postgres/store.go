// Package postgres keeps access-control rules in PostgreSQL: Store reads
// and writes roles, policies and assignments (in Casbin's _casbin_rule
// layout, see rbac.Model). It is the only place in the rbac tree that
// holds SQL.
//
// The tables and triggers are created by the system migrations
// (collections/postgres/migrations): deleting a role or a collection
// deletes the rules that name it in the same transaction, and every
// change NOTIFYs Channel, which each node's listener
// (collections/postgres.Listener) answers by reloading its rules.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
)

// Channel is the NOTIFY channel on which rule changes are announced.
const Channel = "lumbung_policies"

// Store keeps roles, policies and assignments. Load reads on the store's
// own database; the other methods take the bun.IDB to run on — the
// database, or a transaction of the caller's, such as the one applying a
// schema change — and a nil db means the store's own. Each write runs in
// a transaction (a savepoint inside the caller's), so a failed write
// leaves the caller's transaction usable.
type Store struct {
	db *bun.DB
}

var _ rbac.Source = (*Store)(nil)

// NewStore returns a Store on db.
func NewStore(db *bun.DB) *Store { return &Store{db: db} }

// Rule types in _casbin_rule.
const (
	ptypePolicy = "p"
	ptypeRole   = "g"
)

type ruleRow struct {
	bun.BaseModel `bun:"table:_casbin_rule"`

	ID    int64  `bun:"id,pk,autoincrement"`
	PType string `bun:"ptype,notnull"`
	V0    string `bun:"v0,notnull"`
	V1    string `bun:"v1,notnull"`
	V2    string `bun:"v2,notnull"`
	V3    string `bun:"v3,notnull"`
	V4    string `bun:"v4,notnull"`
	V5    string `bun:"v5,notnull"`
}

func policyRow(p rbac.Policy) ruleRow {
	return ruleRow{PType: ptypePolicy, V0: p.Subject, V1: p.Collection, V2: p.Action, V3: p.Condition, V4: strings.Join(p.Fields, ",")}
}

func (r *ruleRow) policy() rbac.Policy {
	p := rbac.Policy{Subject: r.V0, Collection: r.V1, Action: r.V2, Condition: r.V3}
	if r.V4 != "" {
		p.Fields = strings.Split(r.V4, ",")
	}
	return p
}

func (r *ruleRow) assignment() rbac.Assignment { return rbac.Assignment{Subject: r.V0, Role: r.V1} }

// Load implements rbac.Source: every policy and assignment, read in one
// statement so that both come from the same moment.
func (s *Store) Load(ctx context.Context) ([]rbac.Policy, []rbac.Assignment, error) {
	var rows []ruleRow
	err := s.db.NewSelect().Model(&rows).
		Where("ptype IN (?, ?)", ptypePolicy, ptypeRole).
		Order("id").Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load rules: %w", err)
	}
	var ps []rbac.Policy
	var as []rbac.Assignment
	for i := range rows {
		if rows[i].PType == ptypePolicy {
			ps = append(ps, rows[i].policy())
		} else {
			as = append(as, rows[i].assignment())
		}
	}
	return ps, as, nil
}

// idb returns db, or the store's database when db is nil.
func (s *Store) idb(db bun.IDB) bun.IDB {
	if db == nil {
		return s.db
	}
	return db
}

// inTx runs fn in a transaction on db: a savepoint when db is one already.
func (s *Store) inTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.idb(db).RunInTx(ctx, nil, fn)
}

// checkSubject makes sure a subject names something that exists: a role,
// or a record key of an auth collection. It locks the row against
// deletion until the transaction ends, so that the triggers that clean
// up after a deleted role or collection see the rules written meanwhile.
func checkSubject(ctx context.Context, tx bun.Tx, subject string) error {
	if err := rbac.ValidSubject(subject); err != nil {
		return err
	}
	col, _, isUser := strings.Cut(subject, ":")
	if !isUser {
		return checkRole(ctx, tx, subject)
	}
	ok, err := exists(ctx, tx.NewSelect().Table("_collections").
		Where("id = ?", col).Where("type = 'auth'").For("KEY SHARE"))
	if err != nil {
		return err
	}
	if !ok {
		return collections.Errorf(collections.EINVALID, "Unknown subject %q: %q is not an auth collection.", subject, col)
	}
	return nil
}

// checkRole makes sure a role exists and locks it against deletion until
// the transaction ends.
func checkRole(ctx context.Context, tx bun.Tx, role string) error {
	if err := rbac.ValidRoleName(role); err != nil {
		return err
	}
	ok, err := exists(ctx, tx.NewSelect().Table("_roles").Where("name = ?", role).For("KEY SHARE"))
	if err != nil {
		return err
	}
	if !ok {
		return collections.Errorf(collections.EINVALID, "Unknown role %q.", role)
	}
	return nil
}

// checkCollection makes sure a policy's collection exists (or is "*") and
// locks it against deletion until the transaction ends.
func checkCollection(ctx context.Context, tx bun.Tx, id string) error {
	if err := rbac.ValidCollection(id); err != nil || id == rbac.Any {
		return err
	}
	ok, err := exists(ctx, tx.NewSelect().Table("_collections").Where("id = ?", id).For("KEY SHARE"))
	if err != nil {
		return err
	}
	if !ok {
		return collections.Errorf(collections.EINVALID, "Unknown collection %q.", id)
	}
	return nil
}

func exists(ctx context.Context, q *bun.SelectQuery) (bool, error) {
	var one int
	err := q.ColumnExpr("1").Limit(1).Scan(ctx, &one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, translate(err)
}

// translate turns driver errors into domain errors by SQLSTATE. Errors it
// does not know pass through and become a logged 500.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var ce *collections.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		return collections.Errorf(collections.ECONFLICT, "It already exists.")
	case "23001": // restrict_violation: the implicit roles' guard
		return collections.Errorf(collections.EINVALID, "The roles guest and authenticated are implicit: they cannot be deleted or renamed.")
	case "23503", "23502", "23514", "22001": // foreign key, not null, check, too long
		return collections.Errorf(collections.EINVALID, "A value is not valid.")
	case "40001", "40P01": // serialization failure, deadlock
		return collections.Errorf(collections.ECONFLICT, "The request conflicted with a concurrent change; try again.")
	}
	return err
}

// now is the timestamp written to created and updated columns, at the
// precision the database keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
