// Command lumbung-bench measures Lumbung's records API against a bare
// baseline that serves the same endpoints with the same SQL, and against
// PocketBase, in the same run.
//
//	lumbung-bench -lumbung bin/lumbung [-duration 5s] [-requests 100000]
//	              [-concurrency 16] [-scenarios list,view] [-out bench.json]
//	              [-durable] [-create-modes durable,async-commit,no-fsync]
//	              [-pocketbase=false] [-pocketbase-bin path]
//	              [-realtime-clients 1000] [-realtime-rate 50] [-realtime-duration 5s]
//	              [-thumb-records 200] [-upload-memory-mb 50]
//
// It starts one private PostgreSQL (or uses DATABASE_URL), a Lumbung server
// on 127.0.0.1 with a superuser, and a "bench" collection seeded with 10,000
// records in 10 categories. The baseline runs in this process: fasthttp and a
// pgx pool of Lumbung's default size on the same database, without auth or
// logging. PocketBase (its examples/base, pocketbaseVersion, built once with
// `go install` into the user's cache directory and reused) runs on
// 127.0.0.1 with its data in a temporary directory, a superuser made with
// its CLI, the same collection (fields, indexes, rules) and the same
// records under the same ids. For each scenario every target that serves
// it gets a warm-up and a run bounded by -duration and -requests, rotating
// which goes first, and the table shows requests per second, latency
// percentiles and the ratios Lumbung/baseline and Lumbung/PocketBase.
// Absolute numbers on a shared machine mean little; the ratios are the
// result.
//
// The PostgreSQL mode (dbModes) is part of every figure. Reads run with
// fsync and synchronous_commit off (no-fsync), or durable with -durable;
// creates run once in each of -create-modes, against all three targets:
// durable (PostgreSQL's default), async-commit (synchronous_commit off,
// the equivalent of PocketBase's SQLite with synchronous=NORMAL) and
// no-fsync. PocketBase always runs with its defaults. An external server
// (DATABASE_URL) is measured in its own mode, shown as it is.
//
// The -role scenarios (list-role, view-role) send the requests of list and
// view with the token of a user whose role may list and view the records
// under a row condition every record satisfies, so the answers are the
// superuser's. Beside the table their condition cost is shown: Lumbung's
// req/s as that user over its req/s as the superuser. PocketBase has no
// roles: its cells there are n/a.
//
// create-jshook and create-webhook run right after create, which they
// bring along (what they cost is measured against it), in each of
// -create-modes: create and they one after the other in one mode, then
// in the next. create-jshook sends create's requests to Lumbung and
// PocketBase while a trivial before-create hook on the bench collection
// runs: the same file (bench.pb.js, PocketBase's pb_hooks format) in
// Lumbung's hooks folder (<dir>/hooks) and in PocketBase's pb_hooks, both
// made empty before the servers start, which watch them; the file is put
// there before the warm-up and removed after the run, a probe create
// showing when each server runs it and when it no longer does (the
// baseline runs no JS: n/a). create-webhook sends them to Lumbung alone
// while one webhook of the bench collection's creates delivers to a
// receiver in this process on 127.0.0.1 that answers 200 at once (the
// webhooks plugin is allowed 127.0.0.1 in the settings, and Lumbung
// restarted to read them, before anything is measured); the webhook is
// made after the warm-up, and after the run the bench waits, at most
// webhookDrainWait, for the deliveries still on their way. Beside the
// table: each one's req/s over create's of the same run and target, with
// the JS hook's goal (it costs Lumbung at most 20% of its create req/s),
// and the deliveries: how many of the run's creates arrived, per second
// while the load ran and until the last one, and how long after the load
// stopped the last one came.
//
// The file scenarios run after create, against Lumbung and PocketBase
// (the baseline stores no files: n/a), in a collection of their own,
// bench_files, made in both as the bench collection is: upload creates
// records with a 1 MB file each (at most 1,000 per run; req/s and MB/s),
// once, in the first of -create-modes; thumb-cold asks once for the
// 100x100 thumbnail of each of -thumb-records seeded 800x600 PNGs (every
// request makes one), thumb-cached for the same thumbnails again; and
// upload-memory has -concurrency clients send one -upload-memory-mb file
// each, all at once, and prints the server's VmRSS before, its peak
// (sampled) and VmHWM while they do: it reports, it does not judge.
//
// The realtime scenario runs last, against Lumbung alone: it opens
// -realtime-clients WebSocket connections as the superuser subscribed to
// bench/*, reads the server's RSS before and with all of them idle, then
// creates records at -realtime-rate per second for -realtime-duration and
// prints the delivery latency of every (client, event), the events delivered
// per second, expected vs delivered counts and the memory per connection.
//
// The command exits non-zero only when setup fails (PocketBase's build
// included: -pocketbase=false measures without it) or it is interrupted,
// never because of a ratio. Everything it started is stopped and its
// temporary directories removed on the way out, Ctrl-C included.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config holds the command's flags.
type config struct {
	lumbung     string
	concurrency int
	duration    time.Duration
	warmup      time.Duration
	requests    int
	records     int
	scenarios   []string
	durable     bool     // reads in the durable mode
	createModes []string // the modes creates run in
	pocketbase  bool
	pbBin       string // a PocketBase binary to use instead of building one
	out         string
	realtime    realtimeConfig
	// The file scenarios: images seeded for the thumbnail scenarios, and
	// the size of each upload-memory file in MB.
	thumbRecords   int
	uploadMemoryMB int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "lumbung-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("lumbung-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var scenarios string
	fs.StringVar(&cfg.lumbung, "lumbung", "bin/lumbung", "path to the lumbung binary")
	fs.IntVar(&cfg.concurrency, "concurrency", 16, "concurrent connections per target")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time per scenario and target")
	fs.DurationVar(&cfg.warmup, "warmup", time.Second, "warm-up time per scenario and target (not measured)")
	fs.IntVar(&cfg.requests, "requests", 100000, "request cap per scenario and target, for the warm-up and the run each")
	fs.IntVar(&cfg.records, "records", 10000, "records seeded into the bench collection")
	fs.StringVar(&scenarios, "scenarios", strings.Join(scenarioNames(), ","), "comma-separated scenarios to run")
	fs.BoolVar(&cfg.durable, "durable", false, "run the reads with durable commits (fsync and synchronous_commit on) instead of no-fsync")
	var createModes string
	fs.StringVar(&createModes, "create-modes", strings.Join(dbModeNames(), ","), "comma-separated PostgreSQL modes the create scenario runs in, each against every target")
	fs.BoolVar(&cfg.pocketbase, "pocketbase", true, "also measure PocketBase "+pocketbaseVersion+" (built once with go install from the Go module proxy)")
	fs.StringVar(&cfg.pbBin, "pocketbase-bin", "", "the PocketBase binary to run instead of building "+pocketbaseModule+"@"+pocketbaseVersion)
	fs.IntVar(&cfg.realtime.clients, "realtime-clients", 1000, "WebSocket clients of the realtime scenario (0 skips it)")
	fs.IntVar(&cfg.realtime.rate, "realtime-rate", 50, "records written per second in the realtime scenario")
	fs.DurationVar(&cfg.realtime.duration, "realtime-duration", 5*time.Second, "how long the realtime scenario writes")
	fs.IntVar(&cfg.thumbRecords, "thumb-records", 200, "records with an 800x600 PNG each for thumb-cold and thumb-cached (one cold thumbnail each)")
	fs.IntVar(&cfg.uploadMemoryMB, "upload-memory-mb", 50, "size in MB of the file each client of upload-memory sends")
	fs.StringVar(&cfg.out, "out", "", "also write the results as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	switch {
	case cfg.concurrency < 1:
		return cfg, errors.New("-concurrency must be at least 1")
	case cfg.duration <= 0:
		return cfg, errors.New("-duration must be positive")
	case cfg.warmup < 0:
		return cfg, errors.New("-warmup must not be negative")
	case cfg.requests < 1:
		return cfg, errors.New("-requests must be at least 1")
	case cfg.records < 1:
		return cfg, errors.New("-records must be at least 1")
	case cfg.thumbRecords < 1:
		return cfg, errors.New("-thumb-records must be at least 1")
	case cfg.uploadMemoryMB < 1:
		return cfg, errors.New("-upload-memory-mb must be at least 1")
	case cfg.realtime.clients < 0:
		return cfg, errors.New("-realtime-clients must not be negative")
	case cfg.realtime.clients > 0 && cfg.realtime.rate < 1:
		return cfg, errors.New("-realtime-rate must be at least 1")
	case cfg.realtime.clients > 0 && cfg.realtime.duration <= 0:
		return cfg, errors.New("-realtime-duration must be positive")
	}
	picked := map[string]bool{}
	for _, name := range strings.Split(scenarios, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := scenarioByName(name); !ok {
			return cfg, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(scenarioNames(), ", "))
		}
		picked[name] = true
	}
	if picked[createJSHookScenario.name] || picked[createWebhookScenario.name] {
		picked["create"] = true // what they cost is measured against it
	}
	for _, name := range scenarioNames() { // create stays last but for the file scenarios
		if picked[name] {
			cfg.scenarios = append(cfg.scenarios, name)
		}
	}
	if len(cfg.scenarios) == 0 {
		return cfg, errors.New("no scenarios selected")
	}
	seen := map[string]bool{}
	for _, name := range strings.Split(createModes, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		if _, ok := dbModeByName(name); !ok {
			return cfg, fmt.Errorf("unknown PostgreSQL mode %q (known: %s)", name, strings.Join(dbModeNames(), ", "))
		}
		seen[name] = true
		cfg.createModes = append(cfg.createModes, name)
	}
	if len(cfg.createModes) == 0 {
		return cfg, errors.New("-create-modes names no mode")
	}
	if cfg.pbBin != "" && !cfg.pocketbase {
		return cfg, errors.New("-pocketbase-bin with -pocketbase=false")
	}
	return cfg, nil
}
