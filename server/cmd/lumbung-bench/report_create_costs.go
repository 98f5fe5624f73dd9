package main

import (
	"fmt"
	"io"
	"strings"
)

// createCost compares, on one target, a create scenario with something
// more at work (a JS hook, a webhook) with create in the same mode and run.
type createCost struct {
	Scenario string `json:"scenario"` // create-jshook or create-webhook
	Mode     string `json:"mode"`
	Target   string `json:"target"` // lumbung or pocketbase
	// ReqPerSec is the scenario's, CreateReqPerSec create's; Ratio the
	// first over the second (the cost is 1 - Ratio).
	ReqPerSec       float64 `json:"reqPerSec"`
	CreateReqPerSec float64 `json:"createReqPerSec"`
	Ratio           float64 `json:"ratio"`
	// CPURatio is create's CPU per request over the scenario's, every
	// process of the target counted: the ratio a CPU-bound machine would
	// show, steadier than Ratio when other work shares the machine.
	CPURatio *float64 `json:"cpuRatio,omitempty"`
	// Goal, if set, is the most the scenario may cost (1 - Ratio).
	Goal *float64 `json:"goal,omitempty"`
}

// createCosts pairs each run of create-jshook and create-webhook with
// create's in the same mode, target by target, when both ran.
func createCosts(reps []scenarioReport) []createCost {
	creates := map[string]*scenarioReport{}
	for i := range reps {
		if reps[i].Name == "create" {
			creates[reps[i].Mode] = &reps[i]
		}
	}
	var out []createCost
	for _, r := range reps {
		if r.Name != createJSHookScenario.name && r.Name != createWebhookScenario.name {
			continue
		}
		plain, ok := creates[r.Mode]
		if !ok {
			continue
		}
		for _, t := range []struct {
			name        string
			with, plain *targetReport
		}{{"lumbung", r.Lumbung, plain.Lumbung}, {"pocketbase", r.PocketBase, plain.PocketBase}} {
			if t.with == nil || t.plain == nil {
				continue
			}
			c := createCost{Scenario: r.Name, Mode: r.Mode, Target: t.name, ReqPerSec: t.with.ReqPerSec, CreateReqPerSec: t.plain.ReqPerSec}
			if c.CreateReqPerSec > 0 {
				c.Ratio = c.ReqPerSec / c.CreateReqPerSec
			}
			if wc, pc := targetCPU(t.with), targetCPU(t.plain); wc != nil && pc != nil && *wc > 0 {
				v := *pc / *wc
				c.CPURatio = &v
			}
			if r.Name == createJSHookScenario.name && t.name == "lumbung" {
				g := jsHookCostGoal
				c.Goal = &g
			}
			out = append(out, c)
		}
	}
	return out
}

// targetCPU is a run's CPU per request, every process of its target
// counted (the PostgreSQL share is unknown for PocketBase, which does
// not use it), or nil.
func targetCPU(t *targetReport) *float64 {
	vs := []*float64{t.CPUServerUs, t.CPUBenchUs}
	if t.CPUPostgresUs != nil {
		vs = append(vs, t.CPUPostgresUs)
	}
	sum, ok := sumKnown(vs...)
	if !ok {
		return nil
	}
	return &sum
}

// writeCreateCosts prints the create costs and the webhook deliveries,
// if any.
func (r *benchReport) writeCreateCosts(w io.Writer) {
	if len(r.CreateCosts) > 0 {
		fmt.Fprintf(w, "\nCreates with a trivial before-create JS hook (create-jshook) or one webhook (create-webhook) vs plain\n")
		fmt.Fprintf(w, "creates of the same run (goal: the JS hook costs lumbung at most %.0f%% of its create req/s):\n\n", jsHookCostGoal*100)
		fmt.Fprintf(w, "%-15s | %-12s | %-10s | %9s %9s | %5s %5s | %9s %5s |\n", "scenario", "pg mode", "target", "create", "with it", "ratio", "cost", "cpu ratio", "cost")
		fmt.Fprintln(w, strings.Repeat("-", 15)+"-+-"+strings.Repeat("-", 12)+"-+-"+strings.Repeat("-", 10)+"-+-"+strings.Repeat("-", 19)+
			"-+-"+strings.Repeat("-", 11)+"-+-"+strings.Repeat("-", 15)+"-+------------")
		for _, c := range r.CreateCosts {
			cpuRatio, cpuCost := "-", "-"
			if c.CPURatio != nil {
				cpuRatio, cpuCost = fmt.Sprintf("%.2f", *c.CPURatio), percent(1-*c.CPURatio)
			}
			verdict := ""
			if c.Goal != nil {
				verdict = "within goal"
				if 1-c.Ratio > *c.Goal {
					verdict = "OVER GOAL"
				}
			}
			fmt.Fprintf(w, "%-15s | %-12s | %-10s | %9.0f %9.0f | %5.2f %5s | %9s %5s | %s\n", c.Scenario, c.Mode, c.Target,
				c.CreateReqPerSec, c.ReqPerSec, c.Ratio, percent(1-c.Ratio), cpuRatio, cpuCost, verdict)
		}
		fmt.Fprintln(w, "\nratio = req/s with the hook or webhook / plain create req/s; cost = 1 - ratio; cpu ratio = plain create's")
		fmt.Fprintln(w, "CPU per request / the scenario's (the target's processes and the load generator), steadier on a shared machine")
	}
	r.writeWebhooks(w)
}

// writeWebhooks prints what create-webhook's receiver saw, if it ran.
func (r *benchReport) writeWebhooks(w io.Writer) {
	var rows []scenarioReport
	for _, s := range r.Scenarios {
		if s.Lumbung != nil && s.Lumbung.Webhook != nil {
			rows = append(rows, s)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWebhook deliveries during and after create-webhook (lumbung; pocketbase has no webhooks: n/a):")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-12s | %9s | %-21s | %11s | %9s %9s | %10s | %4s\n", "pg mode", "creates/s", "delivered / expected", "during load", "deliv/s", "to last", "lag", "dup")
	fmt.Fprintln(w, strings.Repeat("-", 12)+"-+-"+strings.Repeat("-", 9)+"-+-"+strings.Repeat("-", 21)+"-+-"+strings.Repeat("-", 11)+
		"-+-"+strings.Repeat("-", 19)+"-+-"+strings.Repeat("-", 10)+"-+-----")
	for _, s := range rows {
		h := s.Lumbung.Webhook
		lag := fmt.Sprintf("%.2f s", h.LagMs/1000)
		if !h.Drained {
			lag = "> " + lag
		}
		perSec := "-"
		if h.Drained {
			perSec = fmt.Sprintf("%.0f", h.PerSec)
		}
		fmt.Fprintf(w, "%-12s | %9.0f | %-21s | %11d | %9.0f %9s | %10s | %4d\n", s.Mode, s.Lumbung.ReqPerSec,
			fmt.Sprintf("%d / %d", h.Delivered, h.Expected), h.DuringRun, h.RunPerSec, perSec, lag, h.Duplicates)
	}
	fmt.Fprintln(w, "\nexpected = creates answered 200 in the run; delivered = distinct events the receiver got (dup: again);")
	fmt.Fprintln(w, "deliv/s = deliveries per second while the load ran; to last = delivered / (last delivery - start of the run);")
	fmt.Fprintf(w, "lag = last delivery - end of the load (\"> \": not every event arrived within %s)\n", webhookDrainWait)
}
