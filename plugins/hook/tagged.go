package hook

import "strings"

// Tagger is an event that carries tags (e.g. a collection's id and name).
type Tagger interface {
	Resolver
	// Tags returns the event's tags.
	Tags() []string
}

// TaggedHook is a view of a Hook[T] whose handlers run only for events
// carrying one of the given tags; with no tags, they run for every event.
// Tags compare case-insensitively (strings.EqualFold), as collection names
// do. For an event it does not match, a tagged handler is skipped: the chain
// goes on as if it called e.Next().
//
// Handlers are stored in the underlying Hook: they share its order and ids,
// and Unbind and Length act on the whole Hook.
type TaggedHook[T Tagger] struct {
	hook *Hook[T]
	tags []string
}

// NewTaggedHook returns a view of h whose handlers run only for events
// carrying one of tags (every event when tags is empty). h must not be nil.
func NewTaggedHook[T Tagger](h *Hook[T], tags ...string) *TaggedHook[T] {
	if h == nil {
		panic("hook: NewTaggedHook with a nil Hook")
	}
	return &TaggedHook[T]{hook: h, tags: append([]string(nil), tags...)}
}

// Bind binds handler to the underlying Hook, run only for matching events,
// and returns its id; see Hook.Bind.
func (h *TaggedHook[T]) Bind(handler *Handler[T]) string {
	if handler == nil || handler.Func == nil {
		panic("hook: Bind with a nil handler or nil Func")
	}
	wrapped := *handler
	fn := handler.Func
	wrapped.Func = func(e T) error {
		if h.matches(e.Tags()) {
			return fn(e)
		}
		return e.Next()
	}
	return h.hook.Bind(&wrapped)
}

// BindFunc binds fn with priority 0 and a generated id, run only for
// matching events, and returns the id.
func (h *TaggedHook[T]) BindFunc(fn func(e T) error) string {
	return h.Bind(&Handler[T]{Func: fn})
}

// Unbind removes the handlers with the given ids from the underlying Hook.
func (h *TaggedHook[T]) Unbind(ids ...string) {
	h.hook.Unbind(ids...)
}

// Length returns the number of handlers of the underlying Hook, tagged or
// not, so a zero tells that no handler can run for any event.
func (h *TaggedHook[T]) Length() int {
	return h.hook.Length()
}

// matches reports whether one of eventTags is one of h's tags.
func (h *TaggedHook[T]) matches(eventTags []string) bool {
	if len(h.tags) == 0 {
		return true
	}
	for _, t := range eventTags {
		for _, want := range h.tags {
			if strings.EqualFold(t, want) {
				return true
			}
		}
	}
	return false
}
