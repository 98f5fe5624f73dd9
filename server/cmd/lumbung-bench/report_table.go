package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// createGoals are Lumbung's goals for creates over PocketBase's, by
// PostgreSQL mode: at least as fast with every commit durable, half again
// as fast with the setting equivalent to PocketBase's.
var createGoals = map[string]float64{"durable": 1.0, "async-commit": 1.5}

// writeTable prints the results for people.
func (r *benchReport) writeTable(w io.Writer) {
	peer := "PocketBase " + r.PocketBase
	if !strings.HasPrefix(r.PocketBase, "v") {
		peer = "no PocketBase (" + r.PocketBase + ")"
	}
	fmt.Fprintf(w, "\nLumbung vs bare baseline and %s: %d connections, %s per run after %s warm-up (at most %d requests each),\n",
		peer, r.Concurrency, r.Duration, r.Warmup, r.MaxRequests)
	fmt.Fprintf(w, "%d seeded records, pool of %d connections each, %s PostgreSQL, %d CPUs\n\n",
		r.Records, r.PoolSize, r.Database, r.NumCPU)
	const cell = 24
	bar := func(widths ...int) string {
		parts := make([]string, len(widths))
		for i, n := range widths {
			parts[i] = strings.Repeat("-", n)
		}
		return strings.Join(parts, "-+-")
	}
	fmt.Fprintf(w, "%-19s | %-12s | %-*s | %-*s | %-*s | %s\n", "", "", cell, "lumbung", cell, "baseline", cell, "pocketbase", "lumbung /")
	fmt.Fprintf(w, "%-19s | %-12s | %s | %s | %s | %5s %5s\n", "scenario", "pg mode",
		cellHead(), cellHead(), cellHead(), "base", "pb")
	fmt.Fprintln(w, bar(19, 12, cell, cell, cell, 11))
	var errs []string
	for _, s := range r.Scenarios {
		pbRatio := "n/a"
		if s.PocketBaseRatio != nil {
			pbRatio = fmt.Sprintf("%.2f", *s.PocketBaseRatio)
		}
		baseRatio := "n/a"
		if s.Baseline != nil {
			baseRatio = fmt.Sprintf("%.2f", s.Ratio)
		}
		ratios := fmt.Sprintf("%5s %5s", baseRatio, pbRatio)
		for _, t := range []struct {
			name string
			rep  *targetReport
		}{{"lumbung", s.Lumbung}, {"baseline", s.Baseline}, {"pocketbase", s.PocketBase}} {
			if t.rep != nil && t.rep.Errors > 0 {
				if !strings.HasSuffix(ratios, " ERRORS") {
					ratios += " ERRORS"
				}
				errs = append(errs, fmt.Sprintf("%s (%s)/%s: %d of %d requests failed %v; first: %s",
					s.Name, s.Mode, t.name, t.rep.Errors, t.rep.Requests, t.rep.Statuses, t.rep.FirstError))
			}
		}
		fmt.Fprintf(w, "%-19s | %-12s | %s | %s | %s | %s\n", s.Name, s.Mode, cells(s.Lumbung), cells(s.Baseline), cells(s.PocketBase), ratios)
	}
	fmt.Fprintln(w, "\nlumbung / base, / pb = lumbung req/s over the baseline's, over PocketBase's (higher is better, 1.00 = as fast);")
	fmt.Fprintln(w, "n/a = the target does not serve the scenario (PocketBase has no roles or webhooks, the baseline no files, JS or webhooks)")
	fmt.Fprintln(w, "or did not run")
	r.writeCreates(w)
	r.writeCreateCosts(w)
	r.writeFiles(w)
	r.writeConditionCosts(w)
	r.writeCPU(w, bar)

	if len(errs) > 0 {
		fmt.Fprintln(w, "\nErrors:")
		for _, e := range errs {
			fmt.Fprintln(w, "  "+e)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, n := range r.Warnings {
			fmt.Fprintln(w, "  "+n)
		}
	}
	fmt.Fprintln(w, "\nNotes:")
	for _, n := range r.Notes {
		fmt.Fprintln(w, "  "+n)
	}
}

// writeCreates prints creates by PostgreSQL mode against PocketBase's
// default and the goals.
func (r *benchReport) writeCreates(w io.Writer) {
	var rows []scenarioReport
	for _, s := range r.Scenarios {
		if s.Name == "create" {
			rows = append(rows, s)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "\nCreates by PostgreSQL mode (PocketBase runs SQLite in WAL mode with synchronous=NORMAL, its default, in every row):")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-12s | %8s %8s %10s | %7s %7s | %s\n", "pg mode", "lumbung", "baseline", "pocketbase", "l/base", "l/pb", "goal l/pb")
	fmt.Fprintln(w, strings.Repeat("-", 12)+"-+-"+strings.Repeat("-", 28)+"-+-"+strings.Repeat("-", 15)+"-+-"+strings.Repeat("-", 16))
	for _, s := range rows {
		goal := "-"
		if g, ok := createGoals[s.Mode]; ok {
			goal = fmt.Sprintf(">= %.2f", g)
			if s.PocketBaseRatio != nil {
				if *s.PocketBaseRatio >= g {
					goal += " met"
				} else {
					goal += " NOT MET"
				}
			}
		}
		pbRatio := "n/a"
		if s.PocketBaseRatio != nil {
			pbRatio = fmt.Sprintf("%.2f", *s.PocketBaseRatio)
		}
		fmt.Fprintf(w, "%-12s | %8s %8s %10s | %7.2f %7s | %s\n", s.Mode,
			reqPerSec(s.Lumbung), reqPerSec(s.Baseline), reqPerSec(s.PocketBase), s.Ratio, pbRatio, goal)
	}
}

// writeCPU prints CPU per request by process and the CPU ratios.
func (r *benchReport) writeCPU(w io.Writer, bar func(...int) string) {
	fmt.Fprintf(w, "\nCPU per request in µs (lumbung: server process, PostgreSQL, load generator; baseline: server and load\n")
	fmt.Fprintf(w, "generator in one process, PostgreSQL; pocketbase: server process, load generator) and CPUs in use, of %d:\n\n", r.NumCPU)
	fmt.Fprintf(w, "%-19s | %-12s | %-30s | %-25s | %-25s | %s\n", "", "", "lumbung", "baseline", "pocketbase", "cpu ratio")
	fmt.Fprintf(w, "%-19s | %-12s | %6s %6s %6s %5s %5s | %6s %6s %5s %5s | %6s %6s %5s %5s | %5s %5s\n",
		"scenario", "pg mode", "server", "pg", "client", "busy", "other", "srv+cl", "pg", "busy", "other",
		"server", "client", "busy", "other", "base", "pb")
	fmt.Fprintln(w, bar(19, 12, 30, 25, 25, 11))
	var disturbed []string
	for _, s := range r.Scenarios {
		l, b, p := s.Lumbung, s.Baseline, s.PocketBase
		pbRatio, baseRatio := num(s.PocketBaseCPURatio, 2), num(s.CPURatio, 2)
		if p == nil {
			pbRatio = "n/a"
		}
		if b == nil {
			baseRatio = "n/a"
		}
		fmt.Fprintf(w, "%-19s | %-12s | %s | %s | %s | %5s %5s\n", s.Name, s.Mode,
			cpuCells(l, 5, func(t *targetReport) []string {
				return []string{num(t.CPUServerUs, 0), num(t.CPUPostgresUs, 0), num(t.CPUBenchUs, 0), num(t.BusyCPUs, 2), num(t.OtherCPUs, 2)}
			}),
			cpuCells(b, 4, func(t *targetReport) []string {
				return []string{num(t.CPUBenchUs, 0), num(t.CPUPostgresUs, 0), num(t.BusyCPUs, 2), num(t.OtherCPUs, 2)}
			}),
			cpuCells(p, 4, func(t *targetReport) []string {
				return []string{num(t.CPUServerUs, 0), num(t.CPUBenchUs, 0), num(t.BusyCPUs, 2), num(t.OtherCPUs, 2)}
			}),
			baseRatio, pbRatio)
		for _, t := range []*targetReport{l, b, p} {
			if t != nil && t.OtherCPUs != nil && *t.OtherCPUs > disturbedAt {
				disturbed = append(disturbed, s.Name+" ("+s.Mode+")")
				break
			}
		}
	}
	fmt.Fprintln(w, "\nbusy = CPUs the machine kept busy; other = CPUs used by processes outside the target under load")
	fmt.Fprintln(w, "(for pocketbase: the idle lumbung and PostgreSQL, and whatever ran on the CPU it left idle)")
	fmt.Fprintln(w, "cpu ratio = the other target's CPU per request / lumbung's, all its processes counted:")
	fmt.Fprintln(w, "the req/s ratio a CPU-bound machine would show; steadier when other work shares the machine")
	if len(disturbed) > 0 {
		fmt.Fprintf(w, "\nOther processes used more than %.1f CPUs during: %s.\n", disturbedAt, strings.Join(disturbed, ", "))
		fmt.Fprintln(w, "Their req/s and latencies are disturbed; trust the cpu ratio there, or run again on a quiet machine.")
	}
}

// cpuCells formats n CPU figures of t: CPU per request in columns of 6,
// the machine's CPUs in use in the last two of 5; n/a for no report.
func cpuCells(t *targetReport, n int, figures func(*targetReport) []string) string {
	var v []string
	if t == nil {
		v = append([]string{"n/a"}, make([]string, n-1)...)
	} else {
		v = figures(t)
	}
	out := make([]string, n)
	for i, s := range v {
		width := 6
		if i >= n-2 {
			width = 5
		}
		out[i] = fmt.Sprintf("%*s", width, s)
	}
	return strings.Join(out, " ")
}

func cellHead() string { return fmt.Sprintf("%8s %7s %7s", "req/s", "p50 ms", "p99 ms") }

func cells(t *targetReport) string {
	if t == nil {
		return fmt.Sprintf("%8s %7s %7s", "n/a", "", "")
	}
	return fmt.Sprintf("%8.0f %7.2f %7.2f", t.ReqPerSec, t.P50Ms, t.P99Ms)
}

func reqPerSec(t *targetReport) string {
	if t == nil {
		return "n/a"
	}
	return strconv.FormatFloat(t.ReqPerSec, 'f', 0, 64)
}

// num formats v, "-" when unknown.
func num(v *float64, decimals int) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', decimals, 64)
}
