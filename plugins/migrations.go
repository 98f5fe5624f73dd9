package plugins

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/lumbunghq/lumbung/collections"
)

// MigrationFunc is one direction of a Go migration: it changes the schema
// and records through sb (sb.Create, sb.Update, sb.Delete, sb.Records(),
// sb.Exec), in the transaction that also records the migration.
type MigrationFunc func(ctx context.Context, sb *collections.SchemaBatch) error

// migrations holds the Go migrations of the binary and the readers of
// migration files, filled from init functions like the plugins.
var migrations = struct {
	sync.Mutex
	list  []collections.Migration
	files map[string]MigrationFiles
}{files: map[string]MigrationFiles{}}

// RegisterMigration adds a Go migration to the binary: it applies in the
// order of its name among the app's migrations (JS files included, so
// name it as they are named, such as "1717000000_seed_roles"), and is
// recorded in the same table. down may be nil: reverting the migration
// then only forgets it. It panics when name is empty or already registered.
func RegisterMigration(name string, up, down MigrationFunc) {
	if strings.TrimSpace(name) == "" || up == nil {
		panic("plugins: a migration needs a name and an up function")
	}
	migrations.Lock()
	defer migrations.Unlock()
	if slices.ContainsFunc(migrations.list, func(m collections.Migration) bool { return m.Name == name }) {
		panic(fmt.Sprintf("plugins: migration %q is registered twice", name))
	}
	migrations.list = append(migrations.list, collections.Migration{Name: name, Up: up, Down: down})
}

// RegisteredMigrations returns the Go migrations of the binary.
func RegisteredMigrations() []collections.Migration {
	migrations.Lock()
	defer migrations.Unlock()
	return slices.Clone(migrations.list)
}

// MigrationFiles reads the migrations kept as files of one kind (the JS
// hooks plugin reads *.js) in dir, the migrations folder.
type MigrationFiles func(dir string, log *slog.Logger) ([]collections.Migration, error)

// RegisterMigrationFiles adds the reader of the migration files whose
// names end in ext (such as ".js"). It panics when ext is taken.
func RegisterMigrationFiles(ext string, read MigrationFiles) {
	migrations.Lock()
	defer migrations.Unlock()
	if _, dup := migrations.files[ext]; dup {
		panic(fmt.Sprintf("plugins: migration files %q are registered twice", ext))
	}
	migrations.files[ext] = read
}

// MigrationFileReaders returns the readers of migration files by the
// file name ending they read.
func MigrationFileReaders() map[string]MigrationFiles {
	migrations.Lock()
	defer migrations.Unlock()
	out := make(map[string]MigrationFiles, len(migrations.files))
	for k, v := range migrations.files {
		out[k] = v
	}
	return out
}
