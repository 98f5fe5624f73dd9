package realtime

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// DefaultQueue is how many events a client may fall behind before the
// hub disconnects it. It is well above the tailer's batch, so that a burst
// of changes committed together (an import, a batch request) does not cut
// off clients that keep up; a queue only takes memory while it holds
// events.
const DefaultQueue = 4096

// Reasons a client is disconnected.
const (
	ReasonSlow      = "too slow: the client fell too far behind"
	ReasonGoingAway = "going away: the server is shutting down"
)

// HubConfig configures a Hub.
type HubConfig struct {
	// Records loads records as each subscriber may see them.
	Records *collections.Service
	// Queue is the bound of each client's queue (DefaultQueue).
	Queue int
	// Logger receives unexpected errors. Default slog.Default().
	Logger *slog.Logger
	// Log is the change log subscriptions resume from (postgres.Events);
	// nil: subscriptions cannot ask for past events (ErrNoLog).
	Log Source
	// ReplayBatch is how many events one read of a resumed subscription
	// takes from Log. Default 500.
	ReplayBatch int
	// Hooks are the realtime hook points (nil: none bound).
	Hooks *Hooks
	// DeliveryLag, when set, is told for each live event handed to a
	// client's transport how long ago its write transaction began (see
	// Stats for the counts). It must not block.
	DeliveryLag func(time.Duration)
}

// Hub fans committed record changes out to the clients of one node.
// Publish never blocks: each client has a bounded queue, and a client whose
// queue is full is disconnected. Whether a subscriber may see an event is
// decided on the client's own goroutine (Client.Next), never on the hub's.
type Hub struct {
	cfg HubConfig

	mu      sync.RWMutex
	clients map[string]*Client
	closed  bool

	// conditions caches parsed access conditions by source (filter.Expr).
	conditions sync.Map

	// delivered and slow count deliveries and clients disconnected with
	// ReasonSlow (see Stats).
	delivered atomic.Int64
	slow      atomic.Int64
}

// NewHub returns an empty Hub.
func NewHub(cfg HubConfig) *Hub {
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ReplayBatch <= 0 {
		cfg.ReplayBatch = 500
	}
	if cfg.Hooks == nil {
		cfg.Hooks = &Hooks{}
	}
	return &Hub{cfg: cfg, clients: map[string]*Client{}}
}

// ErrClosed is returned by Connect after Close.
var ErrClosed = errors.New("realtime: hub closed")

// Connect registers a new client acting as caller, once the
// OnRealtimeConnect hooks let it.
func (h *Hub) Connect(caller collections.Caller) (*Client, error) {
	c := &Client{
		ID:    newClientID(),
		hub:   h,
		queue: newQueue(h.cfg.Queue),
		done:  make(chan struct{}),
		kick:  make(chan struct{}, 1),
		subs:  map[string]*subscription{},
	}
	c.caller = caller
	err := h.cfg.Hooks.connect.Trigger(&ConnectEvent{Client: c, Caller: caller}, func(*ConnectEvent) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.closed {
			return ErrClosed
		}
		h.clients[c.ID] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Len returns how many clients are connected.
func (h *Hub) Len() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

// Publish queues e for every client subscribed to its collection or
// record. A client whose queue is full is disconnected with ReasonSlow.
func (h *Hub) Publish(e Event) {
	p := &published{Event: e}
	h.mu.RLock()
	var slow []*Client
	for _, c := range h.clients {
		want, wake := c.wants(&p.Event)
		if !want {
			continue
		}
		if !c.queue.push(p) {
			slow = append(slow, c)
			continue
		}
		if wake != nil {
			wake()
		}
	}
	h.mu.RUnlock()
	h.slow.Add(int64(len(slow)))
	for _, c := range slow {
		c.Close(ReasonSlow)
	}
}

// Close disconnects every client with reason and refuses new ones.
func (h *Hub) Close(reason string) {
	h.mu.Lock()
	h.closed = true
	clients := make([]*Client, 0, len(h.clients))
	for _, c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.Unlock()
	for _, c := range clients {
		c.Close(reason)
	}
}

func (h *Hub) remove(c *Client) {
	h.mu.Lock()
	delete(h.clients, c.ID)
	h.mu.Unlock()
}

func newClientID() string {
	b := make([]byte, 15)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return hex.EncodeToString(b)
}

// Client is one connection's view of the hub.
type Client struct {
	// ID names the client in the connected message.
	ID  string
	hub *Hub

	queue *queue
	done  chan struct{}
	kick  chan struct{} // a resumed subscription may start replaying
	// held are live events taken from queue while a replay was pending,
	// oldest first; only Next uses it.
	held []*published

	mu     sync.Mutex
	caller collections.Caller
	subs   map[string]*subscription
	reason string
	wake   func() // see SetWake
	// enterLeave: updates that make a record start or stop matching a
	// subscription are delivered as "enter" or "leave" (SetEnterLeave).
	enterLeave bool
}

// SetEnterLeave turns on (or off) the "enter" and "leave" actions: an
// update after which a record starts to match a subscription (the
// client's view access and the subscription's filter) is delivered as
// "enter" with the new record, one after which it stops matching as
// "leave" with the old record as the client could see it. When either side
// can only be judged in the database the update is delivered as today.
// Off by default: the client gets "create", "update" and "delete" only.
func (c *Client) SetEnterLeave(on bool) {
	c.mu.Lock()
	c.enterLeave = on
	c.mu.Unlock()
}

// SetWake sets fn to be called whenever the client may have something new
// for TryNext: a queued event, a replay that may start, a changed
// subscription, a disconnection. fn must not block; it runs on the hub's
// and the client's goroutines.
func (c *Client) SetWake(fn func()) {
	c.mu.Lock()
	c.wake = fn
	c.mu.Unlock()
}

func (c *Client) wakeUp() {
	c.mu.Lock()
	fn := c.wake
	c.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// SetCaller changes who the client acts as (nil: a superuser).
func (c *Client) SetCaller(caller collections.Caller) {
	c.mu.Lock()
	c.caller = caller
	c.mu.Unlock()
}

// Done is closed when the client is disconnected.
func (c *Client) Done() <-chan struct{} { return c.done }

// Reason tells why the client was disconnected ("" while connected).
func (c *Client) Reason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Close disconnects the client with reason; later calls do nothing.
func (c *Client) Close(reason string) {
	c.mu.Lock()
	if c.reason != "" {
		c.mu.Unlock()
		return
	}
	c.reason = reason
	close(c.done)
	c.mu.Unlock()
	c.hub.remove(c)
	c.wakeUp()
}

// Delivery is one event as one subscription of a client sees it.
type Delivery struct {
	Sub    string
	Action string
	// Record is the record's JSON as the REST API would return it to the
	// client.
	Record []byte
	Seq    int64
}

// ErrDisconnected is returned by Next once the client was closed.
var ErrDisconnected = errors.New("realtime: client disconnected")

// queue is a bounded FIFO of events that holds memory only while it holds
// events: an idle client costs a few words, not its whole bound.
type queue struct {
	mu    sync.Mutex
	items []*published
	max   int
	// ready is signalled (without blocking) by every push.
	ready chan struct{}
}

func newQueue(max int) *queue {
	return &queue{max: max, ready: make(chan struct{}, 1)}
}

// push appends p and reports false, leaving the queue as it is, when the
// queue is full.
func (q *queue) push(p *published) bool {
	q.mu.Lock()
	if len(q.items) >= q.max {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, p)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// pop removes and returns the oldest event, nil when there is none.
func (q *queue) pop() *published {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil
	}
	p := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	if len(q.items) == 0 {
		q.items = nil // let an emptied backlog go
	}
	return p
}
