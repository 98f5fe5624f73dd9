package realtime

import "time"

// Stats are a hub's counts at one moment, for monitoring (server/metrics
// reads them when scraped).
type Stats struct {
	// Clients are the connected clients.
	Clients int
	// Subscriptions are the subscriptions of every connected client.
	Subscriptions int
	// Queued are the events waiting in every client's queue, and
	// LongestQueue the events in the longest one (a client that reaches
	// the hub's bound is disconnected).
	Queued       int
	LongestQueue int
	// Delivered counts the deliveries (one per subscription an event
	// reaches) handed to the clients' transports since the hub started,
	// replays included.
	Delivered int64
	// Slow counts the clients disconnected with ReasonSlow since the hub
	// started.
	Slow int64
}

// Stats returns the hub's counts now. It takes each client's locks in
// turn, never all at once, so the counts of a busy hub are each exact
// for its client but not one snapshot of the whole hub.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	clients := make([]*Client, 0, len(h.clients))
	for _, c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.RUnlock()
	st := Stats{Clients: len(clients), Delivered: h.delivered.Load(), Slow: h.slow.Load()}
	for _, c := range clients {
		c.mu.Lock()
		st.Subscriptions += len(c.subs)
		c.mu.Unlock()
		n := c.queue.len()
		st.Queued += n
		st.LongestQueue = max(st.LongestQueue, n)
	}
	return st
}

// handedOver counts n deliveries handed to a client's transport, of a
// live event whose write transaction began at created (zero for a replay,
// whose lag says nothing about the hub).
func (h *Hub) handedOver(n int, created time.Time) {
	if n == 0 {
		return
	}
	h.delivered.Add(int64(n))
	if h.cfg.DeliveryLag != nil && !created.IsZero() {
		// The database's clock and this node's may differ a little: a
		// negative lag is none.
		h.cfg.DeliveryLag(max(time.Since(created), 0))
	}
}

// len returns how many events the queue holds.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
