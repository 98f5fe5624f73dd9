package main

import (
	"encoding/json"
	"os"
	"strconv"
	"time"
)

// cpuSample is CPU time used so far; -1 where unknown.
type cpuSample struct {
	at       time.Time
	self     time.Duration // this process: load generator and baseline
	server   time.Duration // the process of the server under load
	postgres time.Duration // the private cluster
	machine  time.Duration // every CPU, every process
}

// benchReport is the whole result, printed as a table and written as JSON.
type benchReport struct {
	Started     time.Time `json:"started"`
	NumCPU      int       `json:"numCPU"`
	Concurrency int       `json:"concurrency"`
	Duration    string    `json:"duration"`
	Warmup      string    `json:"warmup"`
	MaxRequests int       `json:"maxRequests"`
	Records     int       `json:"records"`
	PoolSize    int32     `json:"poolSize"`
	Database    string    `json:"database"`
	// PocketBase is the version measured beside Lumbung, or why none was.
	PocketBase string `json:"pocketbase"`
	// ReadMode is the PostgreSQL mode of every scenario but create, which
	// runs in each of CreateModes (see dbModes).
	ReadMode    string           `json:"readMode"`
	CreateModes []string         `json:"createModes"`
	Notes       []string         `json:"notes"`
	Warnings    []string         `json:"warnings,omitempty"`
	Scenarios   []scenarioReport `json:"scenarios"`
	// ConditionCosts compare the role scenarios with the superuser's.
	ConditionCosts []conditionCost `json:"conditionCosts,omitempty"`
	// CreateCosts compare create-jshook and create-webhook with create.
	CreateCosts []createCost `json:"createCosts,omitempty"`
}

// scenarioReport is one scenario in one PostgreSQL mode against every
// target that serves it; a nil target report is n/a (PocketBase has no
// roles, or was not run).
type scenarioReport struct {
	Name string `json:"name"`
	// Mode is the PostgreSQL mode the scenario ran in (dbModes); PocketBase
	// always runs SQLite with its defaults.
	Mode       string        `json:"mode"`
	Lumbung    *targetReport `json:"lumbung"`
	Baseline   *targetReport `json:"baseline"`
	PocketBase *targetReport `json:"pocketbase"`
	// Ratio is Lumbung's req/s over the baseline's; 0 where the baseline
	// does not serve the scenario (Baseline is null: the file scenarios).
	Ratio float64 `json:"ratio"`
	// CPURatio is the baseline's CPU per request over Lumbung's, counting
	// server, PostgreSQL and load generator on both sides: the throughput
	// ratio of a CPU-bound machine, steadier than Ratio when other work
	// shares the machine.
	CPURatio *float64 `json:"cpuRatio,omitempty"`
	// PocketBaseRatio is Lumbung's req/s over PocketBase's; nil is n/a.
	PocketBaseRatio *float64 `json:"pocketbaseRatio"`
	// PocketBaseCPURatio is PocketBase's CPU per request (server and load
	// generator) over Lumbung's (server, PostgreSQL and load generator).
	PocketBaseCPURatio *float64 `json:"pocketbaseCpuRatio,omitempty"`
}

// newScenarioReport puts the targets' runs of one scenario side by side.
// p is nil where PocketBase did not run.
func newScenarioReport(name, mode string, l, b, p *targetReport) scenarioReport {
	s := scenarioReport{Name: name, Mode: mode, Lumbung: l, Baseline: b, PocketBase: p}
	if l == nil {
		return s
	}
	lc, lok := sumKnown(l.CPUServerUs, l.CPUPostgresUs, l.CPUBenchUs)
	if b != nil {
		if b.ReqPerSec > 0 {
			s.Ratio = l.ReqPerSec / b.ReqPerSec
		}
		if bc, bok := sumKnown(b.CPUBenchUs, b.CPUPostgresUs); lok && bok && lc > 0 {
			v := bc / lc
			s.CPURatio = &v
		}
	}
	if p != nil {
		if p.ReqPerSec > 0 {
			v := l.ReqPerSec / p.ReqPerSec
			s.PocketBaseRatio = &v
		}
		if pc, pok := sumKnown(p.CPUServerUs, p.CPUBenchUs); lok && pok && lc > 0 {
			v := pc / lc
			s.PocketBaseCPURatio = &v
		}
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
	// CPU microseconds per 200 answer, where known. Server is the server's
	// process (Lumbung's, PocketBase's); Bench is this process: the load
	// generator, and for the baseline the server too. Postgres is unknown
	// for PocketBase, which does not use it.
	CPUServerUs   *float64 `json:"cpuServerUs,omitempty"`
	CPUBenchUs    *float64 `json:"cpuBenchUs,omitempty"`
	CPUPostgresUs *float64 `json:"cpuPostgresUs,omitempty"`
	// BusyCPUs is how many CPUs the machine kept busy on average;
	// OtherCPUs how many of them ran processes outside the benchmark.
	BusyCPUs  *float64 `json:"busyCPUs,omitempty"`
	OtherCPUs *float64 `json:"otherCPUs,omitempty"`
	// MBPerSec is the file bytes the 200 answers took in, in MB (2^20
	// bytes) per second, for the scenarios that upload.
	MBPerSec *float64 `json:"mbPerSec,omitempty"`
	// Memory is the server's memory around the run, where measured.
	Memory *memoryReport `json:"memory,omitempty"`
	// Webhook is what create-webhook's receiver saw of the run.
	Webhook *webhookReport `json:"webhook,omitempty"`
}

// addPayload sets MBPerSec for a scenario whose requests carry files.
func (t *targetReport) addPayload(s scenario, cfg config) {
	if s.payload == nil || t.Seconds <= 0 {
		return
	}
	v := float64(t.OK) * float64(s.payload(cfg)) / (1 << 20) / t.Seconds
	t.MBPerSec = &v
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
	t.CPUServerUs = perReq(before.server, after.server)
	t.CPUBenchUs = perReq(before.self, after.self)
	t.CPUPostgresUs = perReq(before.postgres, after.postgres)
	if before.machine >= 0 && after.machine >= 0 && wall >= minCPUWall {
		busy := after.machine - before.machine
		v := float64(busy) / float64(wall)
		t.BusyCPUs = &v
		ours := after.self - before.self
		if after.server >= 0 && before.server >= 0 {
			ours += after.server - before.server
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

// writeJSON writes the results to path.
func (r *benchReport) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
