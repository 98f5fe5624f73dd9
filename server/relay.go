package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/api"
)

// How a node waits for the answer to a relayed realtime request: at most
// relayWait, reading the answer when the node's listener announces one
// and every relayPoll besides; at most maxRelays requests at a time, so
// that requests naming clients nobody holds cannot pile up.
const (
	relayWait = 3 * time.Second
	relayPoll = 250 * time.Millisecond
	maxRelays = 64
)

// relay is the api.RealtimeRelay of a node: requests go through
// PostgreSQL (postgres.RealtimeRequests); the node's listener calls serve
// when one is sent and answered when one is answered.
type relay struct {
	store *postgres.RealtimeRequests
	slots chan struct{} // a token per request being relayed

	mu      sync.RWMutex
	holds   func(clientID string) bool
	handle  func(ctx context.Context, clientID, kind string, request []byte) []byte
	answers chan struct{} // closed and replaced when an answer is announced
}

var _ api.RealtimeRelay = (*relay)(nil)

func newRelay(db *postgres.DB) *relay {
	return &relay{store: postgres.NewRealtimeRequests(db), slots: make(chan struct{}, maxRelays), answers: make(chan struct{})}
}

// Relay implements api.RealtimeRelay: it stores the request, then reads
// its answer when one is announced, until there is one.
func (r *relay) Relay(ctx context.Context, clientID, kind string, request []byte) ([]byte, error) {
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	default:
		return nil, api.ErrNotRelayed
	}
	id, err := r.store.Send(ctx, clientID, kind, request)
	if err != nil {
		return nil, err
	}
	defer r.store.Delete(context.WithoutCancel(ctx), id) //nolint:errcheck // pruned later otherwise
	deadline := time.NewTimer(relayWait)
	defer deadline.Stop()
	for {
		r.mu.RLock()
		announced := r.answers
		r.mu.RUnlock()
		answer, err := r.store.Answer(ctx, id)
		if !errors.Is(err, postgres.ErrNoAnswer) {
			return answer, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, api.ErrNotRelayed
		case <-announced:
		case <-time.After(relayPoll):
		}
	}
}

// Serve implements api.RealtimeRelay.
func (r *relay) Serve(holds func(string) bool, handle func(ctx context.Context, clientID, kind string, request []byte) []byte) {
	r.mu.Lock()
	r.holds, r.handle = holds, handle
	r.mu.Unlock()
}

// answered wakes the requests waiting for an answer: the listener calls it
// for every notification on postgres.RealtimeAnswersChannel.
func (r *relay) answered(context.Context) error {
	r.mu.Lock()
	close(r.answers)
	r.answers = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// serve answers the open requests for this node's clients: the listener
// calls it for every notification on postgres.RealtimeChannel and after
// every reconnection.
func (r *relay) serve(ctx context.Context) error {
	r.mu.RLock()
	holds, handle := r.holds, r.handle
	r.mu.RUnlock()
	if handle == nil {
		return nil
	}
	open, err := r.store.Open(ctx)
	if err != nil {
		return err
	}
	for _, q := range open {
		if !holds(q.ClientID) {
			continue
		}
		ok, err := r.store.Claim(ctx, q.ID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := r.store.Reply(ctx, q.ID, handle(ctx, q.ClientID, q.Kind, q.Request)); err != nil {
			return err
		}
	}
	return nil
}
