package main

import (
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

func TestScenarioReportRatios(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	l := &targetReport{ReqPerSec: 500, CPUServerUs: f(100), CPUPostgresUs: f(60), CPUBenchUs: f(40)}
	b := &targetReport{ReqPerSec: 1000, CPUBenchUs: f(60), CPUPostgresUs: f(40)}
	s := newScenarioReport("view", l, b)
	if s.Ratio != 0.5 || s.CPURatio == nil || *s.CPURatio != 0.5 {
		t.Errorf("ratio %v, cpu ratio %v; want 0.5 and 0.5", s.Ratio, s.CPURatio)
	}
	b.CPUPostgresUs = nil
	if s := newScenarioReport("view", l, b); s.CPURatio != nil {
		t.Errorf("cpu ratio with an unknown part = %v, want none", *s.CPURatio)
	}
}

func TestBlankGenerated(t *testing.T) {
	in := `{"collectionId":"c","id":"abc","title":"t","created":"2026-01-01 00:00:00.000Z","updated":"x"}`
	want := `{"collectionId":"c","id":"…","title":"t","created":"…","updated":"…"}`
	if got := string(blankGenerated([]byte(in))); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
