package hook_test

import (
	"errors"
	"fmt"

	"github.com/lumbunghq/lumbung/plugins/hook"
)

// RecordCreateEvent is the event of a record about to be created.
type RecordCreateEvent struct {
	hook.Event
	Collection string
	Title      string
}

// Tags lets handlers be bound to one collection.
func (e *RecordCreateEvent) Tags() []string { return []string{e.Collection} }

func Example() {
	var onCreate hook.Hook[*RecordCreateEvent]

	// A handler that wraps the rest of the chain, like a logging middleware.
	onCreate.Bind(&hook.Handler[*RecordCreateEvent]{
		ID:       "log",
		Priority: -10, // runs first
		Func: func(e *RecordCreateEvent) error {
			fmt.Printf("creating %q in %s\n", e.Title, e.Collection)
			err := e.Next()
			fmt.Printf("done: err=%v\n", err)
			return err
		},
	})

	// A before-create handler for "posts" only: it vetoes an empty title and
	// normalises the others.
	hook.NewTaggedHook(&onCreate, "posts").BindFunc(func(e *RecordCreateEvent) error {
		if e.Title == "" {
			return errors.New("a post needs a title")
		}
		e.Title += "!"
		return e.Next()
	})

	create := func(e *RecordCreateEvent) error { // the real action
		fmt.Printf("saved %q\n", e.Title)
		return e.Next()
	}

	_ = onCreate.Trigger(&RecordCreateEvent{Collection: "posts", Title: "Hello"}, create)
	_ = onCreate.Trigger(&RecordCreateEvent{Collection: "posts"}, create)
	_ = onCreate.Trigger(&RecordCreateEvent{Collection: "notes"}, create)

	// Output:
	// creating "Hello" in posts
	// saved "Hello!"
	// done: err=<nil>
	// creating "" in posts
	// done: err=a post needs a title
	// creating "" in notes
	// saved ""
	// done: err=<nil>
}
