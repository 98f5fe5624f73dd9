package rbac

import (
	"context"
	"errors"
	"testing"

	"github.com/casbin/casbin/v2/model"
)

// TestAdapterLoadsAndNeverWrites: the Casbin adapter loads policies and
// assignments from its Source, once each, and refuses every write.
func TestAdapterLoadsAndNeverWrites(t *testing.T) {
	p := Policy{Subject: "editor", Collection: "posts", Action: "update", Condition: "owner = @request.auth.id", Fields: []string{"title"}}
	a := &adapter{ctx: context.Background(), src: SourceFunc(func(context.Context) ([]Policy, []Assignment, error) {
		return []Policy{p, p}, []Assignment{{Subject: "c:1", Role: "editor"}}, nil
	})}
	m, err := model.NewModelFromString(Model)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.LoadPolicy(m); err != nil {
		t.Fatal(err)
	}
	if got := m["p"]["p"].Policy; len(got) != 1 || got[0][0] != "editor" || got[0][3] != p.Condition || got[0][4] != "title" {
		t.Errorf("policies %v", got)
	}
	if got := m["g"]["g"].Policy; len(got) != 1 || got[0][0] != "c:1" || got[0][1] != "editor" {
		t.Errorf("assignments %v", got)
	}
	for name, err := range map[string]error{
		"SavePolicy":           a.SavePolicy(m),
		"AddPolicy":            a.AddPolicy("p", "p", []string{"x"}),
		"RemovePolicy":         a.RemovePolicy("p", "p", []string{"x"}),
		"RemoveFilteredPolicy": a.RemoveFilteredPolicy("p", "p", 0, "x"),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: %v, want ErrReadOnly", name, err)
		}
	}
}
