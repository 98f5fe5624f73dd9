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

	say("starting PostgreSQL")
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := startDatabase(ctx, cfg.durable, log)
	if err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer func() {
		if cerr := db.close(); cerr != nil {
			say("stop PostgreSQL: %v", cerr)
		}
	}()

	if cfg.realtime.clients > 0 {
		// Both ends of every connection are in this machine: one descriptor
		// here, one in lumbung, which inherits this process's limit.
		if got := raiseFileLimit(uint64(cfg.realtime.clients) + 1024); got > 0 && got < uint64(cfg.realtime.clients)+256 {
			say("warning: open-file limit %d is low for %d realtime clients", got, cfg.realtime.clients)
		}
	}
	say("starting lumbung")
	lb, err := startLumbung(ctx, bin, db.dsn)
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

	lbT := newTarget("lumbung", lb.addr, api.token, cfg.concurrency)
	lbT.roleAuth = roleToken
	baseT := newTarget("baseline", base.addr(), "", cfg.concurrency)
	defer lbT.client.CloseIdleConnections()
	defer baseT.client.CloseIdleConnections()
	env := &scenarioEnv{records: "/api/collections/" + col.Name + "/records", ids: ids}

	rep := &benchReport{
		Started: time.Now().UTC(), NumCPU: runtime.NumCPU(), Concurrency: cfg.concurrency,
		Duration: cfg.duration.String(), Warmup: cfg.warmup.String(), MaxRequests: cfg.requests,
		Records: cfg.records, PoolSize: base.poolSize(), Database: "private", Notes: notes(cfg, db),
	}
	if db.external() {
		rep.Database = "external (DATABASE_URL)"
	}
	rep.Warnings = compareTargets(lbT, baseT, env, cfg.scenarios)
	for _, w := range rep.Warnings {
		say("warning: %s", w)
	}

	cpu := func() cpuSample { return sampleCPU(lb.pid(), db.postmasterPID()) }
	if rep.Scenarios, err = measure(ctx, cfg, lbT, baseT, env, cpu, say); err != nil {
		return err
	}
	rep.ConditionCosts = conditionCosts(rep.Scenarios)
	if base.firstErr != "" {
		rep.Warnings = append(rep.Warnings, "baseline: first server error: "+base.firstErr)
	}

	var rt *realtimeReport
	if cfg.realtime.clients > 0 {
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

// measure runs each scenario against both targets, alternating which goes
// first, and sums up each run with the CPU it used.
func measure(ctx context.Context, cfg config, lbT, baseT *target, env *scenarioEnv, cpu func() cpuSample, say func(string, ...any)) ([]scenarioReport, error) {
	var out []scenarioReport
	for i, name := range cfg.scenarios {
		s, _ := scenarioByName(name)
		var lr, br *targetReport
		order := []*target{lbT, baseT}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, t := range order {
			say("%s: %s", name, t.name)
			if cfg.warmup > 0 {
				load(ctx, t, s, env, cfg.concurrency, cfg.warmup, cfg.requests)
			}
			before := cpu()
			res := load(ctx, t, s, env, cfg.concurrency, cfg.duration, cfg.requests)
			tr := newTargetReport(res, before, cpu())
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if t == lbT {
				lr = tr
			} else {
				tr.CPUServerUs = nil // the idle lumbung process
				br = tr
			}
		}
		out = append(out, newScenarioReport(name, lr, br))
	}
	return out, nil
}

// notes say what differs between the targets beyond the code under test.
func notes(cfg config, db *database) []string {
	n := []string{
		"lumbung checks the token on every request (JWT verify plus a SELECT of the user row, cached for a second) " +
			"and logs one line per request to a file; the baseline has no auth and no request log.",
		"both targets run the same SQL on the same database with pools of the same size; " +
			"the baseline runs inside the load generator's process, lumbung in its own.",
		"scenarios alternate which target runs first; create runs last because it grows the table.",
		"lumbung keeps list totals until a collection they count changes (exact: a write committed anywhere is counted by the next list); " +
			"nothing is written while the list scenarios run, so list, list-role and list-filter answer from kept totals, " +
			"while the baseline counts every time. list-count's filter differs on every request: both count, as after every write.",
	}
	if roleScenarios(cfg.scenarios) {
		n = append(n, fmt.Sprintf("the -role scenarios send the same requests as the superuser's as a member of the role %s, "+
			"whose list and view policies have the row condition %q (no field list); every record satisfies it, "+
			"so the answers match the baseline's, and lumbung adds the access decision and the condition in its SQL.",
			benchRole, roleCondition))
	}
	switch {
	case db.external():
		n = append(n, "database: DATABASE_URL; PostgreSQL CPU is not measured.")
	case cfg.durable:
		n = append(n, "database: private cluster with durable commits (fsync, synchronous_commit on).")
	default:
		n = append(n, "database: private cluster with fsync and synchronous_commit off (commits do not wait for disk).")
	}
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return hex.EncodeToString(b)
}
