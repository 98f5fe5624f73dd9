package api

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/lumbunghq/lumbung/collections"
)

// RealtimeRelay carries a realtime request to the node that holds the
// client's connection, when the load balancer brought it to another: the
// POST that sets an event stream's subscriptions, and the OAuth2
// redirect's message.
type RealtimeRelay interface {
	// Relay hands the request of kind for client clientID to the other
	// nodes and returns the answer of the one holding the client, or
	// ErrNotRelayed when none answered in time.
	Relay(ctx context.Context, clientID, kind string, request []byte) (answer []byte, err error)
	// Serve makes this node answer the relayed requests for the clients
	// holds reports it holds, with handle.
	Serve(holds func(clientID string) bool, handle func(ctx context.Context, clientID, kind string, request []byte) []byte)
}

// ErrNotRelayed is RealtimeRelay.Relay's error when no node holds the
// client.
var ErrNotRelayed = errors.New("no node holds the client")

// The kinds of relayed requests.
const (
	relaySubscribe = "subscribe"
	relayMessage   = "message"
)

// relayedSubscribe is a POST /api/realtime for a stream on another node.
type relayedSubscribe struct {
	Authorization string   `json:"authorization"`
	Subscriptions []string `json:"subscriptions"`
}

// relayedMessage is a message for a client on another node (the OAuth2
// redirect's), from the client address ip.
type relayedMessage struct {
	IP    string          `json:"ip"`
	Topic string          `json:"topic"`
	Data  json.RawMessage `json:"data"`
}

// relayAnswer is a relayed request's outcome: the domain error, if any.
type relayAnswer struct {
	Code    string                            `json:"code,omitempty"`
	Message string                            `json:"message,omitempty"`
	Data    map[string]collections.FieldError `json:"data,omitempty"`
}

// relay runs a request for a client this node does not hold on the node
// that does; a client no node holds is PocketBase's 404.
func (h *handlers) relay(ctx context.Context, clientID, kind string, request any) error {
	missing := collections.Errorf(collections.ENOTFOUND, "Missing or invalid client id.")
	if h.RealtimeRelay == nil || !plausibleClientID(clientID) {
		return missing
	}
	b, err := json.Marshal(request)
	if err != nil {
		return err
	}
	raw, err := h.RealtimeRelay.Relay(ctx, clientID, kind, b)
	if errors.Is(err, ErrNotRelayed) {
		return missing
	}
	if err != nil {
		return err
	}
	var a relayAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	if a.Code == "" {
		return nil
	}
	return &collections.Error{Code: a.Code, Message: a.Message, Data: a.Data}
}

// holdsClient reports whether a realtime client of this node has id.
func (h *handlers) holdsClient(clientID string) bool {
	if h.stream(clientID) != nil {
		return true
	}
	_, ok := h.wsMessages.Load(clientID)
	return ok
}

// handleRelayed answers a request another node relayed for a client of
// this one.
func (h *handlers) handleRelayed(ctx context.Context, clientID, kind string, request []byte) []byte {
	var err error
	switch kind {
	case relaySubscribe:
		err = h.relayedSubscribe(ctx, clientID, request)
	case relayMessage:
		var m relayedMessage
		if err = json.Unmarshal(request, &m); err == nil && !h.sendMessage(clientID, m.IP, m.Topic, m.Data) {
			err = collections.Errorf(collections.ENOTFOUND, "The client takes no such message.")
		}
	default:
		err = collections.Errorf(collections.EINVALID, "Unknown relayed request %q.", kind)
	}
	var a relayAnswer
	var de *collections.Error
	switch {
	case err == nil:
	case errors.As(err, &de):
		a = relayAnswer{Code: de.Code, Message: de.Message, Data: de.Data}
	default:
		h.Logger.Error("relayed realtime request", "kind", kind, "err", err)
		a = relayAnswer{Code: collections.EINTERNAL, Message: collections.ErrorMessage(nil)}
	}
	b, _ := json.Marshal(a)
	return b
}

// relayedSubscribe sets a stream's subscriptions as another node's POST
// /api/realtime asked, as the caller its Authorization names.
func (h *handlers) relayedSubscribe(ctx context.Context, clientID string, request []byte) error {
	var r relayedSubscribe
	if err := json.Unmarshal(request, &r); err != nil {
		return err
	}
	s := h.stream(clientID)
	if s == nil {
		return collections.Errorf(collections.ENOTFOUND, "Missing or invalid client id.")
	}
	id, err := h.Auth.Identify(ctx, r.Authorization)
	if err != nil {
		return err
	}
	return h.setSubscriptions(ctx, s, id, r.Authorization, r.Subscriptions)
}

// plausibleClientID reports whether id could name a realtime client
// (random letters and digits): anything else names none anywhere, and is
// not worth a relay.
func plausibleClientID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
