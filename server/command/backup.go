package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/lumbunghq/lumbung/server"
)

const backupUsage = "usage: lumbung backup create [NAME] | list | delete NAME | restore NAME"

// backup runs `lumbung backup create|list|delete|restore`: the backups in
// <dir>/backups, of the private PostgreSQL (attached to a running
// server's) or of DATABASE_URL.
func backup(ctx context.Context, cfg server.Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(backupUsage)
	}
	want := map[string]int{"create": 1, "list": 0, "delete": 1, "restore": 1}
	n, ok := want[args[0]]
	if !ok || len(args)-1 > n || (args[0] != "create" && len(args)-1 != n) {
		return errors.New(backupUsage)
	}
	m, closeBackups, err := server.OpenBackups(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeBackups()
	switch args[0] {
	case "create":
		name := ""
		if len(args) == 2 {
			name = args[1]
		}
		if name, err = m.Create(ctx, name); err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "backup %s created\n", name)
	case "list":
		list, err := m.List(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tSIZE\tMODIFIED")
		for _, b := range list {
			fmt.Fprintf(w, "%s\t%d\t%s\n", b.Key, b.Size, b.Modified.Format("2006-01-02 15:04:05Z"))
		}
		return w.Flush()
	case "delete":
		if err := m.Delete(ctx, args[1]); err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "backup %s deleted\n", args[1])
	case "restore":
		if err := m.Restore(ctx, args[1]); err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "backup %s restored\n", args[1])
	}
	return nil
}
