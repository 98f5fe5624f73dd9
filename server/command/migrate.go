package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/lumbunghq/lumbung/server"
)

const migrateUsage = "usage: lumbung migrate [up] | down [N] | create NAME | collections | history"

// migrate runs `lumbung migrate up|down|create|collections|history` over the app's
// migrations (the migrations folder's JS files and the plugins' Go
// migrations), on the private PostgreSQL (attached to a running server's)
// or on DATABASE_URL. Opening the database also brings the system schema
// up to date.
func migrate(ctx context.Context, cfg server.Config, args []string, stdout io.Writer) error {
	cmd := "up"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch {
	case (cmd == "up" || cmd == "history" || cmd == "collections") && len(args) == 0:
	case cmd == "down" && len(args) <= 1:
	case cmd == "create" && len(args) == 1:
		// Writing a file needs no database.
		m := &server.Migrations{Dir: server.MigrationsDir(cfg)}
		path, err := m.Create(args[0])
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "migration %s created\n", path)
		return nil
	default:
		return errors.New(migrateUsage)
	}
	n := 1
	if cmd == "down" && len(args) == 1 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 {
			return fmt.Errorf("down N: N is how many migrations to revert, a number from 1 (not %q)", args[0])
		}
		n = v
	}
	m, closeMigrations, err := server.OpenMigrations(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeMigrations()
	switch cmd {
	case "up":
		done, err := m.Up(ctx)
		for _, name := range done {
			fmt.Fprintf(stdout, "applied %s\n", name)
		}
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(stdout, "no migrations to apply: the schema is up to date")
		}
	case "down":
		done, err := m.Down(ctx, n)
		for _, name := range done {
			fmt.Fprintf(stdout, "reverted %s\n", name)
		}
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(stdout, "no migrations to revert")
		}
	case "collections":
		path, err := m.Snapshot(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "migration %s created (a snapshot of the collections, recorded as applied)\n", path)
	case "history":
		applied, err := m.Applied(ctx)
		if err != nil {
			return err
		}
		pending, err := m.Pending(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tAPPLIED")
		for _, a := range applied {
			fmt.Fprintf(w, "%s\t%s\n", a.Name, a.Applied.UTC().Format("2006-01-02 15:04:05Z"))
		}
		for _, p := range pending {
			fmt.Fprintf(w, "%s\tpending\n", p.Name)
		}
		return w.Flush()
	}
	return nil
}

// probablyGoRun reports whether the program was built by `go run` (its
// binary sits in a go-build folder of the temporary directory), as
// PocketBase tells: then Lumbung runs from a source checkout, where
// automigrate is on by default.
func probablyGoRun() bool {
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	tmp := filepath.Clean(os.TempDir()) + string(filepath.Separator)
	return strings.HasPrefix(exe, tmp) && strings.Contains(exe, "go-build")
}
