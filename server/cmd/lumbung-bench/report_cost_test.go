package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestConditionCosts(t *testing.T) {

	reps := []scenarioReport{
		{Name: "list", Lumbung: &targetReport{ReqPerSec: 1000, CPUServerUs: f(100), CPUPostgresUs: f(80), CPUBenchUs: f(20)}},
		{Name: "list-role", Lumbung: &targetReport{ReqPerSec: 800, CPUServerUs: f(130), CPUPostgresUs: f(100), CPUBenchUs: f(20)}},
		{Name: "view-role", Lumbung: &targetReport{ReqPerSec: 900}}, // view did not run
		{Name: "create", Lumbung: &targetReport{ReqPerSec: 500}},
	}
	costs := conditionCosts(reps)
	if len(costs) != 1 {
		t.Fatalf("got %d costs, want 1: %+v", len(costs), costs)
	}
	c := costs[0]
	if c.Scenario != "list-role" || c.Of != "list" || c.Ratio != 0.8 || c.CPURatio == nil || *c.CPURatio != 0.8 {
		t.Errorf("got %+v (cpu ratio %v), want list-role of list with ratio 0.8 and cpu ratio 0.8", c, c.CPURatio)
	}
	reps[0].Lumbung.CPUPostgresUs = nil
	if c := conditionCosts(reps)[0]; c.CPURatio != nil {
		t.Errorf("cpu ratio with an unknown part = %v, want none", *c.CPURatio)
	}

	var buf bytes.Buffer
	(&benchReport{ConditionCosts: []conditionCost{
		{Scenario: "list-role", Of: "list", RoleReqPerSec: 800, SuperuserReqPerSec: 1000, Ratio: 0.8, CPURatio: f(0.9)},
		{Scenario: "view-role", Of: "view", RoleReqPerSec: 950, SuperuserReqPerSec: 1000, Ratio: 0.95},
	}}).writeConditionCosts(&buf)
	out := buf.String()
	for _, want := range []string{
		"list-role           |       800      1000 |  0.80   20% |      0.90   10% | OVER GOAL",
		"view-role           |       950      1000 |  0.95    5% |         -     - | within goal",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	buf.Reset()
	(&benchReport{}).writeConditionCosts(&buf)
	if buf.Len() != 0 {
		t.Errorf("no costs printed %q", buf.String())
	}
}

func TestCreateCosts(t *testing.T) {
	reps := []scenarioReport{
		{Name: "create", Mode: "durable",
			Lumbung:    &targetReport{ReqPerSec: 1000, CPUServerUs: f(100), CPUPostgresUs: f(80), CPUBenchUs: f(20)},
			PocketBase: &targetReport{ReqPerSec: 800, CPUServerUs: f(300), CPUBenchUs: f(20)}},
		{Name: "create-jshook", Mode: "durable",
			Lumbung:    &targetReport{ReqPerSec: 750, CPUServerUs: f(150), CPUPostgresUs: f(80), CPUBenchUs: f(20)},
			PocketBase: &targetReport{ReqPerSec: 720, CPUServerUs: f(380), CPUBenchUs: f(20)}},
		{Name: "create-jshook", Mode: "no-fsync", Lumbung: &targetReport{ReqPerSec: 900}}, // create did not run in no-fsync
		{Name: "create-webhook", Mode: "durable", Lumbung: &targetReport{ReqPerSec: 950},
			Baseline: &targetReport{ReqPerSec: 2000}}, // never: the baseline is not compared
	}
	got := createCosts(reps)
	if len(got) != 3 {
		t.Fatalf("got %d costs, want 3: %+v", len(got), got)
	}
	l, p, w := got[0], got[1], got[2]
	if l.Scenario != "create-jshook" || l.Target != "lumbung" || l.Ratio != 0.75 || l.CPURatio == nil || *l.CPURatio != 0.8 ||
		l.Goal == nil || *l.Goal != jsHookCostGoal {
		t.Errorf("lumbung's JS hook: %+v", l)
	}
	if p.Target != "pocketbase" || p.Ratio != 0.9 || p.CPURatio == nil || *p.CPURatio != 0.8 || p.Goal != nil {
		t.Errorf("pocketbase's JS hook: %+v (no goal)", p)
	}
	if w.Scenario != "create-webhook" || w.Target != "lumbung" || w.Ratio != 0.95 || w.CPURatio != nil || w.Goal != nil {
		t.Errorf("lumbung's webhook: %+v", w)
	}

	var buf bytes.Buffer
	(&benchReport{CreateCosts: got}).writeCreateCosts(&buf)
	out := buf.String()
	for _, want := range []string{
		"create-jshook   | durable      | lumbung    |      1000       750 |  0.75   25% |      0.80   20% | OVER GOAL",
		"create-jshook   | durable      | pocketbase |       800       720 |  0.90   10% |      0.80   20% | \n",
		"create-webhook  | durable      | lumbung    |      1000       950 |  0.95    5% |         -     - | \n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	buf.Reset()
	(&benchReport{}).writeCreateCosts(&buf)
	if buf.Len() != 0 {
		t.Errorf("nothing to print printed %q", buf.String())
	}
}

func TestWriteWebhooks(t *testing.T) {
	var buf bytes.Buffer
	(&benchReport{Scenarios: []scenarioReport{
		{Name: "create", Mode: "durable", Lumbung: &targetReport{ReqPerSec: 3000}},
		{Name: "create-webhook", Mode: "durable", Lumbung: &targetReport{ReqPerSec: 2900, Webhook: &webhookReport{
			Expected: 8700, Delivered: 8700, DuringRun: 450, RunPerSec: 150, PerSec: 800, LagMs: 8030, Drained: true}}},
		{Name: "create-webhook", Mode: "no-fsync", Lumbung: &targetReport{ReqPerSec: 4000, Webhook: &webhookReport{
			Expected: 12000, Delivered: 11000, DuringRun: 500, RunPerSec: 166, LagMs: 300000, Duplicates: 2}}},
	}}).writeCreateCosts(&buf)
	out := buf.String()
	for _, want := range []string{
		"durable      |      2900 | 8700 / 8700           |         450 |       150       800 |     8.03 s |    0",
		"no-fsync     |      4000 | 11000 / 12000         |         500 |       166         - | > 300.00 s |    2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
