package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuSample is CPU time used so far; -1 where unknown.
type cpuSample struct {
	at       time.Time
	self     time.Duration // this process: load generator and baseline
	lumbung  time.Duration // the Lumbung server process
	postgres time.Duration // the private cluster
	machine  time.Duration // every CPU, every process
}

// benchReport is the whole result, printed as a table and written as JSON.
type benchReport struct {
	Started     time.Time        `json:"started"`
	NumCPU      int              `json:"numCPU"`
	Concurrency int              `json:"concurrency"`
	Duration    string           `json:"duration"`
	Warmup      string           `json:"warmup"`
	MaxRequests int              `json:"maxRequests"`
	Records     int              `json:"records"`
	PoolSize    int32            `json:"poolSize"`
	Database    string           `json:"database"`
	Notes       []string         `json:"notes"`
	Warnings    []string         `json:"warnings,omitempty"`
	Scenarios   []scenarioReport `json:"scenarios"`
	// ConditionCosts compare the role scenarios with the superuser's.
	ConditionCosts []conditionCost `json:"conditionCosts,omitempty"`
}

type scenarioReport struct {
	Name     string        `json:"name"`
	Lumbung  *targetReport `json:"lumbung"`
	Baseline *targetReport `json:"baseline"`
	// Ratio is Lumbung's req/s over the baseline's.
	Ratio float64 `json:"ratio"`
	// CPURatio is the baseline's CPU per request over Lumbung's, counting
	// server, PostgreSQL and load generator on both sides: the throughput
	// ratio of a CPU-bound machine, steadier than Ratio when other work
	// shares the machine.
	CPURatio *float64 `json:"cpuRatio,omitempty"`
}

// newScenarioReport pairs the two targets' runs of one scenario.
func newScenarioReport(name string, l, b *targetReport) scenarioReport {
	s := scenarioReport{Name: name, Lumbung: l, Baseline: b}
	if b.ReqPerSec > 0 {
		s.Ratio = l.ReqPerSec / b.ReqPerSec
	}
	lc, lok := sumKnown(l.CPUServerUs, l.CPUPostgresUs, l.CPUBenchUs)
	bc, bok := sumKnown(b.CPUBenchUs, b.CPUPostgresUs)
	if lok && bok && lc > 0 {
		v := bc / lc
		s.CPURatio = &v
	}
	return s
}

type targetReport struct {
	Requests   int            `json:"requests"`
	OK         int            `json:"ok"`
	Errors     int            `json:"errors"`
	Statuses   map[string]int `json:"errorStatuses,omitempty"` // "0" counts transport errors
	FirstError string         `json:"firstError,omitempty"`
	Seconds    float64        `json:"seconds"`
	ReqPerSec  float64        `json:"reqPerSec"`
	P50Ms      float64        `json:"p50Ms"`
	P99Ms      float64        `json:"p99Ms"`
	// CPU microseconds per 200 answer, where known. For Lumbung, Bench is
	// the load generator alone; for the baseline it includes the server.
	CPUServerUs   *float64 `json:"cpuServerUs,omitempty"`
	CPUBenchUs    *float64 `json:"cpuBenchUs,omitempty"`
	CPUPostgresUs *float64 `json:"cpuPostgresUs,omitempty"`
	// BusyCPUs is how many CPUs the machine kept busy on average;
	// OtherCPUs how many of them ran processes outside the benchmark.
	BusyCPUs  *float64 `json:"busyCPUs,omitempty"`
	OtherCPUs *float64 `json:"otherCPUs,omitempty"`
}

// minCPUWall is the shortest run whose CPU use is reported.
const minCPUWall = time.Second

// newTargetReport summarizes one measured run.
func newTargetReport(r *loadResult, before, after cpuSample) *targetReport {
	t := &targetReport{
		Requests: r.sent, OK: r.ok, Errors: r.errors(), FirstError: r.firstErr,
		Seconds: r.elapsed.Seconds(),
		P50Ms:   ms(percentile(r.latencies, 0.50)),
		P99Ms:   ms(percentile(r.latencies, 0.99)),
	}
	if r.elapsed > 0 {
		t.ReqPerSec = float64(r.ok) / r.elapsed.Seconds()
	}
	if len(r.statuses) > 0 {
		t.Statuses = map[string]int{}
		for k, v := range r.statuses {
			t.Statuses[strconv.Itoa(k)] = v
		}
	}
	// /proc counts in 10ms ticks: shorter runs say nothing about CPU.
	wall := after.at.Sub(before.at)
	perReq := func(a, b time.Duration) *float64 {
		if a < 0 || b < 0 || r.ok == 0 || wall < minCPUWall {
			return nil
		}
		v := float64((b - a).Microseconds()) / float64(r.ok)
		return &v
	}
	t.CPUServerUs = perReq(before.lumbung, after.lumbung)
	t.CPUBenchUs = perReq(before.self, after.self)
	t.CPUPostgresUs = perReq(before.postgres, after.postgres)
	if before.machine >= 0 && after.machine >= 0 && wall >= minCPUWall {
		busy := after.machine - before.machine
		v := float64(busy) / float64(wall)
		t.BusyCPUs = &v
		ours := after.self - before.self
		if after.lumbung >= 0 && before.lumbung >= 0 {
			ours += after.lumbung - before.lumbung
		}
		if after.postgres >= 0 && before.postgres >= 0 {
			ours += after.postgres - before.postgres
		}
		o := max(float64(busy-ours)/float64(wall), 0)
		t.OtherCPUs = &o
	}
	return t
}

// disturbedAt is the CPU use by other processes above which a run's req/s
// say more about the machine than about the server.
const disturbedAt = 0.2

// percentile returns the nearest-rank percentile p of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeTable prints the results for people.
func (r *benchReport) writeTable(w io.Writer) {
	fmt.Fprintf(w, "\nLumbung vs bare baseline: %d connections, %s per run after %s warm-up (at most %d requests each),\n",
		r.Concurrency, r.Duration, r.Warmup, r.MaxRequests)
	fmt.Fprintf(w, "%d seeded records, pool of %d connections each, %s PostgreSQL, %d CPUs\n\n",
		r.Records, r.PoolSize, r.Database, r.NumCPU)
	fmt.Fprintf(w, "%-19s | %-27s | %-27s |\n", "", "lumbung", "baseline")
	fmt.Fprintf(w, "%-19s | %9s %8s %8s | %9s %8s %8s | %s\n", "scenario", "req/s", "p50", "p99", "req/s", "p50", "p99", "ratio")
	fmt.Fprintln(w, strings.Repeat("-", 19)+"-+-"+strings.Repeat("-", 27)+"-+-"+strings.Repeat("-", 27)+"-+-------")
	var errs []string
	for _, s := range r.Scenarios {
		ratio := fmt.Sprintf("%.2f", s.Ratio)
		for _, t := range []struct {
			name string
			rep  *targetReport
		}{{"lumbung", s.Lumbung}, {"baseline", s.Baseline}} {
			if t.rep != nil && t.rep.Errors > 0 {
				ratio += " ERRORS"
				errs = append(errs, fmt.Sprintf("%s/%s: %d of %d requests failed %v; first: %s",
					s.Name, t.name, t.rep.Errors, t.rep.Requests, t.rep.Statuses, t.rep.FirstError))
			}
		}
		fmt.Fprintf(w, "%-19s | %s | %s | %s\n", s.Name, cells(s.Lumbung), cells(s.Baseline), ratio)
	}
	fmt.Fprintln(w, "\nratio = lumbung req/s / baseline req/s (higher is better, 1.00 = as fast as the baseline)")
	r.writeConditionCosts(w)

	fmt.Fprintf(w, "\nCPU per request in µs (lumbung: server process, PostgreSQL, load generator;\n")
	fmt.Fprintf(w, "baseline: server and load generator in one process, PostgreSQL) and CPUs in use, of %d:\n\n", r.NumCPU)
	fmt.Fprintf(w, "%-19s | %-35s | %-27s |\n", "", "lumbung", "baseline")
	fmt.Fprintf(w, "%-19s | %7s %7s %7s %5s %5s | %7s %7s %5s %5s | %s\n",
		"scenario", "server", "pg", "client", "busy", "other", "srv+cli", "pg", "busy", "other", "cpu ratio")
	fmt.Fprintln(w, strings.Repeat("-", 19)+"-+-"+strings.Repeat("-", 35)+"-+-"+strings.Repeat("-", 27)+"-+----------")
	var disturbed []string
	for _, s := range r.Scenarios {
		l, b := s.Lumbung, s.Baseline
		fmt.Fprintf(w, "%-19s | %7s %7s %7s %5s %5s | %7s %7s %5s %5s | %s\n", s.Name,
			num(l.CPUServerUs, 0), num(l.CPUPostgresUs, 0), num(l.CPUBenchUs, 0), num(l.BusyCPUs, 2), num(l.OtherCPUs, 2),
			num(b.CPUBenchUs, 0), num(b.CPUPostgresUs, 0), num(b.BusyCPUs, 2), num(b.OtherCPUs, 2), num(s.CPURatio, 2))
		for _, t := range []*targetReport{l, b} {
			if t.OtherCPUs != nil && *t.OtherCPUs > disturbedAt {
				disturbed = append(disturbed, s.Name)
				break
			}
		}
	}
	fmt.Fprintln(w, "\nbusy = CPUs the machine kept busy; other = CPUs used by processes outside the benchmark")
	fmt.Fprintln(w, "cpu ratio = baseline CPU per request / lumbung CPU per request, all processes counted:")
	fmt.Fprintln(w, "the req/s ratio a CPU-bound machine would show; steadier when other work shares the machine")
	if len(disturbed) > 0 {
		fmt.Fprintf(w, "\nOther processes used more than %.1f CPUs during: %s.\n", disturbedAt, strings.Join(disturbed, ", "))
		fmt.Fprintln(w, "Their req/s and latencies are disturbed; trust the cpu ratio there, or run again on a quiet machine.")
	}
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

func cells(t *targetReport) string {
	if t == nil {
		return fmt.Sprintf("%27s", "-")
	}
	return fmt.Sprintf("%9.0f %6.2fms %6.2fms", t.ReqPerSec, t.P50Ms, t.P99Ms)
}

func num(v *float64, decimals int) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', decimals, 64)
}

// writeJSON writes the results to path.
func (r *benchReport) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
