package api

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/websocket/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/realtime"
)

func (h *handlers) realtimeRoutes(r fiber.Router) {
	// Idle connections hold no write buffer: it is taken from the pool for
	// each message.
	pool := &sync.Pool{}
	r.Get("/realtime", h.realtimeUpgrade, websocket.New(h.realtimeConn, websocket.Config{WriteBufferPool: pool}))
	r.Post("/realtime", h.realtimeSubscribe)
}

// realtimeWriteTimeout bounds one write to a realtime client.
const realtimeWriteTimeout = 10 * time.Second

// realtimeMessage is a message from a realtime client.
type realtimeMessage struct {
	Type   string          `json:"type"`
	ID     string          `json:"id"`
	Token  string          `json:"token"`
	Topic  string          `json:"topic"`
	Filter json.RawMessage `json:"filter"`
	Fields json.RawMessage `json:"fields"`
	Expand json.RawMessage `json:"expand"`
	Since  json.RawMessage `json:"since"`
}

// appendEvent renders the event message of d, {"type":"event","sub",
// "action","record","seq"}, copying the record's JSON as it is.
func appendEvent(b []byte, d realtime.Delivery) ([]byte, error) {
	sub, err := json.Marshal(d.Sub)
	if err != nil {
		return nil, err
	}
	b = append(b, `{"type":"event","sub":`...)
	b = append(b, sub...)
	b = append(b, `,"action":"`...)
	b = append(b, d.Action...) // one of a few fixed words
	b = append(b, `","record":`...)
	b = append(b, d.Record...)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, d.Seq, 10)
	return append(b, '}'), nil
}

// realtimeError is an error message to a realtime client.
type realtimeError struct {
	Type    string `json:"type"`
	ID      string `json:"id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (h *handlers) realtimeUpgrade(c *fiber.Ctx) error {
	if h.Realtime == nil {
		return fiber.ErrNotFound
	}
	if !websocket.IsWebSocketUpgrade(c) {
		return h.realtimeSSE(c)
	}
	return c.Next()
}

// wsConn serializes writes to one websocket.
type wsConn struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

func (w *wsConn) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.write(b)
}

func (w *wsConn) write(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conn.SetWriteDeadline(time.Now().Add(realtimeWriteTimeout)) //nolint:errcheck // a failed write reports it
	return w.conn.WriteMessage(websocket.TextMessage, b)
}

// realtimeConn speaks the realtime protocol on one upgraded connection:
// it reads client messages here and writes events from a second goroutine.
func (h *handlers) realtimeConn(conn *websocket.Conn) {
	id, _ := conn.Locals(identityKey).(*auth.Identity)
	client, err := h.Realtime.Connect(auth.CallerFor(id, h.Decider))
	if err != nil {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, realtime.ReasonGoingAway), time.Now().Add(time.Second)) //nolint:errcheck // closing anyway
		conn.Close()
		return
	}
	client.SetEnterLeave(true)
	// The connection is recycled when this function returns, so both
	// goroutines below must have finished by then (deferred calls run last
	// registered first: cancel, close the client, wait).
	var wg sync.WaitGroup
	defer wg.Wait()
	defer client.Close("client closed")
	ws := &wsConn{conn: conn}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Closing: a disconnected client gets a close frame with the reason,
	// which also ends a write blocked on a client that does not read.
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			return
		case <-client.Done():
		}
		code := websocket.CloseGoingAway
		if client.Reason() == realtime.ReasonSlow {
			code = websocket.ClosePolicyViolation
		}
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, client.Reason()), time.Now().Add(time.Second)) //nolint:errcheck // closing anyway
		conn.Close()
	}()

	if err := ws.send(map[string]string{"type": "connected", "clientId": client.ID}); err != nil {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		var b []byte
		for {
			ds, err := client.Next(ctx)
			if err != nil {
				return
			}
			for _, d := range ds {
				if b, err = appendEvent(b[:0], d); err == nil {
					err = ws.write(b)
				}
				if err != nil {
					client.Close("write failed")
					return
				}
			}
		}
	}()

	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var m realtimeMessage
		if err := json.Unmarshal(b, &m); err != nil {
			ws.send(realtimeError{Type: "error", Code: "invalid", Message: "The message is not valid JSON."}) //nolint:errcheck // the read loop notices a broken connection
			continue
		}
		reply, after := h.realtimeHandle(ctx, client, &m)
		if reply != nil {
			if err := ws.send(reply); err != nil {
				return
			}
		}
		if after != nil {
			after()
		}
	}
}

// realtimeHandle answers one client message; after, if not nil, runs once
// the reply was sent.
func (h *handlers) realtimeHandle(ctx context.Context, client *realtime.Client, m *realtimeMessage) (reply any, after func()) {
	reply = h.realtimeReply(ctx, client, m)
	if m.Type == "subscribe" && m.Since != nil {
		if r, ok := reply.(map[string]string); ok && r["type"] == "ack" {
			// The replay of a resumed subscription follows its ack.
			after = func() { client.Start(m.ID) }
		}
	}
	return reply, after
}

// realtimeReply answers one client message.
func (h *handlers) realtimeReply(ctx context.Context, client *realtime.Client, m *realtimeMessage) any {
	fail := func(code, msg string) any {
		return realtimeError{Type: "error", ID: m.ID, Code: code, Message: msg}
	}
	switch m.Type {
	case "ping":
		return map[string]string{"type": "pong"}
	case "auth":
		var id *auth.Identity
		if m.Token != "" {
			var err error
			if id, err = h.Auth.Identify(ctx, m.Token); err != nil {
				return fail(realtimeCode(err), collections.ErrorMessage(err))
			}
		}
		client.SetCaller(auth.CallerFor(id, h.Decider))
		return map[string]string{"type": "ack", "id": m.ID}
	case "subscribe":
		opts := realtime.SubscribeOptions{ID: m.ID, Topic: m.Topic}
		for _, p := range []struct {
			name string
			raw  json.RawMessage
			dst  *string
		}{{"filter", m.Filter, &opts.Filter}, {"fields", m.Fields, &opts.Fields}, {"expand", m.Expand, &opts.Expand}} {
			if p.raw != nil && string(p.raw) != "null" {
				if err := json.Unmarshal(p.raw, p.dst); err != nil {
					return fail("invalid", p.name+" must be a string.")
				}
			}
		}
		if m.Since != nil && string(m.Since) != "null" {
			var since int64
			if err := json.Unmarshal(m.Since, &since); err != nil {
				return fail("invalid", "since must be the seq of an event (an integer).")
			}
			opts.Since = &since
		}
		switch err := client.SubscribeWith(ctx, opts); {
		case errors.Is(err, realtime.ErrResync):
			return fail("resync", "The events after since are no longer retained: refetch the records, then subscribe without since.")
		case errors.Is(err, realtime.ErrNoLog):
			return fail("unsupported", "since is not available on this server.")
		case err != nil:
			return fail(realtimeCode(err), collections.ErrorMessage(err))
		}
		return map[string]string{"type": "ack", "id": m.ID}
	case "unsubscribe":
		if !client.Unsubscribe(m.ID) {
			return fail("not_found", "No subscription with that id.")
		}
		return map[string]string{"type": "ack", "id": m.ID}
	}
	return fail("invalid", "Unknown message type.")
}

// realtimeCode names a domain error in realtime error messages.
func realtimeCode(err error) string {
	var e *collections.Error
	if !errors.As(err, &e) {
		return "internal"
	}
	switch e.Code {
	case collections.ENOTFOUND:
		return "not_found"
	case collections.EUNAUTHORIZED:
		return "unauthorized"
	case collections.EFORBIDDEN:
		return "forbidden"
	}
	return "invalid"
}
