// Package plugins extends Lumbung with Go code compiled into the binary.
//
// A plugin is a Go package with a value implementing Plugin: an ID and a
// Register method that binds hooks and adds routes through a Host. A
// plugin package registers itself from an init function with Register;
// a binary includes it by importing the package (first-party plugins are
// bundled with blank imports in one file of the command). At start the
// server registers every plugin the settings do not disable, in ID order,
// validates those that implement Validator, then provisions those that
// implement Provisioner; at shutdown it cleans up those that implement
// Cleaner.
package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/cron"
	"github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/settings"
)

// Plugin is one extension of the server.
type Plugin interface {
	// ID names the plugin: lower-case letters, digits, '-' and '.', unique
	// in a binary (such as "example" or "acme.audit"). The settings
	// enable and configure plugins by it.
	ID() string
	// Register binds the plugin's hooks and routes. An error stops the
	// server from starting.
	Register(host Host) error
}

// Validator is a plugin that checks its configuration once it is
// registered, before any plugin is provisioned (Caddy's Validate): an
// error stops the start before anything was set up.
type Validator interface {
	Validate() error
}

// Provisioner is a plugin with work to do once every plugin is
// registered and before the server serves (Caddy's Provision).
type Provisioner interface {
	Provision(ctx context.Context) error
}

// Cleaner is a plugin with resources to release at shutdown.
type Cleaner interface {
	Cleanup() error
}

// Host is what a plugin sees of the server it extends.
type Host interface {
	// Hooks are the server's hook points.
	Hooks() *Hooks
	// Route adds a route under /api with Lumbung's authentication, rate
	// limits and error answers; api.CallerOf tells the handler who asks.
	Route(r api.Route)
	// Records returns record operations on behalf of caller (from
	// api.CallerOf), or as the system itself with collections.System.
	Records(caller collections.Caller) *collections.Records
	// Collection finds a collection by id or name.
	Collection(idOrName string) (*collections.Collection, bool)
	// Logger logs with the plugin's id.
	Logger() *slog.Logger
	// Cron schedules the plugin's jobs: Cron().Add(id, "*/5 * * * *",
	// fn) runs fn at those minutes (UTC), once across every node of the
	// database. Ids are shared by every plugin; a taken id is refused.
	Cron() *cron.Scheduler
	// DataDir is the server's data directory (the --dir flag): a plugin
	// keeps its files under it, as the JS hooks in DataDir/hooks.
	DataDir() string
	// Pool is the server's PostgreSQL connection pool: a plugin keeps its
	// state in tables of its own (named _<id>…, created in Provision) or
	// reads the system tables it is documented to read (such as the
	// change log, _events, and _event_consumers for its position in it).
	Pool() *pgxpool.Pool
	// Metrics registers the plugin's collectors with the node's metrics
	// (GET /metrics).
	Metrics() prometheus.Registerer
	// Mailer returns the mailer of the current SMTP settings (through the
	// mail hooks); EINVALID when SMTP is not enabled.
	Mailer(ctx context.Context) (mail.Mailer, error)
	// AuthMails sends the auth flows' emails of a record (verification,
	// password reset, email change) as the API sends them.
	AuthMails() *api.AuthMails
	// Settings are the settings in force on this node (secrets included:
	// never answer them to a caller).
	Settings(ctx context.Context) settings.Settings
	// Config decodes the plugin's configuration from the settings
	// ("plugins": {"<id>": {"config": {…}}}) into v; it leaves v as it is
	// when there is none.
	Config(v any) error
}

// registry holds the plugins of the binary. It is filled from init
// functions, only ever added to, and read when a server starts: the one
// package-level registry, as Caddy and database/sql keep theirs.
var registry = struct {
	sync.Mutex
	byID map[string]Plugin
}{byID: map[string]Plugin{}}

// Register adds p to the plugins of the binary. It panics when the ID is
// malformed or already registered: two plugins of one ID cannot both run.
func Register(p Plugin) {
	id := p.ID()
	if err := CheckID(id); err != nil {
		panic(err)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.byID[id]; dup {
		panic(fmt.Sprintf("plugins: %q is registered twice", id))
	}
	registry.byID[id] = p
}

// Registered returns the plugins of the binary in ID order.
func Registered() []Plugin {
	registry.Lock()
	defer registry.Unlock()
	out := make([]Plugin, 0, len(registry.byID))
	for _, p := range registry.byID {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Plugin) int { return strings.Compare(a.ID(), b.ID()) })
	return out
}

// CheckID reports whether id is a well-formed plugin ID.
func CheckID(id string) error { return settings.CheckPluginID(id) }
