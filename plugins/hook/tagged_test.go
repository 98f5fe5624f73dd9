package hook_test

import (
	"slices"
	"testing"

	"github.com/lumbunghq/lumbung/plugins/hook"
)

func TestTaggedHookMatching(t *testing.T) {
	tests := []struct {
		name      string
		viewTags  []string
		eventTags []string
		wantRun   bool
	}{
		{"no view tags match an untagged event", nil, nil, true},
		{"no view tags match a tagged event", nil, []string{"posts"}, true},
		{"tagged view skips an untagged event", []string{"posts"}, nil, false},
		{"same tag", []string{"posts"}, []string{"posts"}, true},
		{"different tag", []string{"posts"}, []string{"users"}, false},
		{"one of the view's tags", []string{"users", "posts"}, []string{"posts"}, true},
		{"one of the event's tags", []string{"posts"}, []string{"pbc_123", "posts"}, true},
		{"case-insensitive", []string{"Posts"}, []string{"pbc_1", "POSTS"}, true},
		{"exact otherwise: no prefix match", []string{"post"}, []string{"posts"}, false},
		{"exact otherwise: no trimming", []string{"posts"}, []string{" posts"}, false},
		{"empty tag matches only an empty tag", []string{""}, []string{"posts"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hook.Hook[*testEvent]
			h.BindFunc(logging("plain"))
			hook.NewTaggedHook(&h, tt.viewTags...).BindFunc(logging("tagged"))
			h.BindFunc(logging("after"))

			e := &testEvent{tags: tt.eventTags}
			if err := h.Trigger(e, final); err != nil {
				t.Fatal(err)
			}
			want := []string{"plain", "after", "final"}
			if tt.wantRun {
				want = []string{"plain", "tagged", "after", "final"}
			}
			if !slices.Equal(e.log, want) {
				t.Errorf("ran %v, want %v", e.log, want)
			}
		})
	}
}

func TestTaggedHookSharesTheHook(t *testing.T) {
	var h hook.Hook[*testEvent]
	posts := hook.NewTaggedHook(&h, "posts")
	users := hook.NewTaggedHook(&h, "users")

	handler := &hook.Handler[*testEvent]{ID: "p", Priority: 1, Func: logging("p")}
	if id := posts.Bind(handler); id != "p" {
		t.Fatalf("Bind returned %q, want p", id)
	}
	if handler.Func == nil || handler.ID != "p" {
		t.Fatal("Bind modified the handler passed in")
	}
	users.Bind(&hook.Handler[*testEvent]{ID: "u", Func: logging("u")})
	h.Bind(&hook.Handler[*testEvent]{ID: "all", Priority: -1, Func: logging("all")})

	if posts.Length() != 3 || users.Length() != 3 {
		t.Errorf("Length = %d, %d; want the Hook's 3", posts.Length(), users.Length())
	}

	e := &testEvent{tags: []string{"posts"}}
	if err := h.Trigger(e, final); err != nil {
		t.Fatal(err)
	}
	if want := []string{"all", "p", "final"}; !slices.Equal(e.log, want) {
		t.Errorf("ran %v, want %v", e.log, want)
	}

	// Rebinding the same id through the view replaces the handler.
	posts.Bind(&hook.Handler[*testEvent]{ID: "p", Priority: 1, Func: logging("p2")})
	posts.Unbind("all")
	e = &testEvent{tags: []string{"posts"}}
	if err := h.Trigger(e, final); err != nil {
		t.Fatal(err)
	}
	if want := []string{"p2", "final"}; !slices.Equal(e.log, want) {
		t.Errorf("ran %v, want %v", e.log, want)
	}
	if h.Length() != 2 {
		t.Errorf("Length = %d, want 2", h.Length())
	}
}

func TestTaggedHookCopiesTags(t *testing.T) {
	var h hook.Hook[*testEvent]
	tags := []string{"posts"}
	view := hook.NewTaggedHook(&h, tags...)
	tags[0] = "users"
	view.BindFunc(logging("tagged"))
	e := &testEvent{tags: []string{"posts"}}
	if err := h.Trigger(e); err != nil {
		t.Fatal(err)
	}
	if want := []string{"tagged"}; !slices.Equal(e.log, want) {
		t.Errorf("ran %v, want %v", e.log, want)
	}
}
