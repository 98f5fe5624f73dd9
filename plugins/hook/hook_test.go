package hook_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/plugins/hook"
)

// testEvent is the event used by the tests: log records which steps ran.
type testEvent struct {
	hook.Event
	tags  []string
	value int
	log   []string
}

func (e *testEvent) Tags() []string { return e.tags }

// logging returns a handler func that logs name and calls Next.
func logging(name string) func(*testEvent) error {
	return func(e *testEvent) error {
		e.log = append(e.log, name)
		return e.Next()
	}
}

// final is a oneOff func that logs "final".
func final(e *testEvent) error {
	e.log = append(e.log, "final")
	return e.Next()
}

func TestTriggerOrder(t *testing.T) {
	type bind struct {
		id       string
		priority int
	}
	tests := []struct {
		name  string
		binds []bind
		want  []string
	}{
		{"no handlers", nil, []string{"final"}},
		{"binding order", []bind{{"a", 0}, {"b", 0}, {"c", 0}}, []string{"a", "b", "c", "final"}},
		{"priority first", []bind{{"a", 2}, {"b", -1}, {"c", 1}, {"d", 0}}, []string{"b", "d", "c", "a", "final"}},
		{"priority then binding order", []bind{{"a", 1}, {"b", 0}, {"c", 1}, {"d", 0}}, []string{"b", "d", "a", "c", "final"}},
		{"same id replaces in place", []bind{{"a", 0}, {"b", 0}, {"c", 0}, {"a", 0}}, []string{"a", "b", "c", "final"}},
		{"replaced handler keeps its binding order", []bind{{"a", 1}, {"b", 0}, {"c", 0}, {"b", 1}}, []string{"c", "a", "b", "final"}},
		{"replaced handler moves by priority", []bind{{"a", 0}, {"b", 0}, {"c", 0}, {"c", -1}}, []string{"c", "a", "b", "final"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hook.Hook[*testEvent]
			for _, b := range tt.binds {
				got := h.Bind(&hook.Handler[*testEvent]{ID: b.id, Priority: b.priority, Func: logging(b.id)})
				if got != b.id {
					t.Fatalf("Bind returned %q, want %q", got, b.id)
				}
			}
			e := &testEvent{}
			if err := h.Trigger(e, final); err != nil {
				t.Fatalf("Trigger: %v", err)
			}
			if !slices.Equal(e.log, tt.want) {
				t.Errorf("ran %v, want %v", e.log, tt.want)
			}
		})
	}
}

func TestTriggerStopAndErrors(t *testing.T) {
	errVeto := errors.New("veto")
	errFinal := errors.New("final failed")
	stop := func(err error) func(*testEvent) error {
		return func(e *testEvent) error {
			e.log = append(e.log, "stop")
			return err
		}
	}
	tests := []struct {
		name     string
		handlers []func(*testEvent) error
		oneOff   []func(*testEvent) error
		wantLog  []string
		wantErr  error
	}{
		{
			name:     "all call Next",
			handlers: []func(*testEvent) error{logging("a"), logging("b")},
			oneOff:   []func(*testEvent) error{final},
			wantLog:  []string{"a", "b", "final"},
		},
		{
			name:     "handler returns an error without Next",
			handlers: []func(*testEvent) error{logging("a"), stop(errVeto), logging("c")},
			oneOff:   []func(*testEvent) error{final},
			wantLog:  []string{"a", "stop"},
			wantErr:  errVeto,
		},
		{
			name:     "handler returns nil without Next",
			handlers: []func(*testEvent) error{stop(nil), logging("b")},
			oneOff:   []func(*testEvent) error{final},
			wantLog:  []string{"stop"},
		},
		{
			name:     "error of the final step comes back through Next",
			handlers: []func(*testEvent) error{logging("a")},
			oneOff: []func(*testEvent) error{func(e *testEvent) error {
				e.log = append(e.log, "final")
				return errFinal
			}},
			wantLog: []string{"a", "final"},
			wantErr: errFinal,
		},
		{
			name:     "oneOff funcs run in order and chain by Next",
			handlers: []func(*testEvent) error{logging("a")},
			oneOff:   []func(*testEvent) error{logging("x"), stop(errVeto), final},
			wantLog:  []string{"a", "x", "stop"},
			wantErr:  errVeto,
		},
		{
			name:     "nil oneOff funcs are skipped",
			handlers: []func(*testEvent) error{logging("a")},
			oneOff:   []func(*testEvent) error{nil, final},
			wantLog:  []string{"a", "final"},
		},
		{
			name:     "handler may swallow an error",
			handlers: []func(*testEvent) error{func(e *testEvent) error { _ = e.Next(); return nil }, stop(errVeto)},
			wantLog:  []string{"stop"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hook.Hook[*testEvent]
			for _, fn := range tt.handlers {
				h.BindFunc(fn)
			}
			e := &testEvent{}
			err := h.Trigger(e, tt.oneOff...)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Errorf("Trigger error = %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(e.log, tt.wantLog) {
				t.Errorf("ran %v, want %v", e.log, tt.wantLog)
			}
		})
	}
}

func TestHandlerChangesEventAroundNext(t *testing.T) {
	var h hook.Hook[*testEvent]
	var before, after int
	h.BindFunc(func(e *testEvent) error {
		e.value = 1
		err := e.Next()
		after = e.value
		return err
	})
	h.BindFunc(func(e *testEvent) error {
		before = e.value
		e.value *= 10
		return e.Next()
	})
	e := &testEvent{}
	err := h.Trigger(e, func(e *testEvent) error {
		e.value += 5
		return e.Next()
	})
	if err != nil {
		t.Fatal(err)
	}
	if before != 1 || after != 15 || e.value != 15 {
		t.Errorf("before=%d after=%d value=%d, want 1, 15, 15", before, after, e.value)
	}
}

func TestNextTwice(t *testing.T) {
	errLater := errors.New("later")
	tests := []struct {
		name    string
		later   func(*testEvent) error
		wantLog []string
		wantErr error
	}{
		{"rest of chain runs once", logging("b"), []string{"b", "final"}, nil},
		{"second call returns the first error", func(e *testEvent) error {
			e.log = append(e.log, "b")
			return errLater
		}, []string{"b"}, errLater},
		{"a stopped chain stays stopped", func(e *testEvent) error {
			e.log = append(e.log, "b")
			return nil
		}, []string{"b"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hook.Hook[*testEvent]
			var first, second error
			h.BindFunc(func(e *testEvent) error {
				first = e.Next()
				second = e.Next()
				return first
			})
			h.BindFunc(tt.later)
			e := &testEvent{}
			err := h.Trigger(e, final)
			if !slices.Equal(e.log, tt.wantLog) {
				t.Errorf("ran %v, want %v", e.log, tt.wantLog)
			}
			if err != tt.wantErr || first != tt.wantErr || second != tt.wantErr {
				t.Errorf("errors: Trigger %v, first Next %v, second Next %v; want %v", err, first, second, tt.wantErr)
			}
		})
	}
}

func TestNextOutsideTrigger(t *testing.T) {
	e := &testEvent{}
	if err := e.Next(); err != nil {
		t.Fatalf("Next on a fresh event: %v", err)
	}

	var h hook.Hook[*testEvent]
	var kept *testEvent
	h.BindFunc(func(e *testEvent) error { kept = e; return e.Next() })
	if err := h.Trigger(e, final); err != nil {
		t.Fatal(err)
	}
	if err := kept.Next(); err != nil {
		t.Fatalf("Next after Trigger: %v", err)
	}
	if want := []string{"final"}; !slices.Equal(e.log, want) {
		t.Errorf("ran %v, want %v", e.log, want)
	}

	// The event can be triggered again.
	if err := h.Trigger(e, final); err != nil {
		t.Fatal(err)
	}
	if want := []string{"final", "final"}; !slices.Equal(e.log, want) {
		t.Errorf("ran %v, want %v", e.log, want)
	}
}

func TestNestedTriggerOfTheSameEvent(t *testing.T) {
	var outer, inner hook.Hook[*testEvent]
	inner.BindFunc(logging("inner"))
	outer.BindFunc(func(e *testEvent) error {
		e.log = append(e.log, "a")
		if err := inner.Trigger(e, logging("inner-final")); err != nil {
			return err
		}
		return e.Next()
	})
	outer.BindFunc(logging("b"))
	e := &testEvent{}
	if err := outer.Trigger(e, final); err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "inner", "inner-final", "b", "final"}
	if !slices.Equal(e.log, want) {
		t.Errorf("ran %v, want %v", e.log, want)
	}
}

func TestBindGeneratesIDs(t *testing.T) {
	var h hook.Hook[*testEvent]
	handler := &hook.Handler[*testEvent]{Func: logging("x")}
	ids := map[string]bool{}
	for range 100 {
		id := h.Bind(handler)
		if id == "" || ids[id] {
			t.Fatalf("Bind returned %q, empty or repeated", id)
		}
		ids[id] = true
	}
	if handler.ID != "" {
		t.Errorf("Bind modified the handler passed in: ID %q", handler.ID)
	}
	if id := h.BindFunc(logging("y")); id == "" || ids[id] {
		t.Errorf("BindFunc returned %q, empty or repeated", id)
	}
	if h.Length() != 101 {
		t.Errorf("Length = %d, want 101", h.Length())
	}
}

func TestUnbind(t *testing.T) {
	tests := []struct {
		name    string
		unbind  []string
		wantLog []string
	}{
		{"nothing", nil, []string{"a", "b", "c"}},
		{"one", []string{"b"}, []string{"a", "c"}},
		{"several", []string{"c", "a"}, []string{"b"}},
		{"unknown ids are ignored", []string{"zz", "a"}, []string{"b", "c"}},
		{"all", []string{"a", "b", "c"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hook.Hook[*testEvent]
			for _, id := range []string{"a", "b", "c"} {
				h.Bind(&hook.Handler[*testEvent]{ID: id, Func: logging(id)})
			}
			h.Unbind(tt.unbind...)
			e := &testEvent{}
			if err := h.Trigger(e); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(e.log, tt.wantLog) {
				t.Errorf("ran %v, want %v", e.log, tt.wantLog)
			}
			if h.Length() != len(tt.wantLog) {
				t.Errorf("Length = %d, want %d", h.Length(), len(tt.wantLog))
			}
		})
	}
}

func TestUnbindAll(t *testing.T) {
	var h hook.Hook[*testEvent]
	if h.Length() != 0 {
		t.Fatalf("zero Hook has Length %d", h.Length())
	}
	h.BindFunc(logging("a"))
	h.BindFunc(logging("b"))
	h.UnbindAll()
	e := &testEvent{}
	if err := h.Trigger(e, final); err != nil {
		t.Fatal(err)
	}
	if h.Length() != 0 || !slices.Equal(e.log, []string{"final"}) {
		t.Errorf("after UnbindAll: Length %d, ran %v", h.Length(), e.log)
	}
	h.Bind(&hook.Handler[*testEvent]{ID: "a", Func: logging("a")})
	if h.Length() != 1 {
		t.Errorf("Bind after UnbindAll: Length %d, want 1", h.Length())
	}
}

func TestBindNilPanics(t *testing.T) {
	tests := []struct {
		name string
		bind func()
	}{
		{"nil handler", func() { new(hook.Hook[*testEvent]).Bind(nil) }},
		{"nil Func", func() { new(hook.Hook[*testEvent]).Bind(&hook.Handler[*testEvent]{ID: "a"}) }},
		{"nil BindFunc", func() { new(hook.Hook[*testEvent]).BindFunc(nil) }},
		{"nil tagged Func", func() { hook.NewTaggedHook(new(hook.Hook[*testEvent]), "t").BindFunc(nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.bind()
		})
	}
}

// TestBindDuringTrigger checks that handlers may change their own Hook while
// it runs: no deadlock, and the running Trigger keeps its snapshot.
func TestBindDuringTrigger(t *testing.T) {
	var h hook.Hook[*testEvent]
	h.Bind(&hook.Handler[*testEvent]{ID: "a", Func: func(e *testEvent) error {
		e.log = append(e.log, "a")
		h.Unbind("a", "b")
		h.Bind(&hook.Handler[*testEvent]{ID: "c", Func: logging("c")})
		_ = h.Length()
		return e.Next()
	}})
	h.Bind(&hook.Handler[*testEvent]{ID: "b", Func: logging("b")})

	done := make(chan *testEvent)
	go func() {
		e := &testEvent{}
		_ = h.Trigger(e, final)
		done <- e
	}()
	select {
	case e := <-done:
		if want := []string{"a", "b", "final"}; !slices.Equal(e.log, want) {
			t.Errorf("first Trigger ran %v, want %v", e.log, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Trigger deadlocked when a handler changed the Hook")
	}

	e := &testEvent{}
	if err := h.Trigger(e, final); err != nil {
		t.Fatal(err)
	}
	if want := []string{"c", "final"}; !slices.Equal(e.log, want) {
		t.Errorf("second Trigger ran %v, want %v", e.log, want)
	}
}

// TestConcurrentUse is meant for go test -race.
func TestConcurrentUse(t *testing.T) {
	var h hook.Hook[*testEvent]
	tagged := hook.NewTaggedHook(&h, "posts")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprintf("%d-%d", g, i)
				h.Bind(&hook.Handler[*testEvent]{ID: id, Priority: i % 3, Func: logging(id)})
				tagged.BindFunc(logging("tagged"))
				e := &testEvent{tags: []string{"posts"}}
				if err := h.Trigger(e, final); err != nil {
					t.Error(err)
					return
				}
				if len(e.log) == 0 || e.log[len(e.log)-1] != "final" {
					t.Errorf("final step did not run last: %v", e.log)
					return
				}
				_ = tagged.Length()
				h.Unbind(id)
			}
		})
	}
	wg.Wait()
	if h.Length() != 8*50 {
		t.Errorf("Length = %d, want %d tagged handlers left", h.Length(), 8*50)
	}
}
