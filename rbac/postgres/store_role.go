package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
)

// roleGraphLockKey is the advisory lock that serializes role-to-role
// assignments; collections/postgres uses 7_346_183_209 and _210.
const roleGraphLockKey = 7_346_183_220

// maxDescription bounds a role's description, in bytes.
const maxDescription = 1000

type roleRow struct {
	bun.BaseModel `bun:"table:_roles"`

	Name        string    `bun:"name,pk"`
	Description string    `bun:"description,notnull"`
	Created     time.Time `bun:"created,notnull"`
	Updated     time.Time `bun:"updated,notnull"`
}

func (r *roleRow) role() rbac.Role {
	return rbac.Role{Name: r.Name, Description: r.Description, Created: r.Created, Updated: r.Updated}
}

func checkDescription(d string) error {
	if len(d) > maxDescription {
		return collections.Errorf(collections.EINVALID, "A role's description may be at most %d characters long.", maxDescription)
	}
	return nil
}

// Roles returns every role, the implicit ones included, by name.
func (s *Store) Roles(ctx context.Context, db bun.IDB) ([]rbac.Role, error) {
	var rows []roleRow
	if err := s.idb(db).NewSelect().Model(&rows).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("roles: %w", translate(err))
	}
	roles := make([]rbac.Role, len(rows))
	for i := range rows {
		roles[i] = rows[i].role()
	}
	return roles, nil
}

// Role returns the role called name, or ENOTFOUND.
func (s *Store) Role(ctx context.Context, db bun.IDB, name string) (rbac.Role, error) {
	var row roleRow
	if err := s.idb(db).NewSelect().Model(&row).Where("name = ?", name).Scan(ctx); err != nil {
		return rbac.Role{}, translate(err)
	}
	return row.role(), nil
}

// CreateRole creates a role. The name must be valid (rbac.ValidRoleName)
// and new (ECONFLICT otherwise).
func (s *Store) CreateRole(ctx context.Context, db bun.IDB, name, description string) (rbac.Role, error) {
	if err := rbac.ValidRoleName(name); err != nil {
		return rbac.Role{}, err
	}
	if err := checkDescription(description); err != nil {
		return rbac.Role{}, err
	}
	t := now()
	row := roleRow{Name: name, Description: description, Created: t, Updated: t}
	err := s.inTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&row).Returning("NULL").Exec(ctx)
		return err
	})
	if isUniqueViolation(err) {
		return rbac.Role{}, collections.Errorf(collections.ECONFLICT, "The role %q already exists.", name)
	}
	if err != nil {
		return rbac.Role{}, fmt.Errorf("create role: %w", translate(err))
	}
	return row.role(), nil
}

// UpdateRole changes a role's description. It is ENOTFOUND when there is
// no such role.
func (s *Store) UpdateRole(ctx context.Context, db bun.IDB, name, description string) (rbac.Role, error) {
	if err := checkDescription(description); err != nil {
		return rbac.Role{}, err
	}
	var row roleRow
	err := s.inTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewUpdate().Model(&row).
			Set("description = ?", description).
			Set("updated = ?", now()).
			Where("name = ?", name).
			Returning("*").Scan(ctx)
	})
	if err != nil {
		return rbac.Role{}, translate(err)
	}
	return row.role(), nil
}

// DeleteRole deletes a role with its policies and the assignments to and
// from it. The implicit roles cannot be deleted (EINVALID); an unknown
// role is ENOTFOUND.
func (s *Store) DeleteRole(ctx context.Context, db bun.IDB, name string) error {
	if rbac.IsImplicitRole(name) {
		return collections.Errorf(collections.EINVALID, "The role %q is implicit and cannot be deleted.", name)
	}
	// The rules go with the role by trigger, in the same statement.
	res, err := s.idb(db).NewDelete().Model((*roleRow)(nil)).Where("name = ?", name).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete role: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return collections.Errorf(collections.ENOTFOUND, "No such role.")
	}
	return nil
}

// AssignmentFilter selects assignments. Empty fields select everything.
type AssignmentFilter struct {
	// Subject selects the roles given to one user key or role.
	Subject string
	// Role selects the members of one role.
	Role string
}

// Assignments returns the assignments f selects, in the order they were
// made.
func (s *Store) Assignments(ctx context.Context, db bun.IDB, f AssignmentFilter) ([]rbac.Assignment, error) {
	var rows []ruleRow
	q := s.idb(db).NewSelect().Model(&rows).Where("ptype = ?", ptypeRole).Order("id")
	if f.Subject != "" {
		q = q.Where("v0 = ?", f.Subject)
	}
	if f.Role != "" {
		q = q.Where("v1 = ?", f.Role)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("assignments: %w", translate(err))
	}
	as := make([]rbac.Assignment, len(rows))
	for i := range rows {
		as[i] = rows[i].assignment()
	}
	return as, nil
}

// Assign makes subject (a user key or a role) a member of role. Both must
// exist, role must not be implicit (everyone holds those already), and a
// role may not end up inheriting from itself; each is EINVALID otherwise.
// Assigning twice changes nothing.
func (s *Store) Assign(ctx context.Context, db bun.IDB, subject, role string) error {
	if err := rbac.ValidSubject(subject); err != nil {
		return err
	}
	if err := rbac.ValidRoleName(role); err != nil {
		return err
	}
	if rbac.IsImplicitRole(role) {
		return collections.Errorf(collections.EINVALID, "The role %q is implicit: it cannot be assigned.", role)
	}
	if subject == role {
		return collections.Errorf(collections.EINVALID, "A role cannot be a member of itself.")
	}
	return s.inTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkSubject(ctx, tx, subject); err != nil {
			return err
		}
		if err := checkRole(ctx, tx, role); err != nil {
			return err
		}
		if !strings.Contains(subject, ":") {
			// Role-to-role assignments take turns, so that two made at
			// once cannot close a cycle neither saw.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", roleGraphLockKey); err != nil {
				return fmt.Errorf("assign: %w", translate(err))
			}
			cycle, err := inherits(ctx, tx, role, subject)
			if err != nil {
				return err
			}
			if cycle {
				return collections.Errorf(collections.EINVALID, "The role %q already inherits from %q: the assignment would make a cycle.", role, subject)
			}
		}
		row := ruleRow{PType: ptypeRole, V0: subject, V1: role}
		_, err := tx.NewInsert().Model(&row).ExcludeColumn("id").On("CONFLICT DO NOTHING").Returning("NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("assign: %w", translate(err))
		}
		return nil
	})
}

// inherits reports whether role holds ancestor, transitively.
func inherits(ctx context.Context, tx bun.Tx, role, ancestor string) (bool, error) {
	var found bool
	err := tx.NewRaw(`WITH RECURSIVE up(name) AS (
    SELECT v1 FROM _casbin_rule WHERE ptype = ? AND v0 = ?
    UNION
    SELECT r.v1 FROM _casbin_rule r JOIN up ON r.v0 = up.name WHERE r.ptype = ?
)
SELECT EXISTS (SELECT 1 FROM up WHERE name = ?)`, ptypeRole, role, ptypeRole, ancestor).Scan(ctx, &found)
	if err != nil {
		return false, fmt.Errorf("assign: %w", translate(err))
	}
	return found, nil
}

// Unassign takes role away from subject. It is ENOTFOUND when subject
// is not a direct member of role.
func (s *Store) Unassign(ctx context.Context, db bun.IDB, subject, role string) error {
	res, err := s.idb(db).NewDelete().Model((*ruleRow)(nil)).
		Where("ptype = ? AND v0 = ? AND v1 = ?", ptypeRole, subject, role).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("unassign: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return collections.Errorf(collections.ENOTFOUND, "No such assignment.")
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
