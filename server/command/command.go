// Package command is the lumbung command line: the server and its admin
// commands,
//
//	lumbung serve [--http ADDR] [--dir DIR]
//	lumbung superuser upsert EMAIL PASSWORD
//	lumbung superuser delete EMAIL
//	lumbung migrate [up] | down [N] | create NAME | collections | history
//	lumbung typegen [--out FILE]
//	lumbung backup create [NAME] | list | delete NAME | restore NAME
//	lumbung version
//
// Every flag has an environment variable: LUMBUNG_HTTP, LUMBUNG_DIR,
// DATABASE_URL, LUMBUNG_LOG_FORMAT, LUMBUNG_ORIGINS,
// LUMBUNG_TRUSTED_PROXIES, LUMBUNG_PROXY_HEADER, LUMBUNG_ASYNC_COMMIT,
// LUMBUNG_MIGRATIONS_DIR, LUMBUNG_AUTOMIGRATE.
//
// The lumbung binary is Main. A program that embeds Lumbung with plugins
// of its own is a main package that imports them and calls Main as well
// (see plugins/example).
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/ui"
)

// version and commit are stamped by `make build` (-ldflags "-X
// <this package>.version=... -X <this package>.commit=..."); a plain
// `go build` leaves them empty, and versionString reads what Go recorded
// instead.
var (
	version string
	commit  string
)

const usage = `Lumbung: collections, a REST API and realtime on PostgreSQL.

Usage:
  lumbung serve [flags]                     start the server
  lumbung superuser upsert EMAIL PASSWORD   create a superuser or set its password
  lumbung superuser delete EMAIL            delete a superuser
  lumbung migrate [up]                      apply the pending migrations of the migrations folder (and the system schema's)
  lumbung migrate down [N]                  revert the last N applied migrations (default 1)
  lumbung migrate create NAME               write an empty JS migration <time>_NAME.js into the migrations folder
  lumbung migrate collections               write a migration importing every collection as they are now (a snapshot)
  lumbung migrate history                   list the applied migrations, then the pending ones
  lumbung typegen [--out FILE]              write TypeScript types of the collections for the pocketbase SDK
  lumbung backup create [NAME]              back the database up into DIR/backups/NAME (NAME.zip: lowercase, digits, _ -)
  lumbung backup list                       list the backups
  lumbung backup delete NAME                delete a backup
  lumbung backup restore NAME               replace the database's contents with a backup's
  lumbung version                           print the version and commit
  lumbung help                              print this help

Flags (each also read from the environment):
`

// Main runs the command named by os.Args and exits: with status 1 after
// printing the error, if it fails.
func Main() {
	if err := Run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lumbung:", err)
		os.Exit(1)
	}
}

// Run runs the command args name ("serve", "superuser", "migrate",
// "typegen", "backup", "version", "help") with the plugins registered in the binary.
func Run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lumbung", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.Config{Dashboard: ui.Dist()}
	var logFormat, origins, proxies, egressAllow, typesOut string
	fs.StringVar(&cfg.HTTPAddr, "http", env("LUMBUNG_HTTP", "127.0.0.1:8090"), "listen address (LUMBUNG_HTTP)")
	fs.StringVar(&cfg.Dir, "dir", env("LUMBUNG_DIR", "lb_data"), "data directory; the private PostgreSQL lives in DIR/pg (LUMBUNG_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", ""), "external PostgreSQL URL instead of the private one (DATABASE_URL)")
	fs.DurationVar(&cfg.EventRetention, "realtime-retention", envDuration("LUMBUNG_REALTIME_RETENTION", 24*time.Hour), "how long record changes are kept for realtime resume (LUMBUNG_REALTIME_RETENTION)")
	fs.DurationVar(&cfg.EventHold, "event-hold", envDuration("LUMBUNG_EVENT_HOLD", 7*24*time.Hour), "how long record changes a webhook has not delivered yet are kept past the realtime retention (LUMBUNG_EVENT_HOLD)")
	fs.BoolVar(&cfg.AsyncCommit, "async-commit", env("LUMBUNG_ASYNC_COMMIT", "") == "1", "commit without waiting for the disk: faster writes; an operating-system crash or power loss\nmay lose the last moments' commits (a crash of Lumbung or PostgreSQL loses nothing), as PocketBase's\ndefault may (LUMBUNG_ASYNC_COMMIT=1)")
	fs.StringVar(&logFormat, "log-format", env("LUMBUNG_LOG_FORMAT", "text"), "log format: text or json (LUMBUNG_LOG_FORMAT)")
	fs.StringVar(&origins, "origins", env("LUMBUNG_ORIGINS", ""), "comma-separated origins whose pages may call the API from a browser (CORS), such as\nhttps://app.example.com,https://*.example.org; overrides the settings' cors.origins,\nwhich allow any origin (*) until changed (LUMBUNG_ORIGINS)")
	fs.StringVar(&egressAllow, "egress-allow", env("LUMBUNG_EGRESS_ALLOW", ""), "comma-separated addresses or CIDR ranges of private networks the server may fetch from for\nusers (OAuth2 avatars), such as an identity provider on 10.0.0.0/8 (LUMBUNG_EGRESS_ALLOW)")
	fs.StringVar(&proxies, "trusted-proxies", env("LUMBUNG_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR ranges of the load balancers or reverse proxies in front;\ntheir --proxy-header names the client (LUMBUNG_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.MigrationsDir, "migrations-dir", env("LUMBUNG_MIGRATIONS_DIR", ""), "the app's migrations folder (default: DIR/migrations, or pb_migrations in or beside DIR\nwhen one exists) (LUMBUNG_MIGRATIONS_DIR)")
	fs.BoolVar(&cfg.Automigrate, "automigrate", envBool("LUMBUNG_AUTOMIGRATE", probablyGoRun()), "write a migration file of every schema change made in the dashboard or the API (default: on under\ngo run, off otherwise) (LUMBUNG_AUTOMIGRATE=1|0)")
	fs.StringVar(&typesOut, "out", "", "typegen: the file to write the types to (default: standard output)")
	fs.StringVar(&cfg.ProxyHeader, "proxy-header", env("LUMBUNG_PROXY_HEADER", ""), "header in which trusted proxies name the client: X-Forwarded-For (default) or X-Real-IP\n(LUMBUNG_PROXY_HEADER)")
	// Help that was asked for goes to stdout and succeeds; after a mistake
	// it goes to stderr with the error.
	printUsage := func(w io.Writer) {
		fmt.Fprint(w, usage)
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	fs.Usage = func() {}
	parse := func(args []string) error {
		err := fs.Parse(args)
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			printUsage(stderr)
		}
		return err
	}
	if len(args) == 0 {
		printUsage(stderr)
		return errors.New("missing command")
	}
	cmd, rest := args[0], args[1:]
	if cmd == "-h" || cmd == "-help" || cmd == "--help" || cmd == "help" {
		printUsage(stdout)
		return nil
	}
	err := parse(rest)
	// Flags may also follow positional arguments: superuser upsert a b --dir x.
	var pos []string
	for err == nil && fs.NArg() > 0 {
		pos = append(pos, fs.Arg(0))
		err = parse(fs.Args()[1:])
	}
	if errors.Is(err, flag.ErrHelp) { // serve --help, superuser -h, ...
		printUsage(stdout)
		return nil
	}
	if err != nil {
		return err
	}
	cfg.Origins, cfg.TrustedProxies, cfg.EgressAllow = list(origins), list(proxies), list(egressAllow)
	logs := newLogWriter(stderr, 200*time.Millisecond)
	defer logs.Close()
	cfg.Logger = newLogger(logs, logFormat)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		return serve(ctx, cfg)
	case "superuser":
		return superuser(ctx, cfg, pos, stdout)
	case "migrate":
		return migrate(ctx, cfg, pos, stdout)
	case "typegen":
		// The schema is read from the database, as a superuser sees it,
		// attached to the private PostgreSQL of a server running on --dir.
		return typegen(ctx, cfg, typesOut, stdout)
	case "backup":
		return backup(ctx, cfg, pos, stdout)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return nil
	}
	printUsage(stderr)
	return fmt.Errorf("unknown command %q", cmd)
}

func serve(ctx context.Context, cfg server.Config) error {
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close(context.WithoutCancel(ctx))
	err = srv.Run(ctx, func(addr string) {
		// The link is a secret for the operator: it goes to the terminal,
		// not to the log.
		link, err := srv.SetupLink(ctx, addr)
		if err != nil {
			cfg.Logger.Error("setup link", "err", err)
		}
		if link != "" {
			fmt.Fprintf(os.Stderr, "\nNo superuser yet. Create the first one in the dashboard (the link works for an hour):\n\n    %s\n\n(or run: lumbung superuser upsert EMAIL PASSWORD)\n\n", link)
		}
	})
	return explainListen(err, cfg.HTTPAddr)
}

// explainListen says which flag and variable set the address when the
// server cannot listen on it; other errors pass unchanged.
func explainListen(err error, addr string) error {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "listen" {
		return err
	}
	why := ""
	if errors.Is(err, syscall.EADDRINUSE) {
		why = "another program is listening there; "
	}
	example := "127.0.0.1:8091"
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65535 {
			example = net.JoinHostPort(host, strconv.Itoa(n+1))
		}
	}
	return fmt.Errorf("cannot listen on %s (%v): %sset another address with --http or LUMBUNG_HTTP, e.g. --http %s", addr, op.Err, why, example)
}

// versionString is "lumbung VERSION (commit COMMIT, GOVERSION)": what
// `make build` stamped, else what Go recorded from the module and the
// checkout it was built in (`go build` in a clone), else "dev".
func versionString() string {
	v, c, modified := version, commit, false
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	} else if modified && commit == "" {
		c += " with local changes"
	}
	return fmt.Sprintf("lumbung %s (commit %s, %s)", v, c, runtime.Version())
}

func superuser(ctx context.Context, cfg server.Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: lumbung superuser upsert EMAIL PASSWORD | delete EMAIL")
	}
	switch args[0] {
	case "upsert", "create":
		if len(args) != 3 {
			return errors.New("usage: lumbung superuser upsert EMAIL PASSWORD")
		}
		created, err := server.UpsertSuperuser(ctx, cfg, args[1], args[2])
		if err != nil {
			return explain(err)
		}
		if created {
			fmt.Fprintf(stdout, "superuser %s created\n", args[1])
		} else {
			fmt.Fprintf(stdout, "superuser %s updated\n", args[1])
		}
		return nil
	case "delete":
		if len(args) != 2 {
			return errors.New("usage: lumbung superuser delete EMAIL")
		}
		if err := server.DeleteSuperuser(ctx, cfg, args[1]); err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "superuser %s deleted\n", args[1])
		return nil
	}
	return fmt.Errorf("unknown superuser command %q", args[0])
}

// explain spells out validation errors field by field.
func explain(err error) error {
	var e *collections.Error
	if errors.As(err, &e) && len(e.Data) > 0 {
		msg := e.Message
		for k, v := range e.Data {
			msg += fmt.Sprintf(" %s: %s", k, v.Message)
		}
		return errors.New(msg)
	}
	return err
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil && d > 0 {
		return d
	}
	return def
}

// list splits a comma-separated flag value (nil when empty).
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// envBool reads 1/true/on or 0/false/off; anything else is def.
func envBool(key string, def bool) bool {
	switch strings.ToLower(os.Getenv(key)) {
	case "1", "true", "on", "yes":
		return true
	case "0", "false", "off", "no":
		return false
	}
	return def
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
