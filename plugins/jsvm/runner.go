package jsvm

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/plugins"
)

// runner is the plugin at work for one server: the current generation of
// loaded scripts, and what it bound on the server.
type runner struct {
	host   plugins.Host
	log    *slog.Logger
	cfg    Config
	dir    string
	allow  []netip.Prefix // $http.send may reach these private ranges
	client *http.Client   // $http.send's

	gen atomic.Pointer[generation]

	mu     sync.Mutex           // serializes loads and the bindings below
	bound  map[string]func()    // hook name -> unbind
	routes map[string]bool      // route keys registered at start
	crons  map[string]string    // job name -> expression scheduled
	stop   chan struct{}        // closes to stop the watcher
	done   chan struct{}        // closed when the watcher stopped
	stamps map[string]fileStamp // the files the current generation loaded
}

func newRunner(host plugins.Host, cfg Config, dir string, allow []netip.Prefix) *runner {
	return &runner{host: host, log: host.Logger(), cfg: cfg, dir: dir, allow: allow, client: httpClient(allow),
		bound: map[string]func(){}, routes: map[string]bool{}, crons: map[string]string{}}
}

// current returns the generation handlers run on.
func (r *runner) current() *generation { return r.gen.Load() }

// start loads the scripts and binds their hooks, routes and jobs.
func (r *runner) start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	stamps, err := scan(r.dir)
	if err != nil {
		return err
	}
	g, err := load(r, stamps)
	if err != nil {
		return err
	}
	for _, rt := range g.shape.routes {
		if err := r.addRoute(rt); err != nil {
			return err
		}
	}
	r.gen.Store(g)
	r.stamps = stamps
	r.syncHooks(g)
	if err := r.syncCrons(g, true); err != nil {
		return err
	}
	r.log.Info("JS hooks loaded", "dir", r.dir, "files", len(g.files))
	return nil
}

// reload loads the scripts again after a change: a generation that
// loads replaces the current one, and the hooks and jobs follow it; one
// that fails is logged and the current one stays.
func (r *runner) reload(stamps map[string]fileStamp) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stamps = stamps
	g, err := load(r, stamps)
	if err != nil {
		r.log.Error("JS hooks not reloaded: the current ones stay", "err", err)
		return
	}
	for _, rt := range g.shape.routes {
		if !r.routes[rt.key] {
			r.log.Warn("JS route added after the start: it is served after a restart", "route", rt.key)
		}
	}
	r.gen.Store(g)
	r.syncHooks(g)
	if err := r.syncCrons(g, false); err != nil {
		r.log.Error("JS cron", "err", err)
	}
	if err := r.bootstrap(context.Background()); err != nil {
		r.log.Error("JS onBootstrap", "err", err)
	}
	r.log.Info("JS hooks reloaded", "dir", r.dir, "files", len(g.files))
}

// bootstrap runs the onBootstrap handlers of the current scripts: at the
// start, before the server serves, and after each reload, as PocketBase
// runs them again when a change restarts it; on every node.
func (r *runner) bootstrap(ctx context.Context) error {
	return r.dispatch("onBootstrap", nil, ctx, nil, func() error { return nil }, func(*vmState, *goja.Object) error { return nil })
}

// syncHooks binds a dispatcher on each hook point g uses and unbinds
// those it no longer uses, so hook points without JS handlers cost
// nothing.
func (r *runner) syncHooks(g *generation) {
	want := map[string]bool{}
	for _, h := range g.shape.hooks {
		want[h.name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(r.bound)) {
		if !want[name] {
			r.bound[name]()
			delete(r.bound, name)
		}
	}
	for _, h := range g.shape.hooks { // in the order of the files
		if _, ok := r.bound[h.name]; !ok {
			r.bound[h.name] = bindHook(r, h.name)
		}
	}
}
