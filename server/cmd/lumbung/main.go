// Command lumbung runs the Lumbung server and its admin commands.
//
//	lumbung serve [--http ADDR] [--dir DIR]
//	lumbung superuser upsert EMAIL PASSWORD
//	lumbung superuser delete EMAIL
//	lumbung migrate
//	lumbung version
//
// Every flag has an environment variable: LUMBUNG_HTTP, LUMBUNG_DIR,
// DATABASE_URL, LUMBUNG_LOG_FORMAT, LUMBUNG_ORIGINS,
// LUMBUNG_TRUSTED_PROXIES, LUMBUNG_PROXY_HEADER.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/ui"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Lumbung: collections, a REST API and realtime on PostgreSQL.

Usage:
  lumbung serve [flags]                     start the server
  lumbung superuser upsert EMAIL PASSWORD   create a superuser or set its password
  lumbung superuser delete EMAIL            delete a superuser
  lumbung migrate                           bring the system schema up to date
  lumbung version                           print the version

Flags (each also read from the environment):
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "lumbung:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lumbung", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.Config{Dashboard: ui.Dist()}
	var logFormat, origins, proxies string
	fs.StringVar(&cfg.HTTPAddr, "http", env("LUMBUNG_HTTP", "127.0.0.1:8090"), "listen address (LUMBUNG_HTTP)")
	fs.StringVar(&cfg.Dir, "dir", env("LUMBUNG_DIR", "lb_data"), "data directory; the private PostgreSQL lives in DIR/pg (LUMBUNG_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", ""), "external PostgreSQL URL instead of the private one (DATABASE_URL)")
	fs.DurationVar(&cfg.EventRetention, "realtime-retention", envDuration("LUMBUNG_REALTIME_RETENTION", 24*time.Hour), "how long record changes are kept for realtime resume (LUMBUNG_REALTIME_RETENTION)")
	fs.StringVar(&logFormat, "log-format", env("LUMBUNG_LOG_FORMAT", "text"), "log format: text or json (LUMBUNG_LOG_FORMAT)")
	fs.StringVar(&origins, "origins", env("LUMBUNG_ORIGINS", ""), "comma-separated origins whose pages may call the API from a browser (CORS), such as\nhttps://app.example.com,https://*.example.org; overrides the settings' cors.origins,\nwhich allow any origin (*) until changed (LUMBUNG_ORIGINS)")
	fs.StringVar(&proxies, "trusted-proxies", env("LUMBUNG_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDR ranges of the load balancers or reverse proxies in front;\ntheir --proxy-header names the client (LUMBUNG_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.ProxyHeader, "proxy-header", env("LUMBUNG_PROXY_HEADER", ""), "header in which trusted proxies name the client: X-Forwarded-For (default) or X-Real-IP\n(LUMBUNG_PROXY_HEADER)")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.Usage()
		return errors.New("missing command")
	}
	cmd, rest := args[0], args[1:]
	if cmd == "-h" || cmd == "--help" || cmd == "help" {
		fs.Usage()
		return nil
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	// Flags may also follow positional arguments: superuser upsert a b --dir x.
	var pos []string
	for fs.NArg() > 0 {
		pos = append(pos, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	cfg.Origins, cfg.TrustedProxies = list(origins), list(proxies)
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
		// Opening the store migrates; upserting nobody keeps it read-only otherwise.
		srv, err := server.New(ctx, cfg)
		if err != nil {
			return err
		}
		srv.Close(context.WithoutCancel(ctx))
		fmt.Fprintln(stdout, "system schema is up to date")
		return nil
	case "version":
		fmt.Fprintln(stdout, "lumbung", version)
		return nil
	}
	fs.Usage()
	return fmt.Errorf("unknown command %q", cmd)
}

func serve(ctx context.Context, cfg server.Config) error {
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close(context.WithoutCancel(ctx))
	return srv.Run(ctx, func(addr string) {
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

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
