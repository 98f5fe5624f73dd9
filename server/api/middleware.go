package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

const requestIDKey = "requestId"

func requestID(c *fiber.Ctx) string {
	s, _ := c.Locals(requestIDKey).(string)
	return s
}

// requestContext gives each request an id (echoed as X-Request-Id), a
// context with a deadline for the database, and a log line and an entry
// queued to requests when done, with the client's address as clientIP
// says. The line is written for every request; the entry is kept as the
// logs settings say (logs), at times read from now.
func requestContext(log *slog.Logger, timeout time.Duration, requests *RequestLog, clientIP func(*fiber.Ctx) string,
	now func() time.Time, logs func(*fiber.Ctx) settings.Logs) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := newRequestID()
		c.Locals(requestIDKey, id)
		c.Set("X-Request-Id", id)
		// The writes of the request are logged with its id and address.
		base := collections.WithOrigin(context.Background(), collections.Origin{RequestID: id, IP: clientIP(c)})
		ctx, cancel := context.WithTimeout(base, timeout)
		defer cancel()
		c.SetUserContext(ctx)
		start, created := time.Now(), now()
		err := c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				c.Status(fiber.StatusInternalServerError)
			}
		}
		took := time.Since(start)
		status := c.Response().StatusCode()
		log.LogAttrs(ctx, slog.LevelInfo, "request",
			slog.String("requestId", id),
			slog.String("method", c.Method()),
			slog.String("path", c.Path()),
			slog.Int("status", status),
			slog.Duration("duration", took),
			slog.String("ip", clientIP(c)),
		)
		if strings.HasPrefix(c.Path(), "/api/logs") || c.Method() == fiber.MethodOptions {
			return nil // reading the log does not fill it, nor do CORS preflights
		}
		cfg := logs(c)
		// Fiber's strings point into buffers it reuses: the log keeps copies.
		entry := collections.LogEntry{ID: id, Created: created, Method: strings.Clone(c.Method()), URL: loggedURL(c),
			Status: status, ExecTime: float64(took.Microseconds()) / 1000}
		if caller := identity(c); caller != nil {
			entry.Auth = caller.Record.Collection.Name
			if cfg.LogAuthID {
				entry.AuthID = caller.Record.ID()
			}
		}
		if cfg.LogIP {
			entry.IP = clientIP(c)
		}
		requests.Add(entry, cfg, now())
		return nil
	}
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail
	return hex.EncodeToString(b[:])
}

// recoverPanics turns a panic in a handler into a logged 500.
func recoverPanics(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic", "requestId", requestID(c), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return c.Next()
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
