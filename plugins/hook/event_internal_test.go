package hook

import "testing"

type panicEvent struct{ Event }

// TestTriggerRestoresNextAfterPanic checks that an event whose chain panicked
// keeps no link to that chain: Next does nothing and the event can be reused.
func TestTriggerRestoresNextAfterPanic(t *testing.T) {
	var h Hook[*panicEvent]
	h.BindFunc(func(e *panicEvent) error { return e.Next() })
	h.BindFunc(func(e *panicEvent) error { panic("boom") })
	e := &panicEvent{}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		_ = h.Trigger(e)
	}()
	if e.nextFunc() != nil {
		t.Fatal("event still points into the panicked chain")
	}

	h.UnbindAll()
	ran := false
	if err := h.Trigger(e, func(e *panicEvent) error { ran = true; return e.Next() }); err != nil || !ran {
		t.Fatalf("reused event: err %v, final ran %v", err, ran)
	}
	if e.nextFunc() != nil {
		t.Fatal("event keeps a next func after Trigger")
	}
}
