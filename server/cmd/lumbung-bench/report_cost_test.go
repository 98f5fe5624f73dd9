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
