package jsvm

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/server/api"
)

// fileStamp tells whether a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

// scan lists the files of the hooks folder (every file, so a changed
// module is noticed too; not node_modules nor hidden folders) with their
// stamps, keyed by path relative to dir with forward slashes.
func scan(dir string) (map[string]fileStamp, error) {
	out := map[string]fileStamp{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = fileStamp{mod: info.ModTime(), size: info.Size()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("JS hooks folder %s: %w", dir, err)
	}
	return out, nil
}

// generation is one load of the hook files: their compiled programs, the
// VMs that ran them, and what the first of them declared (its shape, the
// hooks, routes and jobs every VM of the generation declares alike).
type generation struct {
	r        *runner
	files    []string // the hook files, in load order
	programs []*goja.Program
	shape    *registrations
	idle     chan *vmState

	mu      sync.Mutex
	modules map[string]*goja.Program // compiled require()d modules
}

// registrations are what the hook files of one VM declared.
type registrations struct {
	hooks  []jsHook
	routes []jsRoute
	crons  []jsCron
}

// jsHook is a handler bound with on<Hook>(fn, ...tags).
type jsHook struct {
	name string
	tags []string
	fn   goja.Callable
}

// jsRoute is a route added with routerAdd.
type jsRoute struct {
	key      string // method and Fiber path
	method   string
	path     string // Fiber pattern under /api
	access   api.Access
	steps    []routeStep // middlewares, in order
	handler  goja.Callable
	wildcard string // the name of its {name...} parameter
}

// jsCron is a job added with cronAdd.
type jsCron struct {
	name, expr string
	fn         goja.Callable
}

// matching returns the handlers of hook name for an event tagged tags.
func (rs *registrations) matching(name string, tags []string) []jsHook {
	var out []jsHook
	for _, h := range rs.hooks {
		if h.name != name {
			continue
		}
		if len(h.tags) == 0 || slices.ContainsFunc(h.tags, func(t string) bool {
			return slices.ContainsFunc(tags, func(u string) bool { return strings.EqualFold(t, u) })
		}) {
			out = append(out, h)
		}
	}
	return out
}

func (rs *registrations) route(key string) *jsRoute {
	for i := range rs.routes {
		if rs.routes[i].key == key {
			return &rs.routes[i]
		}
	}
	return nil
}

func (rs *registrations) cron(name string) *jsCron {
	for i := range rs.crons {
		if rs.crons[i].name == name {
			return &rs.crons[i]
		}
	}
	return nil
}

// load compiles the hook files listed in stamps (*.pb.js at the top of
// the folder, in name order) and starts a pool of VMs that ran them.
func load(r *runner, stamps map[string]fileStamp) (*generation, error) {
	g := &generation{r: r, idle: make(chan *vmState, r.cfg.PoolSize), modules: map[string]*goja.Program{}}
	for name := range stamps {
		if !strings.Contains(name, "/") && strings.HasSuffix(name, ".pb.js") {
			g.files = append(g.files, name)
		}
	}
	slices.Sort(g.files)
	for _, name := range g.files {
		src, err := os.ReadFile(filepath.Join(r.dir, name))
		if err != nil {
			return nil, err
		}
		p, err := goja.Compile(name, string(src), false)
		if err != nil {
			return nil, fmt.Errorf("JS hook %w", err)
		}
		g.programs = append(g.programs, p)
	}
	first, err := g.newVM(true)
	if err != nil {
		return nil, err
	}
	g.shape = &first.regs
	g.idle <- first
	for i := 1; i < r.cfg.PoolSize; i++ {
		st, err := g.newVM(false)
		if err != nil {
			return nil, err
		}
		g.idle <- st
	}
	return g, nil
}

// newVM returns a VM that ran every hook file. The first VM of a
// generation (first) is the one whose top-level console output and
// warnings are shown; the others run the same code quietly.
func (g *generation) newVM(first bool) (*vmState, error) {
	st := newVMState(g, first)
	st.loading = true
	for i, p := range g.programs {
		if _, err := st.vm.RunProgram(p); err != nil {
			return nil, fmt.Errorf("JS hook %s: %s", g.files[i], describe(err))
		}
	}
	st.loading = false
	if !first && !sameShape(&st.regs, g.shape) {
		return nil, fmt.Errorf("JS hooks declare different hooks, routes or jobs on each load; declare them unconditionally")
	}
	return st, nil
}

// sameShape reports whether two VMs declared the same hooks, routes and
// jobs in the same order.
func sameShape(a, b *registrations) bool {
	if len(a.hooks) != len(b.hooks) || len(a.routes) != len(b.routes) || len(a.crons) != len(b.crons) {
		return false
	}
	for i := range a.hooks {
		if a.hooks[i].name != b.hooks[i].name || !slices.Equal(a.hooks[i].tags, b.hooks[i].tags) {
			return false
		}
	}
	for i := range a.routes {
		if a.routes[i].key != b.routes[i].key {
			return false
		}
	}
	for i := range a.crons {
		if a.crons[i].name != b.crons[i].name || a.crons[i].expr != b.crons[i].expr {
			return false
		}
	}
	return true
}

// run runs fn on an idle VM of the generation, or on a new one when every
// VM is busy (a handler that triggers other hooks, or many requests at
// once), with the time limit running. What fn returns is what the script
// threw, turned into the error to answer (see fail).
func (g *generation) run(ctx context.Context, fn func(st *vmState) error) error {
	var st *vmState
	pooled := true
	select {
	case st = <-g.idle:
	default:
		var err error
		if st, err = g.newVM(false); err != nil {
			g.r.log.Error("JS hooks: a VM did not load", "err", err)
			return fail(g.r, err)
		}
		pooled = false
	}
	st.ctx = ctx
	st.budget.start(time.Duration(g.r.cfg.Timeout))
	err := guard(st, fn)
	st.budget.stop()
	st.ctx = nil
	if pooled {
		g.idle <- st
	}
	return fail(g.r, err)
}

// guard runs fn, turning a panic of the Go side (a value thrown while no
// script runs, to the script that is not there) into an error.
func guard(st *vmState, fn func(st *vmState) error) (err error) {
	defer func() {
		switch p := recover().(type) {
		case nil:
		case goja.Value:
			err = fmt.Errorf("JS hooks: %s", valueText(p))
			if obj, ok := p.(*goja.Object); ok && obj.Get("value") != nil {
				if ge, ok := obj.Get("value").Export().(error); ok && domain(ge) {
					err = ge
				}
			}
		default:
			panic(p)
		}
	}()
	return fn(st)
}

// module returns the compiled module at rel (relative to the hooks
// folder), compiling it once for the generation.
func (g *generation) module(rel, src string) (*goja.Program, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.modules[rel]; ok {
		return p, nil
	}
	wrapped := "(function(exports, require, module, __filename, __dirname) {" + src + "\n})"
	p, err := goja.Compile(rel, wrapped, false)
	if err != nil {
		return nil, err
	}
	g.modules[rel] = p
	return p, nil
}
