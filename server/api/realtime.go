package api

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/websocket/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/realtime"
)

func (h *handlers) realtimeRoutes() []Route {
	// Idle connections hold no write buffer (it is taken from the pool for
	// each message) and a small read buffer: client messages are short.
	pool := &sync.Pool{}
	upgrade := websocket.New(h.realtimeConn, websocket.Config{ReadBufferSize: 256, WriteBufferPool: pool})
	return []Route{
		{"GET", "/realtime", Public, func(c *fiber.Ctx) error {
			if err := h.realtimeUpgrade(c); err != nil || c.Locals(tokenKey) == nil {
				return err
			}
			return upgrade(c)
		}, "Open a realtime connection: a WebSocket, or PocketBase's event stream."},
		{"POST", "/realtime", Public, h.realtimeSubscribe, "Set the subscriptions of an event stream."},
	}
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
	// Query and Headers are read by rules and the filter as
	// @request.query and @request.headers.
	Query   map[string]any `json:"query"`
	Headers map[string]any `json:"headers"`
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

// realtimeAck acknowledges a client message. A subscription's carries the
// seq it starts after: resuming from it later loses nothing.
type realtimeAck struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Seq  *int64 `json:"seq,omitempty"`
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
	c.Locals(tokenKey, strings.Clone(c.Get(fiber.HeaderAuthorization)))
	h.clientIP(c) // kept in the locals the connection carries
	return nil
}

// tokenKey holds the Authorization header of a WebSocket upgrade.
const tokenKey = "token"

// realtimeConn speaks the realtime protocol on one upgraded connection:
// it reads client messages here; events are written by a wsWriter.
func (h *handlers) realtimeConn(conn *websocket.Conn) {
	id, _ := conn.Locals(identityKey).(*auth.Identity)
	client, err := h.Realtime.Connect(auth.CallerFor(id, h.Decider))
	if err != nil {
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, realtime.ReasonGoingAway), time.Now().Add(time.Second)) //nolint:errcheck // closing anyway
		conn.Close()
		return
	}
	client.SetEnterLeave(true)
	ws := &wsConn{conn: conn}
	ctx, cancel := context.WithCancel(context.Background())
	w := &wsWriter{ws: ws, client: client, ctx: ctx}
	ip, _ := conn.Locals(clientIPKey).(string)
	who := &wsIdentity{h: h, client: client, ws: ws, ip: ip}
	defer h.realtimeMessagesClosed(client.ID)
	// The connection is recycled when this function returns, so the
	// writer and the token checks must have finished by then (deferred
	// calls run last registered first).
	defer w.stop()
	defer client.Close("client closed")
	defer who.stop()
	defer cancel()
	client.SetWake(w.wake)
	token, _ := conn.Locals(tokenKey).(string)
	who.set(token, id)

	if err := ws.send(map[string]string{"type": "connected", "clientId": client.ID}); err != nil {
		return
	}
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return
		}
		// Each message is answered on a goroutine of its own: the deep
		// stack that needs is released afterwards, while this goroutine
		// stays parked in ReadMessage for the connection's life.
		answered := make(chan error, 1)
		go func() {
			// A context of its own, not one derived from the connection's,
			// which would keep a child list for every database call.
			mctx, cancel := context.WithTimeout(context.Background(), h.RequestTimeout)
			defer cancel()
			answered <- h.realtimeAnswer(mctx, who, b)
		}()
		if err := <-answered; err != nil {
			return
		}
	}
}

// realtimeAnswer handles one client message and sends the reply.
func (h *handlers) realtimeAnswer(ctx context.Context, who *wsIdentity, b []byte) error {
	ws := who.ws
	var m realtimeMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return ws.send(realtimeError{Type: "error", Code: "invalid", Message: "The message is not valid JSON."})
	}
	reply, after := h.realtimeHandle(ctx, who, &m)
	if reply != nil {
		if err := ws.send(reply); err != nil {
			return err
		}
	}
	if after != nil {
		after()
	}
	return nil
}

// realtimeHandle answers one client message; after, if not nil, runs once
// the reply was sent.
func (h *handlers) realtimeHandle(ctx context.Context, who *wsIdentity, m *realtimeMessage) (reply any, after func()) {
	reply = h.realtimeReply(ctx, who, m)
	if m.Type == "subscribe" && m.Since != nil {
		if _, ok := reply.(realtimeAck); ok {
			// The replay of a resumed subscription follows its ack.
			after = func() { who.client.Start(m.ID) }
		}
	}
	return reply, after
}

// realtimeReply answers one client message.
func (h *handlers) realtimeReply(ctx context.Context, who *wsIdentity, m *realtimeMessage) any {
	client := who.client
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
				// The connection goes on as a guest, not as whoever it was.
				who.set("", nil)
				return fail(realtimeCode(err), collections.ErrorMessage(err))
			}
		}
		who.set(m.Token, id)
		return realtimeAck{Type: "ack", ID: m.ID}
	case "subscribe":
		if isMessageTopic(m.Topic) {
			return h.realtimeMessageSubscribe(who, m.ID, m.Topic)
		}
		opts := realtime.SubscribeOptions{ID: m.ID, Topic: m.Topic, Query: optionValues(m.Query), Headers: optionValues(m.Headers)}
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
		after, err := client.SubscribeWith(ctx, opts)
		switch {
		case errors.Is(err, realtime.ErrResync):
			return fail("resync", "The events after since are no longer retained: refetch the records, then subscribe without since.")
		case errors.Is(err, realtime.ErrNoLog):
			return fail("unsupported", "since is not available on this server.")
		case err != nil:
			return fail(realtimeCode(err), collections.ErrorMessage(err))
		}
		return realtimeAck{Type: "ack", ID: m.ID, Seq: &after}
	case "unsubscribe":
		if !client.Unsubscribe(m.ID) && !h.realtimeMessageUnsubscribe(who, m.ID) {
			return fail("not_found", "No subscription with that id.")
		}
		return realtimeAck{Type: "ack", ID: m.ID}
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
