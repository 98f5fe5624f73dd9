package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// step is one scenario measured in one PostgreSQL mode.
type step struct {
	scenario string
	mode     string // a dbModes name, or an external server's (modeName)
}

// planSteps orders the measurements: every scenario in the order given,
// reads in readMode, and each writing scenario once per create mode;
// writing scenarios that follow each other (create, create-jshook,
// create-webhook) run one after the other in each mode, so that those
// compared with create run beside it.
func planSteps(scenarioNames []string, readMode string, createModes []string) []step {
	var out, writes []step
	flush := func() {
		for _, m := range createModes {
			for _, w := range writes {
				out = append(out, step{w.scenario, m})
			}
		}
		writes = nil
	}
	for _, name := range scenarioNames {
		s, ok := scenarioByName(name)
		if !ok {
			continue
		}
		switch {
		case s.method == http.MethodGet:
			flush()
			out = append(out, step{name, readMode})
		case s.files: // uploads: once, in the first create mode
			flush()
			out = append(out, step{name, createModes[0]})
		default:
			writes = append(writes, step{scenario: name})
		}
	}
	flush()
	return out
}

// measurer runs steps against the targets that serve them.
type measurer struct {
	cfg     config
	targets []*target // lumbung, baseline and, if it runs, pocketbase
	// mode is the database's mode now; setMode switches it.
	mode    string
	setMode func(ctx context.Context, mode string) error
	// pgPID is the private cluster's postmaster, 0 for an external one.
	pgPID int
	say   func(string, ...any)
}

// measure runs each step against each target that serves its scenario,
// rotating which goes first, and sums up each run with the CPU it used.
func (m *measurer) measure(ctx context.Context, steps []step) ([]scenarioReport, error) {
	var out []scenarioReport
	for i, st := range steps {
		if st.mode != m.mode {
			m.say("PostgreSQL mode: %s", st.mode)
			if err := m.setMode(ctx, st.mode); err != nil {
				return nil, err
			}
			m.mode = st.mode
		}
		s, _ := scenarioByName(st.scenario)
		var order []*target
		for _, t := range m.targets {
			if t.supports(s) {
				order = append(order, t)
			}
		}
		if n := len(order); n > 0 {
			order = slices.Concat(order[i%n:], order[:i%n])
		}
		reps := map[string]*targetReport{}
		for _, t := range order {
			m.say("%s (%s): %s", st.scenario, st.mode, t.name)
			tr, err := m.measureOne(ctx, t, s)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err != nil {
				return nil, fmt.Errorf("%s (%s) on %s: %w", st.scenario, st.mode, t.name, err)
			}
			reps[t.name] = tr
		}
		out = append(out, newScenarioReport(st.scenario, st.mode, reps["lumbung"], reps["baseline"], reps["pocketbase"]))
	}
	return out, nil
}

// measureOne warms t up and measures one run of s against it. Its error
// is a fixture's (s.prepare) that could not be set up or taken back.
func (m *measurer) measureOne(ctx context.Context, t *target, s scenario) (tr *targetReport, err error) {
	if s.run != nil {
		before := m.sample(t)
		res, mem := s.run(ctx, t, m.cfg)
		tr := newTargetReport(res, before, m.sample(t))
		tr.Memory = mem
		tr.addPayload(s, m.cfg)
		return tr, nil
	}
	var fx *fixture
	if s.prepare != nil {
		if fx, err = s.prepare(ctx, t, m.cfg); err != nil {
			return nil, err
		}
	}
	res, end := &loadResult{statuses: map[int]int{}}, time.Now()
	if fx != nil {
		defer func() {
			if aerr := fx.afterRun(ctx, res, end, tr); err == nil {
				err = aerr
			}
		}()
	}
	warm := runBounds{m.cfg.warmup, m.cfg.requests}
	bounds := runBounds{m.cfg.duration, m.cfg.requests}
	if s.bounds != nil {
		warm, bounds = s.bounds(t, m.cfg)
	}
	if warm.duration > 0 && warm.requests > 0 {
		load(ctx, t, s, m.cfg.concurrency, warm.duration, warm.requests)
	}
	if fx != nil && fx.beforeRun != nil {
		if err := fx.beforeRun(ctx); err != nil {
			return nil, err
		}
	}
	before := m.sample(t)
	res = load(ctx, t, s, m.cfg.concurrency, bounds.duration, bounds.requests)
	end = time.Now()
	tr = newTargetReport(res, before, m.sample(t))
	tr.addPayload(s, m.cfg)
	return tr, nil
}

// sample reads the CPU used so far by t's processes.
func (m *measurer) sample(t *target) cpuSample {
	pg := 0
	if t.postgres {
		pg = m.pgPID
	}
	return sampleCPU(t.serverPID, pg)
}
