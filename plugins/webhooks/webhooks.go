// Package webhooks sends record changes to HTTP endpoints: a webhook names
// a collection (or every one), the actions it wants (create, update,
// delete), a target URL, a secret that signs each request and an optional
// filter on the record. Changes are read from the durable change log
// (_events), so writes made by plain SQL, cascades and other nodes are
// delivered too, in seq order, each webhook by one node at a time (a
// lease in PostgreSQL), from a position that moves in the same
// transaction as the delivery log row: exactly once per webhook under
// normal operation, at least once after a crash. Failures are retried
// with exponential backoff and jitter; a webhook failing MaxFailures
// times in a row is disabled with the reason. Targets on loopback,
// link-local, private, unspecified or multicast addresses are refused
// where the connection is made, unless Config.Allow lists them.
//
// Superusers manage webhooks at /api/webhooks (see routes.go).
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	wpg "github.com/lumbunghq/lumbung/plugins/webhooks/postgres"
	"github.com/lumbunghq/lumbung/server/egress"
)

func init() { plugins.Register(&Plugin{}) }

// ID is the plugin's ID in the settings: {"plugins": {"webhooks": {...}}}.
const ID = "webhooks"

// Config configures the plugin; the settings' "config" object of the
// plugin decodes into it (durations as Go writes them: "10s", "1h").
type Config struct {
	// Allow lists address ranges (CIDR, such as "10.0.0.0/8", or single
	// addresses) that targets may resolve to although they are loopback,
	// link-local, private, unspecified or multicast addresses.
	Allow []string `json:"allow,omitempty"`
	// Timeout bounds one request, from the connection to the end of the
	// answer (default 10s).
	Timeout plugins.Duration `json:"timeout,omitempty"`
	// RetryBase is the wait after a first failure (default 10s); each
	// failure in a row doubles it, up to RetryMax (default 1h), and the
	// wait is drawn between half of that and all of it (jitter).
	RetryBase plugins.Duration `json:"retryBase,omitempty"`
	RetryMax  plugins.Duration `json:"retryMax,omitempty"`
	// MaxFailures is how many failed attempts in a row disable a
	// webhook (default 20).
	MaxFailures int `json:"maxFailures,omitempty"`
	// Poll is how often the change log is read for changes not made
	// through this node, such as plain SQL (default 1s).
	Poll plugins.Duration `json:"poll,omitempty"`
	// Workers bounds the webhooks this node delivers to at once
	// (default 4).
	Workers int `json:"workers,omitempty"`
	// LogRetention is how long the delivery log is kept (default 168h).
	LogRetention plugins.Duration `json:"logRetention,omitempty"`
}

func (c *Config) defaults() {
	def := func(d *plugins.Duration, v time.Duration) {
		if *d <= 0 {
			*d = plugins.Duration(v)
		}
	}
	def(&c.Timeout, 10*time.Second)
	def(&c.RetryBase, 10*time.Second)
	def(&c.RetryMax, time.Hour)
	def(&c.Poll, time.Second)
	def(&c.LogRetention, 7*24*time.Hour)
	if c.MaxFailures <= 0 {
		c.MaxFailures = 20
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
}

// Plugin is the webhooks plugin. Its Config holds defaults the settings
// override. A Plugin serves one server: a program running several
// servers gives each its own (server.Config.Plugins).
type Plugin struct {
	Config Config

	store   *wpg.Store
	deliver *deliverer
	stop    context.CancelFunc
	done    sync.WaitGroup
}

var (
	_ plugins.Plugin      = (*Plugin)(nil)
	_ plugins.Provisioner = (*Plugin)(nil)
	_ plugins.Cleaner     = (*Plugin)(nil)
)

// ID implements plugins.Plugin.
func (p *Plugin) ID() string { return ID }

// Register reads the configuration, adds the routes and metrics, and
// binds the record hooks that wake the deliverer after local writes.
func (p *Plugin) Register(host plugins.Host) error {
	if p.stop != nil {
		return errors.New("webhooks: this plugin value serves a running server already; give each server its own (server.Config.Plugins)")
	}
	cfg := p.Config
	if err := host.Config(&cfg); err != nil {
		return err
	}
	cfg.defaults()
	allow, err := egress.ParseAllow(cfg.Allow)
	if err != nil {
		return err
	}
	if host.Pool() == nil {
		return errors.New("webhooks: the host has no database")
	}
	p.store = wpg.NewStore(host.Pool())
	p.deliver = newDeliverer(p.store, host, cfg, allow)
	if reg := host.Metrics(); reg != nil {
		if err := reg.Register(p.deliver.metrics); err != nil {
			return fmt.Errorf("webhooks: metrics: %w", err)
		}
	}
	api := &handlers{store: p.store, host: host, deliver: p.deliver, allow: allow}
	for _, r := range api.routes() {
		host.Route(r)
	}
	wake := func(e *collections.RecordEvent) error {
		p.deliver.Wake()
		return e.Next()
	}
	h := host.Hooks()
	h.OnRecordAfterCreate().BindFunc(wake)
	h.OnRecordAfterUpdate().BindFunc(wake)
	h.OnRecordAfterDelete().BindFunc(wake)
	return host.Cron().Add("webhooks.prune", "@hourly", func(ctx context.Context) error {
		_, err := p.store.PruneDeliveries(ctx, time.Now().Add(-time.Duration(cfg.LogRetention)))
		return err
	})
}

// Provision creates the plugin's tables and starts delivering.
func (p *Plugin) Provision(ctx context.Context) error {
	if err := p.store.Provision(ctx); err != nil {
		return err
	}
	ctx, p.stop = context.WithCancel(context.WithoutCancel(ctx))
	p.done.Go(func() { p.deliver.run(ctx) })
	return nil
}

// Cleanup stops delivering and waits for the deliveries under way.
func (p *Plugin) Cleanup() error {
	if p.stop != nil {
		p.stop()
		p.done.Wait()
		p.stop = nil
	}
	return nil
}

// logger is the plugin's logger of host, or the default one.
func logger(host plugins.Host) *slog.Logger {
	if l := host.Logger(); l != nil {
		return l
	}
	return slog.Default()
}
