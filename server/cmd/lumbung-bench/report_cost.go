package main

import (
	"fmt"
	"io"
	"strings"
)

// conditionCostGoal is the share of Lumbung's throughput a row condition
// may cost: a role scenario should reach at least 85% of the req/s of the
// superuser scenario it repeats.
const conditionCostGoal = 0.15

// conditionCost compares, on Lumbung alone, a role scenario with the
// superuser scenario whose requests it repeats.
type conditionCost struct {
	Scenario           string  `json:"scenario"` // the role scenario, e.g. list-role
	Of                 string  `json:"of"`       // the superuser scenario, e.g. list
	RoleReqPerSec      float64 `json:"roleReqPerSec"`
	SuperuserReqPerSec float64 `json:"superuserReqPerSec"`
	// Ratio is the role's req/s over the superuser's; the cost is 1 - Ratio.
	Ratio float64 `json:"ratio"`
	// CPURatio is the superuser's CPU per request over the role's, server,
	// PostgreSQL and load generator counted: the ratio a CPU-bound machine
	// would show, steadier than Ratio when other work shares the machine.
	CPURatio *float64 `json:"cpuRatio,omitempty"`
}

// conditionCosts pairs every role scenario with its superuser scenario,
// when both ran.
func conditionCosts(reps []scenarioReport) []conditionCost {
	byName := make(map[string]*scenarioReport, len(reps))
	for i := range reps {
		byName[reps[i].Name] = &reps[i]
	}
	var out []conditionCost
	for _, r := range reps {
		s, ok := scenarioByName(r.Name)
		if !ok || s.roleOf == "" {
			continue
		}
		su, ok := byName[s.roleOf]
		if !ok || r.Lumbung == nil || su.Lumbung == nil {
			continue
		}
		c := conditionCost{Scenario: r.Name, Of: s.roleOf,
			RoleReqPerSec: r.Lumbung.ReqPerSec, SuperuserReqPerSec: su.Lumbung.ReqPerSec}
		if c.SuperuserReqPerSec > 0 {
			c.Ratio = c.RoleReqPerSec / c.SuperuserReqPerSec
		}
		rc, rok := sumKnown(r.Lumbung.CPUServerUs, r.Lumbung.CPUPostgresUs, r.Lumbung.CPUBenchUs)
		sc, sok := sumKnown(su.Lumbung.CPUServerUs, su.Lumbung.CPUPostgresUs, su.Lumbung.CPUBenchUs)
		if rok && sok && rc > 0 {
			v := sc / rc
			c.CPURatio = &v
		}
		out = append(out, c)
	}
	return out
}

// writeConditionCosts prints the condition costs, if any.
func (r *benchReport) writeConditionCosts(w io.Writer) {
	if len(r.ConditionCosts) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCondition cost: lumbung as a member of a role whose policy has a row condition vs as the superuser\n")
	fmt.Fprintf(w, "(goal: the condition costs at most %.0f%% of req/s):\n\n", conditionCostGoal*100)
	fmt.Fprintf(w, "%-19s | %9s %9s | %5s %5s | %9s %5s |\n", "scenario", "role", "superuser", "ratio", "cost", "cpu ratio", "cost")
	fmt.Fprintln(w, strings.Repeat("-", 19)+"-+-"+strings.Repeat("-", 19)+"-+-"+strings.Repeat("-", 11)+"-+-"+strings.Repeat("-", 15)+"-+-----")
	for _, c := range r.ConditionCosts {
		cpuRatio, cpuCost := "-", "-"
		if c.CPURatio != nil {
			cpuRatio, cpuCost = fmt.Sprintf("%.2f", *c.CPURatio), percent(1-*c.CPURatio)
		}
		verdict := "within goal"
		if 1-c.Ratio > conditionCostGoal {
			verdict = "OVER GOAL"
		}
		fmt.Fprintf(w, "%-19s | %9.0f %9.0f | %5.2f %5s | %9s %5s | %s\n", c.Scenario,
			c.RoleReqPerSec, c.SuperuserReqPerSec, c.Ratio, percent(1-c.Ratio), cpuRatio, cpuCost, verdict)
	}
	fmt.Fprintln(w, "\nratio = role req/s / superuser req/s; cost = 1 - ratio; cpu ratio = superuser CPU per request /")
	fmt.Fprintln(w, "role CPU per request (lumbung, PostgreSQL and load generator), the steadier figure on a shared machine")
}

func percent(v float64) string { return fmt.Sprintf("%.0f%%", v*100) }

// sumKnown adds vs, or reports that one of them is unknown.
func sumKnown(vs ...*float64) (sum float64, ok bool) {
	for _, v := range vs {
		if v == nil {
			return 0, false
		}
		sum += *v
	}
	return sum, true
}
