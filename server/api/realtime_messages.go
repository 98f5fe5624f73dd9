package api

// Realtime messages: topics on which the server sends a client a message
// of its own rather than record events (PocketBase's "@oauth2"). Any
// client may subscribe to them, guests included; they carry no record
// data, only what the server addresses to that one client by its id.

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
		return false
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
