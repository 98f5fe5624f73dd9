package jsvm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server/api"
)

// The app's JS migrations: the *.js files of the migrations folder in
// PocketBase's form, migrate((app) => {…}, (app) => {…}). Each runs on a
// VM of its own with $app (and the app argument) as in the hooks, plus
// PocketBase's collection API (see migrate_app.go), all in the
// migration's transaction.
func init() { plugins.RegisterMigrationFiles(".js", readMigrations) }

// readMigrations compiles the *.js files at the top of dir, in name
// order; a file that does not compile is an error naming its line.
func readMigrations(dir string, log *slog.Logger) ([]collections.Migration, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []collections.Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".js") || strings.HasPrefix(name, ".") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		prog, err := goja.Compile(name, string(src), false)
		if err != nil {
			return nil, fmt.Errorf("JS migration %w", err)
		}
		m := &jsMigration{dir: dir, file: name, prog: prog, log: log}
		out = append(out, collections.Migration{Name: name, Up: m.up, Down: m.down})
	}
	slices.SortFunc(out, func(a, b collections.Migration) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// jsMigration is one migration file.
type jsMigration struct {
	dir, file string
	prog      *goja.Program
	log       *slog.Logger
}

func (m *jsMigration) up(ctx context.Context, sb *collections.SchemaBatch) error {
	return m.run(ctx, sb, 0)
}

func (m *jsMigration) down(ctx context.Context, sb *collections.SchemaBatch) error {
	return m.run(ctx, sb, 1)
}

// run runs the file on a new VM and calls the function it passed to
// migrate at position which (0 up, 1 down) with the migration's app.
func (m *jsMigration) run(ctx context.Context, sb *collections.SchemaBatch, which int) error {
	h := &migrationHost{sb: sb, log: m.log.With("migration", m.file), dir: m.dir}
	r := newRunner(h, Config{PoolSize: 1}, m.dir, nil)
	g := &generation{r: r, idle: make(chan *vmState, 1), modules: map[string]*goja.Program{}}
	st := newVMState(g, true)
	st.ctx = ctx
	var fns [2]goja.Callable
	declared := false
	st.vm.Set("migrate", func(call goja.FunctionCall) goja.Value {
		if declared {
			panic(st.vm.NewTypeError("migrate can be called once per file"))
		}
		declared = true
		for i := range fns {
			if fn, ok := goja.AssertFunction(call.Argument(i)); ok {
				fns[i] = fn
			} else if i == 0 {
				panic(st.vm.NewTypeError("migrate: the up function is missing"))
			}
		}
		return goja.Undefined()
	})
	if _, err := st.vm.RunString(migratePrelude); err != nil {
		return err // the prelude is constant
	}
	app := st.migrationApp(sb)
	st.vm.Set("$app", app)
	// Not loading: hooks, routes and jobs cannot be declared here.
	_, err := st.vm.RunProgram(m.prog)
	if err != nil {
		return migrationFailure(err)
	}
	if !declared {
		return fmt.Errorf("%s: the file does not call migrate(up, down)", m.file)
	}
	fn := fns[which]
	if fn == nil {
		return nil // PocketBase: a missing down function reverts nothing
	}
	return migrationFailure(guard(st, func(st *vmState) error {
		_, err := fn(goja.Undefined(), app)
		return err
	}))
}

// migrationFailure is what a migration threw, for the operator: the
// error of Lumbung it carries (a refused collection or record, named
// with its fields) or the script's message, after the file and line it
// was thrown at.
func migrationFailure(err error) error {
	if err == nil {
		return nil
	}
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return err
	}
	place := where(ex)
	var msg string
	if inner := ex.Unwrap(); inner != nil {
		var de *collections.Error
		if errors.As(inner, &de) {
			msg = collections.FieldErrorsText(de)
		} else {
			msg = inner.Error()
		}
	} else if e := apiError(ex.Value()); e != nil {
		msg = e.Error()
	} else {
		msg = valueText(ex.Value())
	}
	return &scriptFailure{place: place, msg: msg, err: err}
}

// scriptFailure is a migration's script error with its place.
type scriptFailure struct {
	place, msg string
	err        error
}

func (e *scriptFailure) Error() string { return e.place + ": " + e.msg }
func (e *scriptFailure) Unwrap() error { return e.err }

// migrationHost is the plugin host a migration's VM sees: collections
// as the migration's batch sees them, records in its transaction.
// Only the methods below are used by the bindings a migration has.
type migrationHost struct {
	plugins.Host
	sb  *collections.SchemaBatch
	log *slog.Logger
	dir string
}

func (h *migrationHost) Collection(idOrName string) (*collections.Collection, bool) {
	return h.sb.Collection(idOrName)
}

func (h *migrationHost) Records(collections.Caller) *collections.Records { return h.sb.Records() }

func (h *migrationHost) Logger() *slog.Logger { return h.log }

func (h *migrationHost) DataDir() string { return h.dir }

// AuthMails is nil: a migration sends no mail.
func (h *migrationHost) AuthMails() *api.AuthMails { return nil }
