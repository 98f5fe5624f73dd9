package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// benchEmail is the superuser the bench signs in as.
const benchEmail = "bench@example.com"

// run sets everything up, measures, prints and cleans up. Errors are setup
// failures or an interruption; measurements never fail it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = errors.New("interrupted")
		}
	}()
	bin, err := filepath.Abs(cfg.lumbung)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("lumbung binary: %w (build it with `make build`)", err)
	}

	pbBin := cfg.pbBin
	if cfg.pocketbase && pbBin == "" {
		// First: a build that fails should fail before anything is started.
		dir, err := pocketbaseCacheDir()
		if err != nil {
			return fmt.Errorf("PocketBase: no cache directory to build it in: %w (-pocketbase-bin names a binary, -pocketbase=false skips it)", err)
		}
		if pbBin, err = buildPocketBase(ctx, dir, goTool(), say); err != nil {
			return err
		}
	}

	say("starting PostgreSQL")
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := startDatabase(ctx, log)
	if err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer func() {
		if cerr := db.close(); cerr != nil {
			say("stop PostgreSQL: %v", cerr)
		}
	}()
	readMode, createModes := "no-fsync", cfg.createModes
	if cfg.durable {
		readMode = "durable"
	}
	setMode := func(ctx context.Context, name string) error {
		m, _ := dbModeByName(name)
		if err := db.setMode(ctx, m); err != nil {
			return fmt.Errorf("PostgreSQL mode %s: %w", name, err)
		}
		return nil
	}
	if db.external() {
		if readMode, err = db.mode(ctx); err != nil {
			return fmt.Errorf("PostgreSQL mode: %w", err)
		}
		createModes = []string{readMode}
	} else if err := setMode(ctx, readMode); err != nil {
		return err
	}

	if cfg.realtime.clients > 0 {
		// Both ends of every connection are in this machine: one descriptor
		// here, one in lumbung, which inherits this process's limit.
		if got := raiseFileLimit(uint64(cfg.realtime.clients) + 1024); got > 0 && got < uint64(cfg.realtime.clients)+256 {
			say("warning: open-file limit %d is low for %d realtime clients", got, cfg.realtime.clients)
		}
	}
	say("starting lumbung")
	lb, err := startLumbung(ctx, bin, db.dsn, jsHookSelected(cfg.scenarios))
	if err != nil {
		return fmt.Errorf("start lumbung: %w", err)
	}
	defer func() {
		if err != nil && ctx.Err() == nil {
			say("lumbung's log ends:\n%s", lb.logTail(20))
		}
		if serr := lb.stop(); serr != nil {
			say("stop lumbung: %v", serr)
		}
	}()
	password := randomHex(16)
	if err := lb.upsertSuperuser(ctx, benchEmail, password); err != nil {
		return err
	}
	api := newAPIClient(lb.baseURL())
	if err := api.signIn(ctx, benchEmail, password); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	var receiver *webhookReceiver
	if webhookSelected(cfg.scenarios) {
		say("allowing webhooks to %s and restarting lumbung", webhookLoopback)
		if receiver, err = startWebhookReceiver(); err != nil {
			return fmt.Errorf("webhook receiver: %w", err)
		}
		defer receiver.close()
		restore, err := allowLoopbackWebhooks(ctx, api, lb, password)
		if restore != nil && db.external() {
			defer func() {
				dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if rerr := restore(dctx); rerr != nil {
					say("put the webhooks plugin's settings back: %v", rerr)
				}
			}()
		}
		if err != nil {
			return fmt.Errorf("webhooks: %w", err)
		}
	}
	col, err := api.createCollection(ctx, benchCollection)
	if err != nil {
		return fmt.Errorf("create collection: %w", err)
	}
	if db.external() {
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if derr := api.deleteCollection(dctx, col.Name); derr != nil {
				say("delete collection %s: %v", col.Name, derr)
			}
		}()
	}
	say("seeding %d records", cfg.records)
	began := time.Now()
	ids, err := api.seed(ctx, col.Name, cfg.records)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	say("seeded in %s", time.Since(began).Round(time.Millisecond))
	roleToken := ""
	if roleScenarios(cfg.scenarios) {
		say("creating role %s with the condition %q and its member", benchRole, roleCondition)
		if db.external() {
			defer func() {
				dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if derr := api.tearDownRole(dctx); derr != nil {
					say("delete role %s and collection %s: %v", benchRole, benchMembers, derr)
				}
			}()
		}
		if roleToken, err = api.setUpRole(ctx, col.Name, randomHex(16)); err != nil {
			return fmt.Errorf("set up role: %w", err)
		}
	}

	base, err := startBaseline(ctx, db.dsn, col)
	if err != nil {
		return fmt.Errorf("start baseline: %w", err)
	}
	defer func() {
		if cerr := base.close(); cerr != nil {
			say("stop baseline: %v", cerr)
		}
	}()

	env := &scenarioEnv{collection: col.Name, records: "/api/collections/" + col.Name + "/records", ids: ids}
	lbT := newTarget("lumbung", lb.addr, api.token, env, cfg.concurrency)
	lbT.roleAuth, lbT.roles, lbT.serverPID, lbT.postgres = roleToken, true, lb.pid(), true
	lbT.webhooks = receiver
	if jsHookSelected(cfg.scenarios) {
		lbT.hooksDir = lumbungHooksDir(lb.dir)
	}
	baseT := newTarget("baseline", base.addr(), "", env, cfg.concurrency)
	baseT.roles, baseT.postgres = true, true
	targets := []*target{lbT, baseT}
	defer func() {
		for _, t := range targets {
			t.client.CloseIdleConnections()
		}
	}()

	rep := &benchReport{
		Started: time.Now().UTC(), NumCPU: runtime.NumCPU(), Concurrency: cfg.concurrency,
		Duration: cfg.duration.String(), Warmup: cfg.warmup.String(), MaxRequests: cfg.requests,
		Records: cfg.records, PoolSize: base.poolSize(), Database: "private",
		PocketBase: "skipped (-pocketbase=false)", ReadMode: readMode, CreateModes: createModes,
	}
	if db.external() {
		rep.Database = "external (DATABASE_URL)"
	}

	var (
		pbT   *target
		pbAPI *apiClient
	)
	if cfg.pocketbase {
		say("starting PocketBase %s (%s)", pocketbaseVersion, pbBin)
		var pb *serverProcess
		pb, pbAPI, err = setUpPocketBase(ctx, pbBin, api, col.Name, ids, jsHookSelected(cfg.scenarios), say)
		if pb != nil {
			defer func() {
				if err != nil && ctx.Err() == nil {
					say("PocketBase's log ends:\n%s", pb.logTail(20))
				}
				if serr := pb.stop(); serr != nil {
					say("stop PocketBase: %v", serr)
				}
			}()
		}
		if err != nil {
			return fmt.Errorf("PocketBase: %w", err)
		}
		pbT = newTarget("pocketbase", pb.addr, pbAPI.token, env, cfg.concurrency)
		pbT.serverPID = pb.pid()
		if jsHookSelected(cfg.scenarios) {
			pbT.hooksDir = pocketbaseHooksDir(pb.dir)
		}
		targets = append(targets, pbT)
		rep.PocketBase = pocketbaseVersion
	}
	rep.Notes = notes(cfg, db, rep)

	var fileWarnings []string
	if filesSelected(cfg.scenarios) {
		say("creating the %s collection and %d records with a %dx%d PNG each", filesCollection, cfg.thumbRecords, thumbWidth, thumbHeight)
		if db.external() {
			defer func() {
				dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if derr := api.deleteCollection(dctx, filesCollection); derr != nil {
					say("delete collection %s: %v", filesCollection, derr)
				}
			}()
		}
		var lbFiles, pbFiles *fileSet
		if lbFiles, pbFiles, fileWarnings, err = setUpFiles(ctx, api, pbAPI, cfg.thumbRecords, cfg.uploadMemoryMB); err != nil {
			return fmt.Errorf("files: %w", err)
		}
		lbT.files = lbFiles
		if pbT != nil {
			pbT.files = pbFiles
		}
	}

	// PocketBase first: each comparison's create adds a record to lumbung's
	// table, and the lists of the next would count one too many.
	if len(targets) > 2 {
		rep.Warnings = compareWithPeer(lbT, targets[2], cfg.scenarios)
	}
	rep.Warnings = append(rep.Warnings, compareTargets(lbT, baseT, cfg.scenarios)...)
	rep.Warnings = append(rep.Warnings, fileWarnings...)
	for _, w := range rep.Warnings {
		say("warning: %s", w)
	}

	m := &measurer{cfg: cfg, targets: targets, mode: readMode, setMode: setMode, pgPID: db.postmasterPID(), say: say}
	if rep.Scenarios, err = m.measure(ctx, planSteps(cfg.scenarios, readMode, createModes)); err != nil {
		return err
	}
	rep.ConditionCosts = conditionCosts(rep.Scenarios)
	rep.CreateCosts = createCosts(rep.Scenarios)
	if base.firstErr != "" {
		rep.Warnings = append(rep.Warnings, "baseline: first server error: "+base.firstErr)
	}

	var rt *realtimeReport
	if cfg.realtime.clients > 0 {
		if m.mode != readMode {
			say("PostgreSQL mode: %s", readMode)
			if err := setMode(ctx, readMode); err != nil {
				return err
			}
		}
		if rt, err = runRealtime(ctx, cfg.realtime, api, lb.addr, col.Name, lb.pid(), say); err != nil {
			return err
		}
	}

	rep.writeTable(stdout)
	if rt != nil {
		rt.writeTable(stdout)
	}
	if cfg.out != "" {
		if err := rep.writeJSON(cfg.out); err != nil {
			return fmt.Errorf("write %s: %w", cfg.out, err)
		}
		say("wrote %s", cfg.out)
	}
	return nil
}

// notes say what differs between the targets beyond the code under test.
func notes(cfg config, db *database, rep *benchReport) []string {
	n := []string{
		"lumbung checks the token on every request (JWT verify plus a SELECT of the user row, cached for a second) " +
			"and logs one line per request to a file; the baseline has no auth and no request log.",
		"lumbung and the baseline run the same SQL on the same database with pools of the same size; " +
			"the baseline runs inside the load generator's process, lumbung in its own.",
		"scenarios rotate which target runs first; create runs last of the bench collection's scenarios because it grows the table.",
		"lumbung keeps list totals until a collection they count changes (exact: a write committed anywhere is counted by the next list); " +
			"nothing is written while the list scenarios run, so list, list-role and list-filter answer from kept totals, " +
			"while the baseline counts every time. list-count's filter differs on every request: both count, as after every write.",
	}
	if cfg.pocketbase {
		n = append(n, fmt.Sprintf("pocketbase: %s@%s as built by go install, with its defaults but dev mode off "+
			"(as users run it): SQLite in WAL mode with synchronous=NORMAL (no fsync per commit; the WAL is synced at checkpoints), "+
			"so in every row, whatever the pg mode column says; one writer at a time; every request logged to its own SQLite log database. "+
			"It gets the same collection (fields, index, rules) and the same records under the same ids, and the same requests "+
			"with its superuser's token, which it verifies reading the superuser's row on every request (no cache). "+
			"A list without sort is in its rowid order, Lumbung's by created and id.",
			pocketbaseModule, pocketbaseVersion))
	}
	if filesSelected(cfg.scenarios) {
		n = append(n, fmt.Sprintf("files: lumbung and pocketbase store them on local disk in their data directories "+
			"(lumbung streams a multipart body part by part into temporary files; pocketbase parses it with Go's ParseMultipartForm "+
			"with its 16 MB memory limit, beyond which parts go to temporary files); the collection %s has a file field of at most 5 MB (upload, thumbnails) and one of "+
			"at most %d MB (upload-memory); the baseline stores no files. Thumbnails are %s of %dx%d PNGs, kept once made "+
			"by both servers: thumb-cold makes each (no warm-up), thumb-cached asks again after a pass over all of them.",
			filesCollection, cfg.uploadMemoryMB+1, thumbSize, thumbWidth, thumbHeight))
	}
	if jsHookSelected(cfg.scenarios) {
		n = append(n, fmt.Sprintf("create-jshook: create's requests while %s in lumbung's hooks folder and pocketbase's pb_hooks "+
			"runs a before-create hook on the bench collection that appends %q to the title (the same file for both, pocketbase's format); "+
			"both servers start with the folder empty and watching it, the file is added before the warm-up and removed after the run "+
			"(lumbung reloads its scripts in place, pocketbase restarts itself in the same process), a probe create checking each time; "+
			"the baseline runs no JS.", jsHookFile, jsHookMark))
	}
	if webhookSelected(cfg.scenarios) {
		n = append(n, fmt.Sprintf("create-webhook: create's requests while one webhook of the bench collection's creates delivers "+
			"to a receiver in the load generator's process on 127.0.0.1 that answers 200 at once (the webhooks plugin allowed %s, "+
			"lumbung restarted to read it before any scenario). The webhook is made after the warm-up and deleted after the run; "+
			"the CPU columns stop with the load, deliveries still on their way after it are not counted in them; "+
			"pocketbase has no webhooks.", webhookLoopback))
	}
	if roleScenarios(cfg.scenarios) {
		n = append(n, fmt.Sprintf("the -role scenarios send the same requests as the superuser's as a member of the role %s, "+
			"whose list and view policies have the row condition %q (no field list); every record satisfies it, "+
			"so the answers match the baseline's, and lumbung adds the access decision and the condition in its SQL.",
			benchRole, roleCondition))
	}
	if db.external() {
		return append(n, "database: DATABASE_URL, in its own mode ("+rep.ReadMode+"); PostgreSQL CPU is not measured.")
	}
	n = append(n, "database: a private cluster, switched between modes with ALTER SYSTEM and a reload (and a CHECKPOINT) "+
		"between scenarios; reads ran in "+rep.ReadMode+", creates in "+strings.Join(rep.CreateModes, ", ")+".")
	for _, m := range dbModes {
		if m.name == rep.ReadMode || slices.Contains(rep.CreateModes, m.name) {
			n = append(n, "pg mode "+m.name+": "+m.about+".")
		}
	}
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return hex.EncodeToString(b)
}
