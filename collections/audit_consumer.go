package collections

import (
	"context"
	"log/slog"
	"time"
)

// Auditor fills the audit log from the change log: a durable consumer
// with its own position in the database, so writes by plain SQL, by
// cascades and by other nodes are audited too, and with many nodes each
// entry is written once (the store claims the position per batch). Every
// node runs one; the one that finds the position free does the work.
type Auditor struct {
	store  AuditStore
	schema Lookup
	log    *slog.Logger
	wake   chan struct{}
	batch  int
	every  time.Duration
	pause  time.Duration
}

// NewAuditor returns the audit consumer of store, reading collection
// definitions from schema (the service).
func NewAuditor(store AuditStore, schema Lookup, log *slog.Logger) *Auditor {
	return &Auditor{store: store, schema: schema, log: log, wake: make(chan struct{}, 1), batch: 500, every: time.Second, pause: 200 * time.Millisecond}
}

// Wake makes Run look for new changes now (a node announced a commit).
func (a *Auditor) Wake() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Start gives the audit its position in the change log, if it has none
// yet: the changes made after it are audited.
func (a *Auditor) Start(ctx context.Context) error { return a.store.StartAudit(ctx) }

// Run audits the changes of the log until ctx ends: when woken (at most
// every 200 ms), else every second (a missed announcement delays entries,
// never loses them).
func (a *Auditor) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := a.Start(ctx); err == nil {
			break
		} else if ctx.Err() == nil {
			a.log.Error("audit", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(a.every):
		}
	}
	for {
		n, err := a.Step(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Error("audit", "err", err)
		}
		if err == nil && n == a.batch {
			continue // more are waiting
		}
		// The audit is not in a hurry: under a stream of writes, a pause
		// between steps makes each step audit many changes at once.
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.pause):
		}
		select {
		case <-ctx.Done():
			return
		case <-a.wake:
		case <-time.After(a.every):
		}
	}
}

// Step audits one batch of the changes after the audit's position and
// returns how many it handled: 0 when none are new or another node is at
// work.
func (a *Auditor) Step(ctx context.Context) (int, error) {
	return a.store.ConsumeAudit(ctx, a.batch, func(evs []Event) []AuditEntry {
		out := make([]AuditEntry, 0, len(evs))
		for _, e := range evs {
			c, _ := a.schema.Collection(e.CollectionID)
			out = append(out, AuditEntryOf(e, c))
		}
		return out
	})
}
