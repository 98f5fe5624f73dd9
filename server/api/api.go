// Package api serves Lumbung's HTTP API with Fiber. Each resource has its own
// file with its route table on top; errors.go alone maps errors to statuses.
package api

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/realtime"
	"github.com/lumbunghq/lumbung/server/settings"
)

// Deps are what the handlers need.
type Deps struct {
	Collections *collections.Service
	Auth        *auth.Authenticator
	Issuer      *auth.Issuer
	// Decider decides record access for everyone but superusers.
	Decider auth.Decider
	// Access keeps roles, policies and assignments.
	Access AccessControl
	Ping   func(context.Context) error
	// Unavailable reports whether an error means the database cannot be
	// reached: such requests get a 503 with Retry-After (nil: never).
	Unavailable func(error) bool
	// Refresh reads the schema and the policies again, after a request
	// found its collection changed by another node (nil: the schema only).
	Refresh func(context.Context) error
	Logger  *slog.Logger
	// BodyLimit is the largest request body in bytes.
	BodyLimit int
	// UploadDir holds uploaded files until their write stores them (the
	// system's temporary folder when empty).
	UploadDir string
	// Files serves the files of records (GET /api/files/...); without it
	// they are not found.
	Files FileServer
	// Egress makes the requests to addresses users name (OAuth2 avatars)
	// through the egress guard; without it they are not made.
	Egress *http.Client
	// RequestTimeout bounds the database work of one request.
	RequestTimeout time.Duration

	// Settings are the application settings (memory-only defaults when nil).
	Settings *settings.Service
	// Throttle slows down password guessing. Required.
	Throttle *auth.Throttle
	// Sessions keeps OTPs, MFA sessions and sign-in origins. Required.
	Sessions collections.AuthSessionStore
	// RateCounter keeps the request rate limit counts where every node
	// sees them (this node's memory when nil).
	RateCounter RateCounter
	// Now is the clock of rate limits and throttling (time.Now when nil).
	Now func() time.Time
	// Realtime fans record changes out to WebSocket clients (none when nil).
	Realtime *realtime.Hub
	// RealtimeRetention is how long changes are kept for resuming, as the
	// settings report it.
	RealtimeRetention time.Duration
	// Dashboard holds the dashboard's built files, served at /_/ (none
	// when nil).
	Dashboard fs.FS
	// Setup creates the first superuser through the first-run link (no
	// POST /api/setup when nil).
	Setup Setup
	// RequestLog writes the requests the logs settings keep to the log
	// GET /api/logs reads, shared by every node. Required.
	RequestLog *RequestLog
	// Routes are more routes under /api, such as plugins add (checked
	// with CheckRoutes).
	Routes []Route
	// Hooks are the API's hook points (nil: none bound).
	Hooks *Hooks
	// RealtimeRelay carries realtime requests to the node holding the
	// client (nil: a single node; requests for unknown clients are 404s).
	RealtimeRelay RealtimeRelay
	// MailHooks are the hook points of the mail the API sends.
	MailHooks *lmail.Hooks
	// Metrics record every request and are served at GET /metrics as the
	// metrics settings allow (nil: nothing is recorded, and GET /metrics
	// is a 404).
	Metrics Metrics
	// Backups keeps the database's backups for /api/backups (nil: those
	// routes answer 404).
	Backups Backups
	// Crons are the cron jobs for /api/crons (nil: those routes answer
	// 404).
	Crons Crons
	// Insights are the database statistics and list samples of
	// /api/insights (nil: those routes answer 404 and lists are not
	// sampled).
	Insights *Insights
	// Audit is the audit log of /api/audit and the records' history (nil:
	// those routes answer 404).
	Audit collections.AuditStore
}

// Setup creates the first superuser through the dashboard's first-run
// link.
type Setup interface {
	// CreateFirstSuperuser creates the superuser when token is the link's
	// and no superuser exists (EFORBIDDEN otherwise).
	CreateFirstSuperuser(ctx context.Context, token, email, password string) (*collections.Record, error)
}

// handlers holds the dependencies of every route.
type handlers struct {
	Deps
	// routes is the route table: every route under /api, the built-in
	// ones and Deps.Routes.
	routes []Route
	// streams are the open realtime event streams by client id
	// (*sseClient), for the POST that sets their subscriptions.
	streams sync.Map
	// oauth2Names are the names Apple posted to the OAuth2 redirect.
	oauth2Names oauth2Names
	// wsMessages are the message-topic subscriptions of WebSocket
	// connections by client id (*wsMessages).
	wsMessages sync.Map
}

// New returns the Fiber app serving the API. It fails when d.Routes
// cannot join the route table (see CheckRoutes): a malformed route, or a
// method and path the table has already.
func New(d Deps) (*fiber.App, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.RequestTimeout == 0 {
		d.RequestTimeout = time.Minute
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Settings == nil {
		d.Settings = settings.New(nil, settings.Defaults(""), d.Now, d.Logger)
	}
	if d.RequestLog == nil {
		return nil, errors.New("api: no request log")
	}
	if d.Hooks == nil {
		d.Hooks = &Hooks{}
	}
	if d.MailHooks == nil {
		d.MailHooks = &lmail.Hooks{}
	}
	app := fiber.New(fiber.Config{
		AppName:   "lumbung",
		BodyLimit: d.BodyLimit,
		// Bodies stream: the bodies middleware reads them, so that uploads
		// reach their files without passing through memory.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		ErrorHandler:                 ErrorHandler(d.Logger, d.Unavailable),
		DisableStartupMessage:        true,
		ReadTimeout:                  time.Minute,
		WriteTimeout:                 time.Minute,
		IdleTimeout:                  2 * time.Minute,
		// Buffers go back to their pools between requests, and idle realtime
		// connections do not keep the 4 KiB request reader.
		ReduceMemoryUsage: true,
		// The request line and headers must fit: a filter of the longest
		// length the language accepts, percent-encoded, with a token.
		ReadBufferSize: 32 << 10,
		// Paths match in their exact case, as PocketBase's do: another
		// case is a 404, not the same route under another name.
		CaseSensitive: true,
	})
	lingerRefused(app)
	h := &handlers{Deps: d}
	if d.RealtimeRelay != nil {
		d.RealtimeRelay.Serve(h.holdsClient, h.handleRelayed)
	}
	if d.Metrics != nil {
		app.Use(observeRequests(d.Metrics))
	}
	app.Use(requestContext(d.Logger, d.RequestTimeout, d.RequestLog, h.clientIP, d.Now, h.logsSettings), recoverPanics(d.Logger), h.bodies,
		CORS(CORSConfig{Origins: func(c *fiber.Ctx) *settings.Origins { return h.Settings.Origins(c.UserContext()) }}))
	a := h.rateLimited(app.Group("/api", h.identify))
	h.routes = slices.Concat(h.healthRoutes(), h.authRoutes(), h.oauth2Routes(), h.settingsRoutes(),
		h.collectionRoutes(), h.recordRoutes(), h.batchRoutes(), h.rbacRoutes(), h.realtimeRoutes(),
		h.setupRoutes(), h.logRoutes(), h.openapiRoutes(),
		h.backupRoutes(), h.fileRoutes(), h.cronRoutes(), h.insightsRoutes(), h.auditRoutes())
	if err := CheckRoutes(append(slices.Clone(h.routes), d.Routes...)); err != nil {
		return nil, err
	}
	h.addRoutes(a, h.routes, false)
	h.addRoutes(a, d.Routes, true)
	h.routes = append(h.routes, d.Routes...)
	h.metricsRoutes(app)
	h.dashboardRoutes(app)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return app, nil
}

const identityKey = "identity"

// identify resolves the Authorization header into the request's identity.
func (h *handlers) identify(c *fiber.Ctx) error {
	id, err := h.Auth.Identify(c.UserContext(), c.Get(fiber.HeaderAuthorization))
	if err != nil {
		return err
	}
	if id != nil {
		c.Locals(identityKey, id)
	}
	return c.Next()
}

func identity(c *fiber.Ctx) *auth.Identity {
	id, _ := c.Locals(identityKey).(*auth.Identity)
	return id
}

// superusersOnly guards the schema endpoints: guests get 401, signed-in
// users who are not superusers 403, as in PocketBase.
func superusersOnly(c *fiber.Ctx) error {
	switch id := identity(c); {
	case id.Superuser():
		return c.Next()
	case id == nil:
		return collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid superuser authorization token.")
	}
	return collections.Errorf(collections.EFORBIDDEN, "The authorized record is not allowed to perform this action.")
}
