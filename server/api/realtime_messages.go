package api

import (
	"encoding/json"
	"sync"
)

// Realtime messages: topics on which the server sends a client a message
// of its own rather than record events (PocketBase's "@oauth2"). Any
// client may subscribe to them, guests included, on either transport; they
// carry no record data, only what the server addresses to that one client
// by its id.

// isMessageTopic reports whether topic carries server messages.
func isMessageTopic(topic string) bool {
	return topic == oauth2Topic
}

// sseMessage is a message to one event stream: an SSE event named by its
// topic, with data as it is.
type sseMessage struct {
	topic string
	data  []byte
}

// sseMessageQueue bounds the messages waiting for one stream.
const sseMessageQueue = 4

// sendMessage sends data on topic to the event stream clientID when that
// stream is subscribed to topic and was opened from ip; the subscription
// ends with the message, so a topic gets one message per subscription. It
// reports whether the message was queued.
func (h *handlers) sendMessage(clientID, ip, topic string, data []byte) bool {
	v, ok := h.streams.Load(clientID)
	s, _ := v.(*sseClient)
	if !ok || s.hub != h.Realtime {
		return h.sendWSMessage(clientID, ip, topic, data)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.topics[topic] || s.ip != ip {
		return false
	}
	select {
	case <-s.client.Done():
		return false
	default:
	}
	delete(s.topics, topic)
	select {
	case s.messages <- sseMessage{topic: topic, data: data}:
		return true
	default:
		return false
	}
}

// wsMessages are the message-topic subscriptions of one WebSocket
// connection: {"type":"subscribe","id","topic":"@oauth2"} adds one, and
// the message arrives as {"type":"message","sub","topic","data"}.
type wsMessages struct {
	ws *wsConn
	ip string

	mu   sync.Mutex
	subs map[string]string // topic -> subscription id
	done bool
}

// realtimeMessageSubscribe subscribes the connection of who to a message
// topic (realtimeReply's "subscribe" for such a topic).
func (h *handlers) realtimeMessageSubscribe(who *wsIdentity, id, topic string) any {
	v, _ := h.wsMessages.LoadOrStore(who.client.ID, &wsMessages{ws: who.ws, ip: who.ip, subs: map[string]string{}})
	m := v.(*wsMessages)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return realtimeError{Type: "error", ID: id, Code: "invalid", Message: "The connection is closing."}
	}
	for t, sub := range m.subs {
		if sub == id {
			delete(m.subs, t) // an id names one subscription
		}
	}
	m.subs[topic] = id
	return realtimeAck{Type: "ack", ID: id}
}

// realtimeMessageUnsubscribe ends the message-topic subscription id of the
// connection of who and reports whether there was one.
func (h *handlers) realtimeMessageUnsubscribe(who *wsIdentity, id string) bool {
	v, ok := h.wsMessages.Load(who.client.ID)
	if !ok {
		return false
	}
	m := v.(*wsMessages)
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, sub := range m.subs {
		if sub == id {
			delete(m.subs, t)
			return true
		}
	}
	return false
}

// realtimeMessagesClosed forgets the message subscriptions of a closing
// connection, once a message being written to it is written.
func (h *handlers) realtimeMessagesClosed(clientID string) {
	if v, ok := h.wsMessages.LoadAndDelete(clientID); ok {
		m := v.(*wsMessages)
		m.mu.Lock()
		m.done = true
		m.mu.Unlock()
	}
}

// sendWSMessage is sendMessage for a WebSocket connection.
func (h *handlers) sendWSMessage(clientID, ip, topic string, data []byte) bool {
	v, ok := h.wsMessages.Load(clientID)
	if !ok {
		return false
	}
	m := v.(*wsMessages)
	// Held through the write: a closing connection waits for it
	// (realtimeMessagesClosed) before it is recycled.
	m.mu.Lock()
	defer m.mu.Unlock()
	sub, subscribed := m.subs[topic]
	if m.done || !subscribed || m.ip != ip {
		return false
	}
	delete(m.subs, topic)
	return m.ws.send(struct {
		Type  string          `json:"type"`
		Sub   string          `json:"sub"`
		Topic string          `json:"topic"`
		Data  json.RawMessage `json:"data"`
	}{"message", sub, topic, data}) == nil
}
