package api

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// A request the HTTP server refuses before reading it in full (a body over
// BodyLimit, headers too large, a malformed request) is answered, and then
// its connection is closed while the client may still be sending. Closing a
// TCP socket with unread input makes the kernel send a reset, which can
// reach the client before it has read the answer: it sees "connection reset
// by peer" instead of the 413. Such connections are closed the way nginx
// and Go's net/http close them instead: stop sending (the client reads the
// answer, then the end of the stream), read and discard what the client
// still sends for a bounded time, and only then close. Nothing is kept:
// the discarded bytes pass through one small buffer.
const (
	lingerFor    = 30 * time.Second // the longest a refused connection is drained
	lingerIdle   = 5 * time.Second  // a client silent this long is not waited for
	lingerMax    = 1024             // connections drained at once; beyond, closed at once
	lingerBuffer = 16 << 10
)

// LingeringListener wraps the listener App.Listener serves, so that the
// connections of requests refused before they were read in full end with a
// lingering close: their clients read the error instead of a reset. Only
// connections of an App built by New are marked for it; others close as
// before. Closing the listener ends the draining connections and waits for
// them.
func LingeringListener(ln net.Listener) net.Listener {
	return &lingeringListener{Listener: ln, draining: map[net.Conn]struct{}{}}
}

type lingeringListener struct {
	net.Listener
	mu       sync.Mutex
	closed   bool
	draining map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// Accept wraps each connection so that its Close may linger.
func (l *lingeringListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lingeringConn{Conn: c, l: l}, nil
}

// Close stops accepting and ends every connection still being drained.
func (l *lingeringListener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	l.closed = true
	for c := range l.draining {
		_ = c.SetReadDeadline(time.Now())
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}

// drain closes c after its client stopped sending, or after lingerFor.
func (l *lingeringListener) drain(c net.Conn) error {
	l.mu.Lock()
	if l.closed || len(l.draining) >= lingerMax {
		l.mu.Unlock()
		return c.Close()
	}
	l.draining[c] = struct{}{}
	l.wg.Add(1)
	l.mu.Unlock()
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		l.forget(c)
		return c.Close()
	}
	go func() {
		defer l.forget(c)
		defer c.Close()
		buf := make([]byte, lingerBuffer)
		end := time.Now().Add(lingerFor)
		for {
			deadline := time.Now().Add(lingerIdle)
			if deadline.After(end) {
				deadline = end
			}
			// After Close set the deadline to now, ours must not replace it.
			if c.SetReadDeadline(deadline) != nil || l.isClosed() {
				return
			}
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	return nil
}

func (l *lingeringListener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

func (l *lingeringListener) forget(c net.Conn) {
	l.mu.Lock()
	delete(l.draining, c)
	l.mu.Unlock()
	l.wg.Done()
}

// lingeringConn is a connection whose Close lingers once it is marked.
type lingeringConn struct {
	net.Conn
	l      *lingeringListener
	linger atomic.Bool
}

// Close closes the connection, through a lingering close when the server
// refused a request on it.
func (c *lingeringConn) Close() error {
	if c.linger.Load() {
		return c.l.drain(c.Conn)
	}
	return c.Conn.Close()
}

// ReadFrom keeps the connection's own ReadFrom (sendfile for files).
func (c *lingeringConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// lingerRefused marks the connection of every request the HTTP server
// refuses before a handler runs, except after a read timeout (the client
// is too slow to be waited for again).
func lingerRefused(app *fiber.App) {
	srv := app.Server()
	answer := srv.ErrorHandler
	srv.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		var ne net.Error
		if c, ok := ctx.Conn().(*lingeringConn); ok && !(errors.As(err, &ne) && ne.Timeout()) {
			c.linger.Store(true)
		}
		answer(ctx, err)
	}
}

// lingerClose closes the connection of c after its answer, with a
// lingering close: used when a body is refused or left unread.
func lingerClose(c *fiber.Ctx) {
	c.Context().SetConnectionClose()
	if lc, ok := c.Context().Conn().(*lingeringConn); ok {
		lc.linger.Store(true)
	}
}
