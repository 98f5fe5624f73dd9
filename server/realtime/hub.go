package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/lumbunghq/lumbung/collections"
)

// DefaultQueue is how many events a client may fall behind before the
// hub disconnects it.
const DefaultQueue = 256

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
}

// NewHub returns an empty Hub.
func NewHub(cfg HubConfig) *Hub {
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Hub{cfg: cfg, clients: map[string]*Client{}}
}

// ErrClosed is returned by Connect after Close.
var ErrClosed = errors.New("realtime: hub closed")

// Connect registers a new client acting as caller (nil: a superuser).
func (h *Hub) Connect(caller collections.Caller) (*Client, error) {
	c := &Client{
		ID:    newClientID(),
		hub:   h,
		queue: make(chan Event, h.cfg.Queue),
		done:  make(chan struct{}),
		subs:  map[string]subscription{},
	}
	c.caller = caller
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	h.clients[c.ID] = c
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
	h.mu.RLock()
	var slow []*Client
	for _, c := range h.clients {
		if !c.wants(e) {
			continue
		}
		select {
		case c.queue <- e:
		default:
			slow = append(slow, c)
		}
	}
	h.mu.RUnlock()
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

// subscription is one topic of a client: every record of a collection
// (record == "") or one record.
type subscription struct {
	collectionID string
	record       string
}

// Client is one connection's view of the hub.
type Client struct {
	// ID names the client in the connected message.
	ID  string
	hub *Hub

	queue chan Event
	done  chan struct{}

	mu     sync.Mutex
	caller collections.Caller
	subs   map[string]subscription
	reason string
}

// SetCaller changes who the client acts as (nil: a superuser).
func (c *Client) SetCaller(caller collections.Caller) {
	c.mu.Lock()
	c.caller = caller
	c.mu.Unlock()
}

// Subscribe adds (or replaces) subscription id on topic "<collection>/*"
// or "<collection>/<record id>"; the collection is named by name or id.
func (c *Client) Subscribe(id, topic string) error {
	if id == "" {
		return collections.Errorf(collections.EINVALID, "A subscription needs an id.")
	}
	name, rec, ok := strings.Cut(topic, "/")
	if !ok || name == "" || rec == "" {
		return collections.Errorf(collections.EINVALID, "The topic must be \"<collection>/*\" or \"<collection>/<id>\".")
	}
	col, ok := c.hub.cfg.Records.Collection(name)
	if !ok {
		return collections.Errorf(collections.ENOTFOUND, "Missing collection %q.", name)
	}
	if rec == "*" {
		rec = ""
	}
	c.mu.Lock()
	c.subs[id] = subscription{collectionID: col.ID, record: rec}
	c.mu.Unlock()
	return nil
}

// Unsubscribe removes subscription id and reports whether it existed.
func (c *Client) Unsubscribe(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.subs[id]
	delete(c.subs, id)
	return ok
}

// wants reports whether any subscription of c covers e.
func (c *Client) wants(e Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subs {
		if s.matches(e) {
			return true
		}
	}
	return false
}

func (s subscription) matches(e Event) bool {
	return s.collectionID == e.CollectionID && (s.record == "" || s.record == e.RecordID)
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

// Next waits for the next queued event the client may see and returns one
// Delivery per subscription that covers it. Events the client may not view
// are dropped silently.
func (c *Client) Next(ctx context.Context) ([]Delivery, error) {
	for {
		var e Event
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, ErrDisconnected
		case e = <-c.queue:
		}
		c.mu.Lock()
		caller := c.caller
		var subs []string
		for id, s := range c.subs {
			if s.matches(e) {
				subs = append(subs, id)
			}
		}
		c.mu.Unlock()
		sort.Strings(subs)
		if len(subs) == 0 {
			continue
		}
		body, err := c.hub.render(ctx, caller, e)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			c.hub.cfg.Logger.Error("realtime: render event", "seq", e.Seq, "err", err)
			continue
		}
		if body == nil {
			continue
		}
		out := make([]Delivery, len(subs))
		for i, id := range subs {
			out[i] = Delivery{Sub: id, Action: e.Action, Record: body, Seq: e.Seq}
		}
		return out, nil
	}
}
