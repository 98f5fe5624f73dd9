package rbac

import (
	"context"
	"errors"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
)

// ErrReadOnly is returned by the Casbin adapter's write methods: rules
// change through the store (rbac/postgres), inside the transaction of the
// change that needs them — dropping a collection drops its policies in the
// same transaction — and every node reloads on the store's notification.
var ErrReadOnly = errors.New("rbac: rules change through the store, not through Casbin")

// adapter is the Casbin persistence adapter an Enforcer loads its rules
// through: it reads them from a Source (rbac/postgres.Store reads them
// with Bun) once per load. It never writes.
type adapter struct {
	ctx context.Context
	src Source
}

var _ persist.Adapter = (*adapter)(nil)

// LoadPolicy implements persist.Adapter: policies as "p" rules, role
// assignments as "g" rules. Repeated rules are loaded once.
func (a *adapter) LoadPolicy(m model.Model) error {
	ps, as, err := a.src.Load(a.ctx)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := persist.LoadPolicyArray([]string{"p", p.Subject, p.Collection, p.Action, p.Condition, joinFields(p.Fields)}, m); err != nil {
			return err
		}
	}
	for _, g := range as {
		if err := persist.LoadPolicyArray([]string{"g", g.Subject, g.Role}, m); err != nil {
			return err
		}
	}
	return nil
}

// SavePolicy implements persist.Adapter; see ErrReadOnly.
func (a *adapter) SavePolicy(model.Model) error { return ErrReadOnly }

// AddPolicy implements persist.Adapter; see ErrReadOnly.
func (a *adapter) AddPolicy(string, string, []string) error { return ErrReadOnly }

// RemovePolicy implements persist.Adapter; see ErrReadOnly.
func (a *adapter) RemovePolicy(string, string, []string) error { return ErrReadOnly }

// RemoveFilteredPolicy implements persist.Adapter; see ErrReadOnly.
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return ErrReadOnly }
