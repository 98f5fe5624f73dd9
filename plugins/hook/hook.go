// Package hook provides typed, ordered hook chains.
//
// A Hook[T] holds handlers for events of type T (a pointer to a struct that
// embeds Event). Trigger calls the handlers in order, lowest Priority first,
// then in binding order, and after them the final funcs passed to Trigger
// (typically the real action, such as saving a record). Each handler decides
// whether the rest of the chain runs by calling e.Next(): code before Next
// runs before the rest (a before-hook that may change the event or return an
// error to veto it), code after Next runs after it and sees its result.
//
// A TaggedHook is a view of a Hook whose handlers run only for events
// carrying one of its tags, such as a collection's id or name.
package hook

import (
	"cmp"
	"crypto/rand"
	"slices"
	"sync"
)

// Handler is one bound handler.
type Handler[T Resolver] struct {
	// ID identifies the handler within its Hook; Bind generates one when empty.
	ID string
	// Priority orders handlers: lower runs first; equal priorities run in
	// binding order.
	Priority int
	// Func handles the event; it calls e.Next() to run the rest of the chain.
	Func func(T) error
}

// Hook is an ordered chain of handlers for events of type T. The zero value
// is ready to use and safe for concurrent use. A Hook must not be copied
// after first use.
type Hook[T Resolver] struct {
	mu       sync.RWMutex
	handlers []bound[T] // sorted by Priority, then seq
	seq      uint64
}

type bound[T Resolver] struct {
	handler Handler[T]
	seq     uint64 // binding order; kept when a handler is replaced
}

// Bind adds a copy of handler to the chain and returns its id, generated
// when handler.ID is empty (the handler passed in is not modified). A
// handler bound with the id of a bound handler replaces it and keeps its
// place in the binding order. Bind panics if handler or its Func is nil.
func (h *Hook[T]) Bind(handler *Handler[T]) string {
	if handler == nil || handler.Func == nil {
		panic("hook: Bind with a nil handler or nil Func")
	}
	b := bound[T]{handler: *handler}

	h.mu.Lock()
	defer h.mu.Unlock()

	if b.handler.ID == "" {
		b.handler.ID = "auto_" + rand.Text()
	}
	if i := h.indexOf(b.handler.ID); i >= 0 {
		b.seq = h.handlers[i].seq
		h.handlers[i] = b
	} else {
		h.seq++
		b.seq = h.seq
		h.handlers = append(h.handlers, b)
	}
	slices.SortFunc(h.handlers, func(x, y bound[T]) int {
		return cmp.Or(cmp.Compare(x.handler.Priority, y.handler.Priority), cmp.Compare(x.seq, y.seq))
	})
	return b.handler.ID
}

// BindFunc binds fn with priority 0 and a generated id, which it returns.
func (h *Hook[T]) BindFunc(fn func(e T) error) string {
	return h.Bind(&Handler[T]{Func: fn})
}

// Unbind removes the handlers with the given ids; unknown ids are ignored.
func (h *Hook[T]) Unbind(ids ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handlers = slices.DeleteFunc(h.handlers, func(b bound[T]) bool {
		return slices.Contains(ids, b.handler.ID)
	})
}

// UnbindAll removes every handler.
func (h *Hook[T]) UnbindAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handlers = nil
}

// Length returns the number of bound handlers.
func (h *Hook[T]) Length() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.handlers)
}

// Trigger runs the handlers in order (lower Priority first, then binding
// order), then the oneOff funcs in order (the final step, typically the real
// action). Each handler and oneOff func decides by calling e.Next() whether
// the rest runs: one that returns without calling it stops the chain, and
// the final step does not run. Trigger returns what the first step returns,
// which is normally the first error of the chain, passed back by each
// handler from its Next.
//
// Trigger runs on a snapshot of the handlers taken when it starts, so
// handlers may Bind or Unbind on the same Hook; the change applies to later
// Triggers.
func (h *Hook[T]) Trigger(event T, oneOff ...func(T) error) error {
	h.mu.RLock()
	steps := make([]func(T) error, 0, len(h.handlers)+len(oneOff))
	for _, b := range h.handlers {
		steps = append(steps, b.handler.Func)
	}
	h.mu.RUnlock()
	for _, fn := range oneOff {
		if fn != nil {
			steps = append(steps, fn)
		}
	}

	defer event.setNextFunc(event.nextFunc()) // resume an outer chain, if any
	return run(event, steps)
}

// run calls steps[0] with e.Next set to run steps[1:] at most once.
func run[T Resolver](e T, steps []func(T) error) error {
	if len(steps) == 0 {
		e.setNextFunc(nil)
		return nil
	}
	var (
		done bool
		err  error
		next func() error
	)
	next = func() error {
		if !done {
			done = true
			err = run(e, steps[1:])
			e.setNextFunc(next) // later steps replaced it; this step may call Next again
		}
		return err
	}
	e.setNextFunc(next)
	return steps[0](e)
}

// indexOf returns the index of the handler with id, or -1; h.mu must be held.
func (h *Hook[T]) indexOf(id string) int {
	return slices.IndexFunc(h.handlers, func(b bound[T]) bool { return b.handler.ID == id })
}
