package hook

// Resolver is what an event passed through a chain must implement. Its
// unexported methods let a Hook install the next step of the chain, so the
// only way to implement it is to embed Event in a struct and pass a pointer
// to that struct.
type Resolver interface {
	// Next runs the rest of the chain and returns its error.
	Next() error

	nextFunc() func() error
	setNextFunc(fn func() error)
}

var _ Resolver = (*Event)(nil)

// Event is embedded by every event type. Its zero value is ready to use.
//
// An event belongs to one Trigger at a time: triggering the same event value
// from two goroutines at once is a data race. Triggering it again from inside
// a handler (a nested chain) is fine; the outer chain resumes where it was.
type Event struct {
	next func() error
}

// Next calls the next handler of the chain (or, after the last handler, the
// final funcs given to Trigger) and returns the error of the rest of the
// chain. A handler that does not call Next stops the chain there.
//
// Within one handler the rest of the chain runs at most once: a second call
// runs nothing and returns the same error as the first. Outside a Trigger,
// Next does nothing and returns nil.
func (e *Event) Next() error {
	if e.next == nil {
		return nil
	}
	return e.next()
}

func (e *Event) nextFunc() func() error { return e.next }

func (e *Event) setNextFunc(fn func() error) { e.next = fn }
