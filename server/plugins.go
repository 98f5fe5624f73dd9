package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/cron"
	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/settings"
)

// host is the plugins.Host of one plugin.
type host struct {
	id       string
	hooks    *plugins.Hooks
	svc      *collections.Service
	log      *slog.Logger
	config   []byte
	routes   *[]api.Route
	cron     *cron.Scheduler
	dir      string
	pool     *pgxpool.Pool
	reg      prometheus.Registerer
	settings *settings.Service
	mails    *api.AuthMails
}

var _ plugins.Host = (*host)(nil)

func (h *host) Hooks() *plugins.Hooks { return h.hooks }

func (h *host) Route(r api.Route) { *h.routes = append(*h.routes, r) }

func (h *host) Records(caller collections.Caller) *collections.Records {
	if u, ok := caller.(collections.Unrestricted); ok && u.AuthRecord == nil {
		// The plugin's own writes name it in the change log.
		return h.svc.RecordsAs(caller).WithActor("plugin:" + h.id)
	}
	return h.svc.RecordsAs(caller)
}

func (h *host) Collection(idOrName string) (*collections.Collection, bool) {
	return h.svc.Collection(idOrName)
}

func (h *host) Logger() *slog.Logger { return h.log }

func (h *host) Cron() *cron.Scheduler { return h.cron }

func (h *host) DataDir() string { return h.dir }

func (h *host) Pool() *pgxpool.Pool { return h.pool }

func (h *host) Metrics() prometheus.Registerer { return h.reg }

func (h *host) AuthMails() *api.AuthMails { return h.mails }

func (h *host) Settings(ctx context.Context) settings.Settings { return h.settings.Effective(ctx) }

func (h *host) Mailer(ctx context.Context) (lmail.Mailer, error) {
	st := h.settings.Effective(ctx)
	if !st.SMTP.Enabled {
		return nil, collections.Errorf(collections.EINVALID, "Email delivery is not configured: enable SMTP in the settings.")
	}
	return h.hooks.Mail.Mailer(&lmail.SMTP{Config: st.SMTP.Config()}), nil
}

func (h *host) Config(v any) error {
	if len(h.config) == 0 {
		return nil
	}
	if err := json.Unmarshal(h.config, v); err != nil {
		return fmt.Errorf("plugin %s: configuration: %w", h.id, err)
	}
	return nil
}

// startPlugins registers the plugins the settings do not disable, in ID
// order, validates and provisions them; it returns the routes they added (api.New
// checks them) and the plugins to clean up at shutdown. Two plugins of one
// ID, or a failing Register, Validate or Provision, stop the start.
func (s *Server) startPlugins(ctx context.Context, list []plugins.Plugin, st settings.Settings) ([]api.Route, []plugins.Plugin, error) {
	var routes []api.Route
	var started []plugins.Plugin
	seen := map[string]bool{}
	for _, p := range list {
		id := p.ID()
		if err := plugins.CheckID(id); err != nil {
			return nil, nil, err
		}
		if seen[id] {
			return nil, nil, fmt.Errorf("plugin %q is registered twice", id)
		}
		seen[id] = true
		entry := st.Plugins[id]
		if entry.Off() {
			s.cfg.Logger.Info("plugin disabled by the settings", "plugin", id)
			continue
		}
		h := &host{id: id, hooks: s.hooks, svc: s.svc, log: s.cfg.Logger.With("plugin", id), config: entry.Config, routes: &routes, cron: s.cron, dir: s.cfg.Dir,
			pool: s.db.Pool, reg: s.registry, settings: s.settings, mails: &api.AuthMails{Settings: s.settings, Issuer: s.token, Hooks: s.hooks.Mail}}
		if err := p.Register(h); err != nil {
			return nil, nil, fmt.Errorf("plugin %s: %w", id, err)
		}
		started = append(started, p)
	}
	for _, p := range started {
		if v, ok := p.(plugins.Validator); ok {
			if err := v.Validate(); err != nil {
				return nil, nil, fmt.Errorf("plugin %s: %w", p.ID(), err)
			}
		}
	}
	for _, p := range started {
		if pv, ok := p.(plugins.Provisioner); ok {
			if err := pv.Provision(ctx); err != nil {
				return nil, nil, errors.Join(fmt.Errorf("plugin %s: provision: %w", p.ID(), err), cleanup(started))
			}
		}
	}
	return routes, started, nil
}

// cleanup releases what the plugins hold, in the reverse order of their
// start.
func cleanup(started []plugins.Plugin) error {
	var errs []error
	for i := len(started) - 1; i >= 0; i-- {
		if c, ok := started[i].(plugins.Cleaner); ok {
			if err := c.Cleanup(); err != nil {
				errs = append(errs, fmt.Errorf("plugin %s: cleanup: %w", started[i].ID(), err))
			}
		}
	}
	return errors.Join(errs...)
}
