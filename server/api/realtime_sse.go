package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/realtime"
)

// The PocketBase realtime transport: GET /api/realtime without an Upgrade
// header opens a Server-Sent Events stream whose first event, PB_CONNECT,
// names the client; POST /api/realtime {clientId, subscriptions} sets the
// client's topics and who it acts as. Events arrive named by the topic as
// subscribed, with data {"action", "record"}.

// sseKeepAlive is how often an idle stream gets a comment line, so that
// proxies keep it open and a vanished client is noticed.
const sseKeepAlive = 25 * time.Second

// Limits of one POST /api/realtime.
const (
	sseMaxSubscriptions = 1000
	sseMaxTopicLen      = 2500
)

// sseClient is one open event stream.
type sseClient struct {
	hub    *realtime.Hub
	client *realtime.Client

	mu sync.Mutex
	// authKey names the user the client acts as ("" for a guest); once set,
	// the client may not be taken over by another user.
	authKey string
	// topics are the current subscriptions (the subscription ids in the hub).
	topics map[string]bool
	// token proves who the client acts as; unwatch stops its checks on
	// changes of its record.
	token   string
	unwatch func()
	// registry is where the stream is listed by client id until it ends.
	registry *sync.Map
	// ip is the client address that opened the stream; messages is what
	// the server sends it on message topics (realtime_messages.go).
	ip       string
	messages chan sseMessage
}

func sseAuthKey(id *auth.Identity) string {
	if id == nil || id.Record == nil {
		return ""
	}
	return auth.UserKey(id.Record)
}

// realtimeSSE opens an event stream on the hub.
func (h *handlers) realtimeSSE(c *fiber.Ctx) error {
	id := identity(c)
	client, err := h.Realtime.Connect(auth.CallerFor(id, h.Decider))
	if err != nil {
		return fiber.NewError(fiber.StatusServiceUnavailable, "The server is shutting down.")
	}
	s := &sseClient{hub: h.Realtime, client: client, authKey: sseAuthKey(id), topics: map[string]bool{}, registry: &h.streams,
		ip: h.clientIP(c), messages: make(chan sseMessage, sseMessageQueue)}
	h.streams.Store(client.ID, s)

	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		s.stream(w, conn)
	})
	return nil
}

// stream writes the client's events to w until the client is closed (by
// the hub: too slow or shutting down) or a write fails.
func (s *sseClient) stream(w *bufio.Writer, conn net.Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		s.registry.Delete(s.client.ID)
		s.client.Close("client closed")
		s.mu.Lock()
		s.stopWatching()
		s.mu.Unlock()
	}()

	write := func(event string, data []byte) bool {
		if conn != nil {
			conn.SetWriteDeadline(time.Now().Add(realtimeWriteTimeout)) //nolint:errcheck // a failed write reports it
		}
		if event == "" {
			w.WriteString(":\n\n") //nolint:errcheck // Flush reports it
		} else {
			fmt.Fprintf(w, "id:%s\nevent:%s\ndata:%s\n\n", s.client.ID, event, data)
		}
		return w.Flush() == nil
	}

	connect, _ := json.Marshal(map[string]string{"clientId": s.client.ID})
	if !write("PB_CONNECT", connect) {
		return
	}

	deliveries := make(chan []realtime.Delivery)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			ds, err := s.client.Next(ctx)
			if err != nil {
				return
			}
			select {
			case deliveries <- ds:
			case <-ctx.Done():
				return
			}
		}
	}()

	tick := time.NewTicker(sseKeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-s.client.Done():
			return
		case <-tick.C:
			if !write("", nil) {
				return
			}
		case m := <-s.messages:
			if !write(m.topic, m.data) {
				return
			}
		case ds := <-deliveries:
			for _, d := range ds {
				data, err := json.Marshal(struct {
					Action string          `json:"action"`
					Record json.RawMessage `json:"record"`
				}{d.Action, d.Record})
				if err != nil {
					continue
				}
				if !write(d.Sub, data) {
					return
				}
			}
		}
	}
}

// watch checks token again whenever the record of id changes (on any
// node): the stream then acts as the record as it is now, or as a guest
// once the token no longer holds (a new password or token key, a deleted
// record). s.mu is held.
func (s *sseClient) watch(h *handlers, token string, id *auth.Identity) {
	s.stopWatching()
	s.token = token
	if id == nil {
		return
	}
	s.unwatch = h.Auth.Watch(id.Record.Collection.ID, id.Record.ID(), func() {
		cur, checked := h.recheckToken(token)
		if !checked {
			return // it keeps its identity
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.unwatch == nil || s.token != token {
			return // the stream ended or was given another token meanwhile
		}
		s.client.SetCaller(auth.CallerFor(cur, h.Decider))
	})
}

func (s *sseClient) stopWatching() {
	if s.unwatch != nil {
		s.unwatch()
		s.unwatch = nil
	}
}

// realtimeSubscribe replaces the subscriptions of an open stream and makes
// it act as the caller of this request.
func (h *handlers) realtimeSubscribe(c *fiber.Ctx) error {
	if h.Realtime == nil {
		return fiber.ErrNotFound
	}
	var body struct {
		ClientID      string   `json:"clientId"`
		Subscriptions []string `json:"subscriptions"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return collections.Errorf(collections.EINVALID, "Failed to read the request body.")
	}
	if body.ClientID == "" {
		return collections.Errorf(collections.EINVALID, "The clientId is required.")
	}
	if len(body.Subscriptions) > sseMaxSubscriptions {
		return collections.Errorf(collections.EINVALID, "At most %d subscriptions are allowed.", sseMaxSubscriptions)
	}
	authorization := strings.Clone(c.Get(fiber.HeaderAuthorization))
	s := h.stream(body.ClientID)
	if s == nil {
		// Behind a load balancer the stream may be on another node.
		err := h.relay(c.UserContext(), body.ClientID, relaySubscribe, relayedSubscribe{Authorization: authorization, Subscriptions: body.Subscriptions})
		if err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
	if err := h.setSubscriptions(c.UserContext(), s, identity(c), authorization, body.Subscriptions); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// stream returns the event stream of client id on this node, or nil.
func (h *handlers) stream(clientID string) *sseClient {
	v, ok := h.streams.Load(clientID)
	s, _ := v.(*sseClient)
	if !ok || s.hub != h.Realtime {
		return nil
	}
	return s
}

// setSubscriptions replaces the subscriptions of stream s with topics and
// makes it act as id, who sent authorization.
func (h *handlers) setSubscriptions(ctx context.Context, s *sseClient, id *auth.Identity, authorization string, subscriptions []string) error {
	key := sseAuthKey(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authKey != "" && s.authKey != key {
		return collections.Errorf(collections.EFORBIDDEN, "The current and the previous request authorization don't match.")
	}
	s.authKey = key
	s.client.SetCaller(auth.CallerFor(id, h.Decider))
	s.watch(h, authorization, id)

	// Subscribe the new topics first, then drop the old ones, so a topic
	// kept across calls never misses an event.
	topics := map[string]bool{}
	for _, t := range subscriptions {
		if t == "" || len(t) > sseMaxTopicLen || strings.ContainsAny(t, "\r\n") {
			// Not a valid SSE event name; PocketBase would never match it either.
			continue
		}
		if isMessageTopic(t) {
			topics[t] = true
			continue
		}
		opts, err := sseSubscription(t)
		withOptions := err != nil || opts.HasOptions()
		if err == nil {
			_, err = s.client.SubscribeWith(ctx, opts)
		}
		var e *collections.Error
		switch {
		case err == nil:
		case errors.As(err, &e) && (e.Code != collections.EINVALID || !withOptions):
			// An unknown collection or a malformed topic matches nothing, as
			// in PocketBase, which accepts any topic string.
			continue
		default:
			// Options that do not apply are the caller's mistake: say so,
			// and leave the subscriptions as they were.
			for added := range topics {
				if !s.topics[added] {
					s.client.Unsubscribe(added)
				}
			}
			if e != nil {
				return collections.Errorf(e.Code, "Subscription to %q: %s", opts.Topic, e.Message)
			}
			return err
		}
		topics[t] = true
	}
	for t := range s.topics {
		if !topics[t] {
			s.client.Unsubscribe(t)
		}
	}
	s.topics = topics
	return nil
}

// sseSubscription reads a topic of the pocketbase SDK:
// "<collection>/<* or id>", optionally followed by "?options=" and the
// URL-encoded JSON {"query": {"filter", "fields", "expand", ...},
// "headers": {...}}. The topic itself names the subscription; the query and
// headers are what rules read as @request.query and @request.headers.
func sseSubscription(topic string) (realtime.SubscribeOptions, error) {
	opts := realtime.SubscribeOptions{ID: topic, Topic: topic}
	base, rawQuery, ok := strings.Cut(topic, "?")
	if !ok {
		return opts, nil
	}
	opts.Topic = base
	q, err := url.ParseQuery(rawQuery)
	if err != nil || q.Get("options") == "" {
		return opts, nil
	}
	var options struct {
		Query   map[string]any `json:"query"`
		Headers map[string]any `json:"headers"`
	}
	if err := json.Unmarshal([]byte(q.Get("options")), &options); err != nil {
		return opts, collections.Errorf(collections.EINVALID, "The options are not valid JSON.")
	}
	opts.Query, opts.Headers = optionValues(options.Query), optionValues(options.Headers)
	for key, dst := range map[string]*string{"filter": &opts.Filter, "fields": &opts.Fields, "expand": &opts.Expand} {
		switch v := options.Query[key].(type) {
		case nil:
		case string:
			*dst = v
		default:
			return opts, collections.Errorf(collections.EINVALID, "The %s option must be a string.", key)
		}
	}
	return opts, nil
}
