package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.50, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
	if got := percentile(d[:1], 0.99); got != time.Millisecond {
		t.Errorf("percentile of one = %v", got)
	}
}

func f(v float64) *float64 { return &v }

func TestScenarioReportRatios(t *testing.T) {
	l := &targetReport{ReqPerSec: 500, CPUServerUs: f(100), CPUPostgresUs: f(60), CPUBenchUs: f(40)}
	b := &targetReport{ReqPerSec: 1000, CPUBenchUs: f(60), CPUPostgresUs: f(40)}
	p := &targetReport{ReqPerSec: 250, CPUServerUs: f(350), CPUBenchUs: f(50)}
	s := newScenarioReport("view", "no-fsync", l, b, p)
	if s.Ratio != 0.5 || s.CPURatio == nil || *s.CPURatio != 0.5 {
		t.Errorf("ratio %v, cpu ratio %v; want 0.5 and 0.5", s.Ratio, s.CPURatio)
	}
	if s.PocketBaseRatio == nil || *s.PocketBaseRatio != 2 || s.PocketBaseCPURatio == nil || *s.PocketBaseCPURatio != 2 {
		t.Errorf("pocketbase ratio %v, cpu ratio %v; want 2 and 2", s.PocketBaseRatio, s.PocketBaseCPURatio)
	}
	b.CPUPostgresUs = nil
	p.CPUServerUs = nil
	if s := newScenarioReport("view", "no-fsync", l, b, p); s.CPURatio != nil || s.PocketBaseCPURatio != nil {
		t.Errorf("cpu ratios with an unknown part = %v, %v, want none", s.CPURatio, s.PocketBaseCPURatio)
	}
	if s := newScenarioReport("view-role", "no-fsync", l, b, nil); s.PocketBaseRatio != nil || s.PocketBaseCPURatio != nil {
		t.Errorf("without pocketbase: ratio %v, cpu ratio %v, want none", s.PocketBaseRatio, s.PocketBaseCPURatio)
	}
}

// sampleReport has a scenario PocketBase does not serve and creates in
// two modes, one of them under its goal.
func sampleReport() *benchReport {
	tr := func(rps float64) *targetReport {
		return &targetReport{Requests: int(rps), OK: int(rps), ReqPerSec: rps, P50Ms: 1.5, P99Ms: 9.25,
			CPUServerUs: f(100), CPUPostgresUs: f(50), CPUBenchUs: f(20), BusyCPUs: f(2), OtherCPUs: f(0.1)}
	}
	pb := func(rps float64) *targetReport {
		r := tr(rps)
		r.CPUPostgresUs = nil
		return r
	}
	return &benchReport{
		NumCPU: 2, Concurrency: 16, Duration: "5s", Warmup: "1s", MaxRequests: 100000, Records: 10000, PoolSize: 4,
		Database: "private", PocketBase: pocketbaseVersion, ReadMode: "no-fsync", CreateModes: []string{"durable", "async-commit"},
		Scenarios: []scenarioReport{
			newScenarioReport("list", "no-fsync", tr(12000), tr(5000), pb(3000)),
			newScenarioReport("list-role", "no-fsync", tr(11000), tr(5000), nil),
			newScenarioReport("create", "durable", tr(900), tr(1000), pb(1200)),
			newScenarioReport("create", "async-commit", tr(3200), tr(3300), pb(2000)),
		},
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	sampleReport().writeTable(&buf)
	out := buf.String()
	for _, want := range []string{
		"Lumbung vs bare baseline and PocketBase " + pocketbaseVersion,
		"list                | no-fsync     |    12000    1.50    9.25 |     5000    1.50    9.25 |     3000    1.50    9.25 |  2.40  4.00",
		"list-role           | no-fsync     |    11000    1.50    9.25 |     5000    1.50    9.25 |      n/a                 |  2.20   n/a",
		"create              | durable      |      900",
		"create              | async-commit |     3200",
		// the creates by mode, against the goals
		"durable      |      900     1000       1200 |    0.90    0.75 | >= 1.00 NOT MET",
		"async-commit |     3200     3300       2000 |    0.97    1.60 | >= 1.50 met",
		// CPU: n/a for PocketBase's role scenario, its CPU ratio counted otherwise
		"list-role           | no-fsync     |    100     50     20  2.00  0.10 |     20     50  2.00  0.10 |    n/a                    |  0.41   n/a",
		"list                | no-fsync     |    100     50     20  2.00  0.10 |     20     50  2.00  0.10 |    100     20  2.00  0.10 |  0.41  0.71",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestWriteTableWithoutPocketBase(t *testing.T) {
	r := sampleReport()
	r.PocketBase = "skipped (-pocketbase=false)"
	for i := range r.Scenarios {
		s := &r.Scenarios[i]
		*s = newScenarioReport(s.Name, s.Mode, s.Lumbung, s.Baseline, nil)
	}
	var buf bytes.Buffer
	r.writeTable(&buf)
	out := buf.String()
	for _, want := range []string{
		"Lumbung vs bare baseline and no PocketBase (skipped (-pocketbase=false))",
		"durable      |      900     1000        n/a |    0.90     n/a | >= 1.00",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := sampleReport().writeJSON(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		PocketBase  string   `json:"pocketbase"`
		ReadMode    string   `json:"readMode"`
		CreateModes []string `json:"createModes"`
		Scenarios   []struct {
			Name            string           `json:"name"`
			Mode            string           `json:"mode"`
			PocketBase      *json.RawMessage `json:"pocketbase"`
			PocketBaseRatio *float64         `json:"pocketbaseRatio"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.PocketBase != pocketbaseVersion || got.ReadMode != "no-fsync" || strings.Join(got.CreateModes, ",") != "durable,async-commit" {
		t.Errorf("header: %+v", got)
	}
	if len(got.Scenarios) != 4 {
		t.Fatalf("%d scenarios", len(got.Scenarios))
	}
	if s := got.Scenarios[1]; s.Name != "list-role" || s.PocketBase != nil || s.PocketBaseRatio != nil {
		t.Errorf("list-role: pocketbase %v, ratio %v; want null and null", s.PocketBase, s.PocketBaseRatio)
	}
	if s := got.Scenarios[3]; s.Mode != "async-commit" || s.PocketBaseRatio == nil || *s.PocketBaseRatio != 1.6 {
		t.Errorf("create in async-commit: %+v", s)
	}
	// n/a is null in the file, not absent.
	if !bytes.Contains(b, []byte(`"pocketbase": null`)) || !bytes.Contains(b, []byte(`"pocketbaseRatio": null`)) {
		t.Errorf("no explicit nulls in:\n%s", b)
	}
}

func TestBlankGenerated(t *testing.T) {
	in := `{"collectionId":"c","id":"abc","title":"t","created":"2026-01-01 00:00:00.000Z","updated":"x"}`
	want := `{"collectionId":"c","id":"…","title":"t","created":"…","updated":"…"}`
	if got := string(blankGenerated([]byte(in))); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
