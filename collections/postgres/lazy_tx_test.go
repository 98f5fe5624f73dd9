package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// A record transaction begins with its first statement (its BEGIN rides
// on a write's round trip), yet keeps a transaction's promises: all of
// its writes or none, a failed statement whose error was ignored fails
// the commit, and its connection returns to the pool whatever happens.
func TestTransactionBoundaries(t *testing.T) {
	svc, db := MustBlog(t)
	ctx := context.Background()
	authors, _ := svc.Collection("authors")
	create := func(recs *collections.Records, id string) error {
		_, err := recs.Create(ctx, authors, map[string]any{"id": id, "name": id})
		return err
	}
	for _, c := range []struct {
		name    string
		fn      func(*collections.Records) error
		fails   bool
		created []string
	}{
		{"nothing written", func(*collections.Records) error { return nil }, false, nil},
		{"nothing written, then an error", func(*collections.Records) error { return fmt.Errorf("refused") }, true, nil},
		{"two writes", func(recs *collections.Records) error {
			if err := create(recs, "keptauthor00001"); err != nil {
				return err
			}
			return create(recs, "keptauthor00002")
		}, false, []string{"keptauthor00001", "keptauthor00002"}},
		{"a write, then an error", func(recs *collections.Records) error {
			if err := create(recs, "goneauthor00001"); err != nil {
				return err
			}
			return fmt.Errorf("refused")
		}, true, nil},
		{"a read first", func(recs *collections.Records) error {
			if _, err := recs.Get(ctx, authors, "keptauthor00001"); err != nil {
				return err
			}
			if err := create(recs, "goneauthor00002"); err != nil {
				return err
			}
			return fmt.Errorf("refused")
		}, true, nil},
		{"a failed write whose error is ignored", func(recs *collections.Records) error {
			if err := create(recs, "goneauthor00003"); err != nil {
				return err
			}
			if err := create(recs, "keptauthor00001"); err == nil { // a duplicate id
				return fmt.Errorf("the duplicate was written")
			}
			return nil
		}, true, nil},
		{"a panic", func(recs *collections.Records) error {
			if err := create(recs, "goneauthor00004"); err != nil {
				return err
			}
			panic("a bug")
		}, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := func() (err error) {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic: %v", p)
					}
				}()
				return svc.InTx(ctx, c.fn)
			}()
			if (err != nil) != c.fails {
				t.Errorf("error %v, want one: %v", err, c.fails)
			}
			// The announcer (of committed writes) may hold one a moment.
			deadline := time.Now().Add(10 * time.Second) // a hang guard, not a speed limit
			for db.Pool.Stat().AcquiredConns() != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("%d connections still held", db.Pool.Stat().AcquiredConns())
				}
				time.Sleep(time.Millisecond)
			}
			for _, id := range c.created {
				if _, err := svc.SystemRecords().Get(ctx, authors, id); err != nil {
					t.Errorf("%s: %v", id, err)
				}
			}
		})
	}
	var n int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM authors WHERE id LIKE 'gone%'").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d records of failed transactions kept (%v)", n, err)
	}
}
