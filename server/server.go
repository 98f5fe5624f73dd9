// Package server is Lumbung's composition root: it starts or connects to
// PostgreSQL, wires the stores, services and HTTP API, and runs them.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/rbac"
	rbacpg "github.com/lumbunghq/lumbung/rbac/postgres"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/backup"
	"github.com/lumbunghq/lumbung/server/cron"
	cronpg "github.com/lumbunghq/lumbung/server/cron/postgres"
	"github.com/lumbunghq/lumbung/server/egress"
	"github.com/lumbunghq/lumbung/server/localpg"
	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/metrics"
	"github.com/lumbunghq/lumbung/server/realtime"
	"github.com/lumbunghq/lumbung/server/settings"
)

// Config configures a server. Zero values take the defaults shown.
type Config struct {
	HTTPAddr    string // "127.0.0.1:8090"
	Dir         string // "lb_data": data root, holds the private PostgreSQL in Dir/pg
	DatabaseURL string // an external PostgreSQL; empty runs the private one
	BodyLimit   int    // 32 MiB
	MaxConns    int32  // database pool size; 0 lets pgx choose
	// PasswordCost is the bcrypt cost of new password hashes (auth.DefaultCost).
	PasswordCost int
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after a stop signal.
	ShutdownTimeout time.Duration // 30s
	Logger          *slog.Logger
	// EventRetention is how long captured record changes are kept for
	// realtime resume (24h).
	EventRetention time.Duration
	// EventHold is how long captured changes a durable consumer of the
	// change log (a webhook) has not handled yet are kept past
	// EventRetention (7 days); older ones go anyway and the consumer is
	// marked lagged.
	EventHold time.Duration
	// Clock drives rate limits, sign-in throttling, the age of cached
	// tokens and the expiry of the first-run link (time.Now when nil).
	Clock func() time.Time
	// Dashboard holds the dashboard's built files, served at /_/ (none
	// when nil).
	Dashboard fs.FS
	// Origins, when set, fix the origins whose pages may call the API from
	// a browser on this node ("*", origins or patterns; see
	// settings.CORS), whatever the settings say.
	Origins []string
	// TrustedProxies, when set, fix the addresses or CIDR ranges of the
	// proxies whose ProxyHeader names the client, whatever the settings
	// say; ProxyHeader likewise fixes that header.
	TrustedProxies []string
	ProxyHeader    string
	// AsyncCommit commits without waiting for the disk (see
	// postgres.Options): faster writes, and an operating-system crash may
	// lose the last moments' commits. Off by default.
	AsyncCommit bool
	// RequestLogQueue bounds the request log entries waiting to be
	// written (api.DefaultRequestLogQueue); more are dropped and counted.
	RequestLogQueue int
	// MigrationsDir is the app's migrations folder (see MigrationsDir:
	// DIR/migrations or PocketBase's pb_migrations when empty). The
	// server applies the pending ones when it starts.
	MigrationsDir string
	// EgressAllow lists private addresses and CIDR ranges the server may
	// fetch from for users (OAuth2 avatars); every other private,
	// loopback or link-local address is refused (see server/egress).
	EgressAllow []string
	// Automigrate writes a JS migration of every schema change made on
	// this node (in the dashboard or through the API) into the
	// migrations folder, recorded as applied.
	Automigrate bool
	// Plugins are the plugins to start, those the settings do not
	// disable (nil: every plugin registered in the binary, see
	// plugins.Register).
	Plugins []plugins.Plugin
}

// node returns the settings c fixes on this node.
func (c *Config) node() settings.Node {
	return settings.Node{Origins: c.Origins, TrustedProxies: c.TrustedProxies, ProxyHeader: c.ProxyHeader}
}

func (c *Config) defaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8090"
	}
	if c.Dir == "" {
		c.Dir = "lb_data"
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = 32 << 20
	}
	if c.EventRetention == 0 {
		c.EventRetention = 24 * time.Hour
	}
	if c.EventHold == 0 {
		c.EventHold = 7 * 24 * time.Hour
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Server is a running Lumbung node.
type Server struct {
	cfg   Config
	pg    *localpg.Server // nil with an external database
	db    *postgres.DB
	svc   *collections.Service
	app   *fiber.App
	auth  *auth.Authenticator
	token *auth.Issuer
	setup *setup

	dsn      string
	enforcer *rbac.Enforcer
	access   *accessControl
	hub      *realtime.Hub
	totals   *postgres.Totals // list totals, kept while the tailer runs
	throttle *auth.Throttle
	settings *settings.Service
	hooks    *plugins.Hooks
	relay    *relay // realtime requests for clients on other nodes
	// requests writes the request log, from Run's background work.
	requests *api.RequestLog
	plugins  []plugins.Plugin // started, cleaned up by Close
	// registry holds the node's metrics, served at GET /metrics.
	registry *prometheus.Registry
	// backups keeps the database's backups in <Dir>/backups.
	backups *backup.Manager
	// backupCron is the schedule of automatic backups in the cron
	// (empty: none); only scheduleBackups uses it.
	backupCron string
	// cron runs the plugins' cron jobs, from Run's background work.
	cron *cron.Scheduler
	// tailer follows the change log while Run runs (nil otherwise).
	tailer atomic.Pointer[realtime.Tailer]
	// files keeps the files of records.
	files *recordFiles
}

// New connects to the database (starting the private PostgreSQL when no URL
// is configured), brings the system schema up to date and builds the API.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg.defaults()
	if err := cfg.node().Check(); err != nil {
		return nil, err
	}
	s, err := open(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	// The app's migrations bring its schema up to date before anything
	// else runs on it.
	migs, err := s.applyMigrations(ctx)
	if err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if cfg.Automigrate {
		s.bindAutomigrate(migs)
	}
	m, err := s.newMetrics()
	if err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.hub = realtime.NewHub(realtime.HubConfig{Records: s.svc, Logger: cfg.Logger, Log: postgres.NewEvents(s.db), Hooks: s.hooks.Realtime,
		DeliveryLag: m.DeliveryLag})
	if err := m.Register(metrics.NewHubCollector(s.hub)); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.throttle = auth.NewThrottle(auth.ThrottleConfig{Log: postgres.NewAuthFailures(s.db), Now: cfg.Clock})
	s.settings = settings.New(postgres.NewParamStore(s.db), settings.Defaults(appURL(cfg.HTTPAddr)), cfg.Clock, cfg.Logger)
	s.settings.Fix(cfg.node())
	st, err := s.settings.Get(ctx)
	if err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.settings.Forget() // requests read them afresh, as changed meanwhile
	s.files.settings = s.settings
	removeStaleUploads(filepath.Join(cfg.Dir, "uploads"), time.Now(), cfg.Logger)
	egressAllow, err := egress.ParseAllow(cfg.EgressAllow)
	if err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("egress allow: %w", err)
	}
	cronRuns := metrics.NewCronRuns()
	if err := m.Register(cronRuns); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.cron = cron.New(cron.Config{Runs: cronpg.NewRuns(s.db.Pool), Node: cronNode(), Now: cfg.Clock, Logger: cfg.Logger,
		Observe: func(r cron.Run) { cronRuns.Observe(r.Job, r.Error != "", r.Duration()) }})
	if err := s.cron.Add(cron.CleanupJob, "@hourly", s.cron.Cleanup); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := s.cron.Add(filesSweepJob, "@hourly", s.sweepFiles); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	list := cfg.Plugins
	if list == nil {
		list = plugins.Registered()
	}
	routes, started, err := s.startPlugins(ctx, list, st)
	if err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.plugins = started
	s.relay = newRelay(s.db)
	s.requests = api.NewRequestLog(api.RequestLogConfig{Store: postgres.NewRequestLogs(s.db), Queue: cfg.RequestLogQueue, Logger: cfg.Logger})
	if err := m.Register(metrics.NewRequestLogCollector(s.requests.Dropped)); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	if s.backups, err = s.newBackups(); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.app, err = api.New(api.Deps{
		Collections:       s.svc,
		Auth:              s.auth,
		Issuer:            s.token,
		Decider:           s.enforcer,
		Access:            s.access,
		Ping:              s.db.Ping,
		Unavailable:       postgres.Unavailable,
		Refresh:           s.reloadShared,
		Logger:            cfg.Logger,
		BodyLimit:         cfg.BodyLimit,
		UploadDir:         filepath.Join(cfg.Dir, "uploads"),
		Egress:            egress.Client(10*time.Second, egressAllow, "the server"),
		Files:             s.files,
		Settings:          s.settings,
		Throttle:          s.throttle,
		Sessions:          postgres.NewAuthSessions(s.db),
		RateCounter:       postgres.NewRateLimits(s.db),
		Now:               cfg.Clock,
		Realtime:          s.hub,
		RealtimeRetention: cfg.EventRetention,
		RealtimeRelay:     s.relay,
		RequestLog:        s.requests,
		Dashboard:         cfg.Dashboard,
		Setup:             s.setup,
		Routes:            routes,
		Hooks:             s.hooks.API,
		MailHooks:         s.hooks.Mail,
		Metrics:           m,
		Backups:           s.backups,
		Crons:             s.cron,
		Insights:          &api.Insights{Store: postgres.NewInsights(s.db), Samples: collections.NewListSamples()},
		Audit:             postgres.NewAudit(s.db),
	})
	if err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

// open starts the storage side: database, migrations, schema cache, tokens.
// attach is for short-lived commands that share a running server's cluster.
func open(ctx context.Context, cfg Config, attach bool) (s *Server, err error) {
	s = &Server{cfg: cfg, totals: postgres.NewTotals()}
	defer func() {
		if err != nil {
			s.Close(context.WithoutCancel(ctx))
		}
	}()
	dsn := cfg.DatabaseURL
	if dsn == "" {
		s.pg, err = localpg.Start(ctx, localpg.Config{Dir: cfg.Dir, Logger: cfg.Logger, Attach: attach})
		if err != nil {
			return s, err
		}
		dsn = s.pg.URL()
	}
	if s.db, err = postgres.OpenWith(ctx, dsn, postgres.Options{MaxConns: cfg.MaxConns, AsyncCommit: cfg.AsyncCommit}); err != nil {
		return s, err
	}
	if err = s.db.Migrate(ctx); err != nil {
		return s, err
	}
	var secret string
	if err = postgres.NewParamStore(s.db).Ensure(ctx, "tokenSecret", randomHex(32), &secret); err != nil {
		return s, err
	}
	s.token = auth.NewIssuer([]byte(secret))
	s.dsn = dsn
	rbacStore := rbacpg.NewStore(s.db.Bun)
	if s.enforcer, err = rbac.NewEnforcer(ctx, rbacStore); err != nil {
		return s, err
	}
	s.access = &accessControl{db: s.db.Bun, store: rbacStore, enforcer: s.enforcer}
	schema := postgres.NewSchemaStore(s.db)
	schema.OnApply(s.access.syncRules)
	s.files = newRecordFiles(cfg.Dir, cfg.Logger)
	s.svc = collections.NewService(collections.Config{
		Schema:        schema,
		Records:       postgres.NewRecordStore(s.db, s.totals),
		Logger:        cfg.Logger,
		HashPassword:  auth.Hasher(cfg.PasswordCost),
		CheckPassword: auth.CheckPassword,
		CheckRule:     api.CheckCondition,
		Files:         s.files,
	})
	s.hooks = &plugins.Hooks{Hooks: s.svc.Hooks(), API: &api.Hooks{}, Realtime: &realtime.Hooks{}, Mail: &lmail.Hooks{}}
	s.bindHooks()
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	s.setup = &setup{svc: s.svc, params: postgres.NewParamStore(s.db), now: now}
	if err = s.svc.Reload(ctx); err != nil {
		return s, err
	}
	if err = bootstrap(ctx, s.svc); err != nil {
		return s, err
	}
	s.auth = auth.NewAuthenticator(s.svc, s.token, cfg.Clock)
	return s, nil
}

// bindHooks binds what the server itself does after record writes.
func (s *Server) bindHooks() {
	h := s.svc.Hooks()
	forget := func(e *collections.RecordEvent) error {
		if e.Collection.Type == collections.TypeAuth && s.auth != nil {
			s.auth.Forget(e.Collection.ID, e.Record.ID())
		}
		return e.Next()
	}
	h.OnRecordAfterUpdate().BindFunc(forget)
	// A dropped collection's files go with it.
	h.OnCollectionAfterDelete().BindFunc(func(e *collections.CollectionEvent) error {
		if e.Collection.Type != collections.TypeView {
			s.files.forget(e.Collection.ID + "/")
		}
		return e.Next()
	})
	h.OnRecordAfterDelete().BindFunc(func(e *collections.RecordEvent) error {
		if e.Collection.Type == collections.TypeAuth {
			// Its rules went with it (a trigger): enforce that here at once.
			if err := s.enforcer.Reload(e.Context); err != nil {
				s.cfg.Logger.Error("reload policies", "err", err)
			}
		}
		return forget(e)
	})
	// OTPs, MFA sessions and sign-in origins go with their record or
	// collection, as in PocketBase.
	sessions := postgres.NewAuthSessions(s.db)
	h.OnRecordAfterDelete().BindFunc(func(e *collections.RecordEvent) error {
		if e.Collection.Type == collections.TypeAuth {
			if err := sessions.Forget(e.Context, e.Collection.ID, e.Record.ID()); err != nil {
				s.cfg.Logger.Error("forget auth sessions", "err", err)
			}
		}
		return e.Next()
	})
	h.OnCollectionAfterDelete().BindFunc(func(e *collections.CollectionEvent) error {
		if e.Collection.Type == collections.TypeAuth {
			if err := sessions.Forget(e.Context, e.Collection.ID, ""); err != nil {
				s.cfg.Logger.Error("forget auth sessions", "err", err)
			}
		}
		return e.Next()
	})
	// A schema change replaced the guest policies of its rules in its
	// transaction: enforce them here at once.
	reload := func(e *collections.CollectionEvent) error {
		if err := s.enforcer.Reload(e.Context); err != nil {
			s.cfg.Logger.Error("reload policies", "err", err)
		}
		return e.Next()
	}
	h.OnCollectionAfterCreate().BindFunc(reload)
	h.OnCollectionAfterUpdate().BindFunc(reload)
	h.OnCollectionAfterDelete().BindFunc(reload)
	h.OnRecordAfterCreate(collections.SuperusersName).BindFunc(func(e *collections.RecordEvent) error {
		// A superuser exists: the first-run link is spent.
		if err := s.setup.burn(e.Context); err != nil {
			s.cfg.Logger.Error("burn the setup link", "err", err)
		}
		return e.Next()
	})
}

// appURL is the default public URL of a server listening on addr, until
// the settings name another.
func appURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://127.0.0.1:8090"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return hex.EncodeToString(b)
}

// prune deletes captured changes older than the retention window (those
// a durable consumer still needs up to EventHold),
// failed sign-ins older than the throttle's window, rate limit counters
// whose window ended and requests the logs settings no longer keep, now
// and then at a tenth of the retention (at most every 10 minutes), until
// ctx ends. Every node prunes; the deletes are
// idempotent.
func (s *Server) prune(ctx context.Context) {
	every := min(s.cfg.EventRetention/10, 10*time.Minute)
	events := postgres.NewEvents(s.db)
	failures := postgres.NewAuthFailures(s.db)
	limits := postgres.NewRateLimits(s.db)
	relayed := postgres.NewRealtimeRequests(s.db)
	sessions := postgres.NewAuthSessions(s.db)
	now := time.Now
	if s.cfg.Clock != nil {
		now = s.cfg.Clock
	}
	for {
		if n, err := events.Prune(ctx, s.cfg.EventRetention, s.cfg.EventHold); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("prune events", "err", err)
		} else if n > 0 {
			s.cfg.Logger.Info("pruned events", "count", n)
		}
		if _, err := failures.Prune(ctx, s.throttle.Expired()); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("prune auth failures", "err", err)
		}
		if _, err := limits.Prune(ctx, now()); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("prune rate limits", "err", err)
		}
		// OTPs and MFA sessions last a day at most.
		if _, err := relayed.Prune(ctx, now().Add(-time.Minute)); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("prune relayed realtime requests", "err", err)
		}
		if _, err := sessions.Prune(ctx, now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("prune auth sessions", "err", err)
		}
		// Requests older than the logs settings' maxDays.
		if st, err := s.settings.Get(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("prune request log", "err", err)
		} else if err == nil {
			if err := s.requests.Prune(ctx, st.Logs, now()); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Error("prune request log", "err", err)
			}
			// Audit entries older than the audit settings' retentionDays.
			if _, err := postgres.NewAudit(s.db).PruneAudit(ctx, st.Audit.After(now())); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Error("prune audit", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// reloadShared reloads what other nodes may have changed: the settings
// (read again on next use), the schema cache, then the policies.
func (s *Server) reloadShared(ctx context.Context) error {
	if s.settings != nil {
		s.settings.Forget()
	}
	return s.reloadRules(ctx)
}

// reloadRules reloads the schema cache and the policies.
func (s *Server) reloadRules(ctx context.Context) error {
	// Both are read before either is used: a request never sees a new
	// collection without its policies, or policies without their
	// collection, for longer than two pointer swaps.
	schema, err := s.svc.Load(ctx)
	if err != nil {
		return err
	}
	policies, err := s.enforcer.Load(ctx)
	if err != nil {
		return err
	}
	schema()
	policies()
	return nil
}

// newMetrics builds the node's registry with the request metrics and the
// collectors of the database pool and of the change log.
func (s *Server) newMetrics() (*metrics.Metrics, error) {
	s.registry = prometheus.NewRegistry()
	m, err := metrics.New(s.registry, s.cfg.Logger)
	if err != nil {
		return nil, err
	}
	err = m.Register(metrics.NewPoolCollector(s.db.Pool), metrics.NewChangeLogCollector(metrics.ChangeLog{
		Last: postgres.NewEvents(s.db).Last,
		Consumers: map[string]func() (int64, bool){"realtime": func() (int64, bool) {
			if t := s.tailer.Load(); t != nil {
				return t.Seq(), true
			}
			return 0, false
		}},
		Logger: s.cfg.Logger,
	}))
	return m, err
}

// Registry returns the registry of the node's metrics, served at GET
// /metrics; an embedding program may register its own collectors on it.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// App returns the HTTP handler, for in-process tests.
func (s *Server) App() *fiber.App { return s.app }

// Collections returns the collections service.
func (s *Server) Collections() *collections.Service { return s.svc }

// Hooks returns the server's hook points (see plugins.Hooks).
func (s *Server) Hooks() *plugins.Hooks { return s.hooks }

// Run serves HTTP until ctx is cancelled, then stops accepting connections,
// lets in-flight requests finish (up to ShutdownTimeout) and closes the
// database. ready, if not nil, receives the listening address.
func (s *Server) Run(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return err
	}
	// One connection listens for every change made by other nodes.
	listener, err := postgres.NewListener(postgres.ListenerConfig{DSN: s.dsn, Logger: s.cfg.Logger})
	if err != nil {
		ln.Close()
		return err
	}
	listener.Subscribe(s.reloadRules, rbacpg.Channel, postgres.SchemaChannel)
	listener.Subscribe(s.relay.serve, postgres.RealtimeChannel)
	listener.Subscribe(s.relay.answered, postgres.RealtimeAnswersChannel)
	listener.Subscribe(func(context.Context) error { s.settings.Forget(); return nil }, postgres.ParamsChannel)
	listener.Subscribe(s.scheduleBackups, postgres.ParamsChannel)
	// Every node runs the audit consumer; one at a time does the work.
	auditor := collections.NewAuditor(postgres.NewAudit(s.db), s.svc, s.cfg.Logger)
	listener.Subscribe(func(context.Context) error { auditor.Wake(); return nil }, postgres.EventsChannel)
	var tailer *realtime.Tailer
	if s.hub != nil {
		// Every change committed once the server says it is serving reaches
		// subscribers: the tailer starts after the log as it is now.
		events := postgres.NewEvents(s.db)
		start, err := events.Last(ctx)
		if err != nil {
			ln.Close()
			return err
		}
		tailer = realtime.NewTailer(realtime.Config{
			Events: events,
			Start:  start,
			Deliver: func(e realtime.Event) {
				s.totals.Changed(e.CollectionID)
				// A changed auth record (a new password or token key, made
				// on any node) is not trusted from the token cache again.
				c, ok := s.svc.Collection(e.CollectionID)
				if ok && c.Type == collections.TypeAuth && e.Action != "create" {
					s.auth.Forget(e.CollectionID, e.RecordID)
				}
				if ok {
					s.files.changed(c, e)
				}
				s.hub.Publish(e)
			},
			Logger: s.cfg.Logger,
		})
		listener.Subscribe(func(context.Context) error { tailer.Wake(); return nil }, postgres.EventsChannel)
		s.tailer.Store(tailer)
		defer s.tailer.Store(nil)
		s.totals.Follow(tailer.Seq)
		defer s.totals.Follow(nil)
	}
	// The background work stops, and is waited for, when Run returns.
	bgCtx, stopBackground := context.WithCancel(context.Background())
	var background sync.WaitGroup
	defer func() { stopBackground(); background.Wait() }()
	background.Go(func() { listener.Run(bgCtx) }) //nolint:errcheck // returns nil when stopped
	background.Go(func() { s.prune(bgCtx) })
	background.Go(func() { s.files.deleteGone(bgCtx) })
	background.Go(func() { s.cron.Run(bgCtx) }) //nolint:errcheck // returns nil when stopped
	background.Go(func() { auditor.Run(bgCtx) })
	// Stopped when Run returns, after in-flight requests finished: its
	// last write holds their entries.
	background.Go(func() { s.requests.Run(bgCtx) })
	if tailer != nil {
		background.Go(func() {
			if err := tailer.Run(bgCtx); err != nil {
				s.cfg.Logger.Error("realtime", "err", err)
			}
		})
	}
	if err := s.hooks.OnServe().Trigger(&plugins.ServeEvent{Context: ctx, App: s.app, Addr: ln.Addr().String()}); err != nil {
		ln.Close()
		return err
	}
	s.cfg.Logger.Info("serving", "addr", "http://"+ln.Addr().String())
	if ready != nil {
		ready(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- s.app.Listener(api.LingeringListener(ln)) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.cfg.Logger.Info("shutting down: finishing in-flight requests")
	if s.hub != nil {
		s.hub.Close(realtime.ReasonGoingAway)
	}
	if err := s.app.ShutdownWithTimeout(s.cfg.ShutdownTimeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		s.cfg.Logger.Error("shutdown", "err", err)
	}
	if err := s.hooks.OnTerminate().Trigger(&plugins.TerminateEvent{Context: context.WithoutCancel(ctx)}); err != nil {
		s.cfg.Logger.Error("terminate hook", "err", err)
	}
	return nil
}

// cronNode names this node in the cron runs it records: the host name
// and a random suffix, as several nodes may share a host.
func cronNode() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	return host + "-" + randomHex(4)
}

// Close releases the database and stops the private PostgreSQL if this
// server started it.
func (s *Server) Close(ctx context.Context) {
	if s.cron != nil {
		s.cron.Stop() // manual runs started outside Run
	}
	if err := cleanup(s.plugins); err != nil {
		s.cfg.Logger.Error("plugins", "err", err)
	}
	s.plugins = nil
	if s.db != nil {
		s.db.Close()
	}
	if s.pg != nil {
		if err := s.pg.Stop(ctx); err != nil {
			s.cfg.Logger.Error("stop postgres", "err", err)
		}
	}
}
