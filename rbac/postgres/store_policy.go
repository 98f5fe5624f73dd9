package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
)

// PolicyFilter selects policies. Empty fields select everything.
type PolicyFilter struct {
	// Subject selects the policies of one user key or role.
	Subject string
	// Collection selects the policies of one collection id; "*" selects
	// the policies for every collection, not all policies.
	Collection string
}

// Policies returns the policies f selects, in the order they were added.
func (s *Store) Policies(ctx context.Context, db bun.IDB, f PolicyFilter) ([]rbac.Policy, error) {
	var rows []ruleRow
	q := s.idb(db).NewSelect().Model(&rows).Where("ptype = ?", ptypePolicy).Order("id")
	if f.Subject != "" {
		q = q.Where("v0 = ?", f.Subject)
	}
	if f.Collection != "" {
		q = q.Where("v1 = ?", f.Collection)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("policies: %w", translate(err))
	}
	ps := make([]rbac.Policy, len(rows))
	for i := range rows {
		ps[i] = rows[i].policy()
	}
	return ps, nil
}

// AddPolicy adds a policy. It must be valid (rbac.Policy.Validate after
// Normalize), its subject an existing role or a record key of an auth
// collection, its collection an existing one or "*". Adding a policy that
// exists already changes nothing.
func (s *Store) AddPolicy(ctx context.Context, db bun.IDB, p rbac.Policy) error {
	p = p.Normalize()
	if err := p.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkSubject(ctx, tx, p.Subject); err != nil {
			return err
		}
		if err := checkCollection(ctx, tx, p.Collection); err != nil {
			return err
		}
		return insertPolicies(ctx, tx, []rbac.Policy{p})
	})
}

// RemovePolicy removes the policy equal to p (after Normalize). It is
// ENOTFOUND when there is none.
func (s *Store) RemovePolicy(ctx context.Context, db bun.IDB, p rbac.Policy) error {
	p = p.Normalize()
	row := policyRow(p)
	res, err := s.idb(db).NewDelete().Model((*ruleRow)(nil)).
		Where("ptype = ?", ptypePolicy).
		Where("v0 = ? AND v1 = ? AND v2 = ? AND v3 = ? AND v4 = ?", row.V0, row.V1, row.V2, row.V3, row.V4).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("remove policy: %w", translate(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return collections.Errorf(collections.ENOTFOUND, "No such policy.")
	}
	return nil
}

// SetPolicies replaces the policies subject has on collectionID with ps,
// in one transaction. Policies in ps may leave Subject and Collection
// empty; if set, they must be subject and collectionID. An empty ps
// removes them all. Validation is as for AddPolicy, and every problem
// is reported before anything changes.
func (s *Store) SetPolicies(ctx context.Context, db bun.IDB, subject, collectionID string, ps []rbac.Policy) error {
	if err := rbac.ValidSubject(subject); err != nil {
		return err
	}
	if err := rbac.ValidCollection(collectionID); err != nil {
		return err
	}
	norm := make([]rbac.Policy, len(ps))
	for i, p := range ps {
		if p.Subject == "" {
			p.Subject = subject
		}
		if p.Collection == "" {
			p.Collection = collectionID
		}
		if p.Subject != subject || p.Collection != collectionID {
			return collections.Errorf(collections.EINVALID, "Policy %d is for %s on %s, not for %s on %s.", i+1, p.Subject, p.Collection, subject, collectionID)
		}
		p = p.Normalize()
		if err := p.Validate(); err != nil {
			return err
		}
		norm[i] = p
	}
	return s.inTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		if err := checkSubject(ctx, tx, subject); err != nil {
			return err
		}
		if err := checkCollection(ctx, tx, collectionID); err != nil {
			return err
		}
		_, err := tx.NewDelete().Model((*ruleRow)(nil)).
			Where("ptype = ? AND v0 = ? AND v1 = ?", ptypePolicy, subject, collectionID).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("set policies: %w", translate(err))
		}
		return insertPolicies(ctx, tx, norm)
	})
}

// insertPolicies inserts valid policies, skipping those that exist.
func insertPolicies(ctx context.Context, tx bun.Tx, ps []rbac.Policy) error {
	if len(ps) == 0 {
		return nil
	}
	rows := make([]ruleRow, len(ps))
	for i, p := range ps {
		rows[i] = policyRow(p)
	}
	if _, err := tx.NewInsert().Model(&rows).ExcludeColumn("id").On("CONFLICT DO NOTHING").Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("add policies: %w", translate(err))
	}
	return nil
}
