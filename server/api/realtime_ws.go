package api

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/gofiber/websocket/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/realtime"
)

// The pieces of one WebSocket connection besides its reader: serialized
// writes, the writer of events, and who the connection acts as.

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

// wsWriter writes the events of one client from a goroutine that runs only
// while there is something to write, so an idle connection costs no
// goroutine besides its reader.
type wsWriter struct {
	ws     *wsConn
	client *realtime.Client
	ctx    context.Context
	wg     sync.WaitGroup

	mu      sync.Mutex
	running bool // a goroutine is writing
	again   bool // woken while running: look once more before stopping
	stopped bool // the connection is done: start no goroutine
}

// wake starts the writing goroutine unless it runs already.
func (w *wsWriter) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.stopped:
	case w.running:
		w.again = true
	default:
		w.running = true
		w.wg.Add(1)
		go w.run()
	}
}

// stop waits for the writing goroutine and starts no other.
func (w *wsWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.wg.Wait()
}

func (w *wsWriter) run() {
	defer w.wg.Done()
	var b []byte
	for {
		ds, err := w.client.TryNext(w.ctx)
		if err != nil {
			w.end(err)
			return
		}
		if ds == nil {
			w.mu.Lock()
			if w.again {
				w.again = false
				w.mu.Unlock()
				continue
			}
			w.running = false
			w.mu.Unlock()
			return
		}
		for _, d := range ds {
			if b, err = appendEvent(b[:0], d); err == nil {
				err = w.ws.write(b)
			}
			if err != nil {
				w.client.Close("write failed")
				w.end(err)
				return
			}
		}
	}
}

// end stops writing for good after err and closes the connection, which
// ends the reader too. A client the hub disconnected is told why; one that
// stopped reading was cut off by the write deadline instead.
func (w *wsWriter) end(err error) {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	conn := w.ws.conn
	if errors.Is(err, realtime.ErrDisconnected) {
		code := websocket.CloseGoingAway
		if w.client.Reason() == realtime.ReasonSlow {
			code = websocket.ClosePolicyViolation
		}
		conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, w.client.Reason()), time.Now().Add(time.Second)) //nolint:errcheck // closing anyway
	}
	conn.Close()
}

// realtimeRecheck is how often the token of a WebSocket connection is
// checked again, besides when it expires and when its record changes
// (password change, "log out everywhere", a deleted record: on any node,
// through the change log); the periodic check is the fallback.
const realtimeRecheck = time.Minute

// recheckToken identifies a realtime connection's token again: the
// identity it proves now, nil once it no longer holds (a new password or
// token key, a deleted record, expiry). checked is false when the check
// itself failed (logged), which is not the client's fault.
func (h *handlers) recheckToken(token string) (id *auth.Identity, checked bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := h.Auth.Identify(ctx, token)
	if err != nil && collections.ErrorCode(err) != collections.EUNAUTHORIZED {
		h.Logger.Error("realtime: check token", "err", err)
		return nil, false
	}
	return id, true
}

// wsIdentity is who a WebSocket connection acts as. Its token is checked
// again when its record changes, when it expires and every
// realtimeRecheck; once it no longer holds, the connection goes on as a
// guest and is told so.
type wsIdentity struct {
	h      *handlers
	client *realtime.Client
	ws     *wsConn
	ip     string // the client address of the upgrade

	mu      sync.Mutex
	token   string // "" for a guest or once stopped
	timer   *time.Timer
	unwatch func() // stops the calls on a change of the record
}

// set makes the connection act as id, proven by token (nil, "": a guest).
func (a *wsIdentity) set(token string, id *auth.Identity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopChecks()
	a.token = ""
	a.client.SetCaller(auth.CallerFor(id, a.h.Decider))
	if id != nil {
		a.token = token
		a.schedule(id.Expires)
		a.unwatch = a.h.Auth.Watch(id.Record.Collection.ID, id.Record.ID(), func() { a.recheck(token) })
	}
}

// stop ends the checks; no message is sent after it returns.
func (a *wsIdentity) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stopChecks()
	a.token = ""
}

func (a *wsIdentity) stopChecks() {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	if a.unwatch != nil {
		a.unwatch()
		a.unwatch = nil
	}
}

// schedule checks the token again at its expiry or after realtimeRecheck,
// whichever comes first; a.mu is held.
func (a *wsIdentity) schedule(expires time.Time) {
	token := a.token
	wait := max(min(time.Until(expires), realtimeRecheck), 0)
	a.timer = time.AfterFunc(wait, func() { a.recheck(token) })
}

func (a *wsIdentity) recheck(token string) {
	id, checked := a.h.recheckToken(token)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.token != token {
		return // replaced or stopped meanwhile
	}
	if a.timer != nil { // a change of the record may have called early
		a.timer.Stop()
	}
	if !checked {
		a.schedule(time.Now().Add(realtimeRecheck)) // try again; not the client's fault
		return
	}
	if id != nil && time.Now().Before(id.Expires) {
		// Still valid: act as the record as it is now (its fields feed
		// @request.auth.* in conditions).
		a.client.SetCaller(auth.CallerFor(id, a.h.Decider))
		a.schedule(id.Expires)
		return
	}
	a.stopChecks()
	a.token = ""
	a.client.SetCaller(auth.CallerFor(nil, a.h.Decider))
	a.ws.send(realtimeError{Type: "error", Code: "unauthorized", //nolint:errcheck // the reader notices a broken connection
		Message: "The token expired or was revoked: the connection goes on as a guest. Send a new auth message."})
}
