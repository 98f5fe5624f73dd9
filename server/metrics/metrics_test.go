package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lumbunghq/lumbung/server/metrics"
	"github.com/lumbunghq/lumbung/server/realtime"
)

// MustMetrics returns Metrics on a new registry.
func MustMetrics(tb testing.TB) (*metrics.Metrics, *prometheus.Registry) {
	tb.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return m, reg
}

// TestRequests: requests count by method, route and code; no route is
// "unmatched".
func TestRequests(t *testing.T) {
	m, reg := MustMetrics(t)
	m.ObserveRequest("GET", "/api/health", 200, time.Millisecond)
	m.ObserveRequest("GET", "/api/health", 200, 2*time.Millisecond)
	m.ObserveRequest("GET", "", 404, time.Millisecond)
	want := `
# HELP lumbung_http_requests_total HTTP requests answered, by method, route pattern and status code.
# TYPE lumbung_http_requests_total counter
lumbung_http_requests_total{code="200",method="GET",route="/api/health"} 2
lumbung_http_requests_total{code="404",method="GET",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "lumbung_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "lumbung_http_request_duration_seconds"); n != 2 {
		t.Errorf("%d latency series, want 2", n)
	}
}

// TestTwoRegistries: two nodes in one process keep apart, and nothing
// lands on the global registry.
func TestTwoRegistries(t *testing.T) {
	a, regA := MustMetrics(t)
	_, regB := MustMetrics(t)
	a.ObserveRequest("GET", "/x", 200, 0)
	if n := testutil.CollectAndCount(regB, "lumbung_http_requests_total"); n != 0 {
		t.Errorf("the other registry has %d series", n)
	}
	if n := testutil.CollectAndCount(regA, "lumbung_http_requests_total"); n != 1 {
		t.Errorf("%d series, want 1", n)
	}
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "lumbung_") {
			t.Errorf("%s on the global registry", f.GetName())
		}
	}
}

type hubStats realtime.Stats

func (h hubStats) Stats() realtime.Stats { return realtime.Stats(h) }

// TestHubCollector: the hub's counts, read when scraped.
func TestHubCollector(t *testing.T) {
	m, reg := MustMetrics(t)
	if err := m.Register(metrics.NewHubCollector(hubStats{Clients: 3, Subscriptions: 5, Queued: 7, LongestQueue: 4, Delivered: 11, Slow: 1})); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP lumbung_realtime_clients Connected realtime clients (WebSocket and Server-Sent Events).
# TYPE lumbung_realtime_clients gauge
lumbung_realtime_clients 3
# HELP lumbung_realtime_deliveries_total Events handed to clients, one per subscription they reach, replays included.
# TYPE lumbung_realtime_deliveries_total counter
lumbung_realtime_deliveries_total 11
# HELP lumbung_realtime_queue_depth_max Events waiting in the longest client queue (at the hub's bound the client is disconnected).
# TYPE lumbung_realtime_queue_depth_max gauge
lumbung_realtime_queue_depth_max 4
# HELP lumbung_realtime_queued_events Events waiting in the clients' queues, all together.
# TYPE lumbung_realtime_queued_events gauge
lumbung_realtime_queued_events 7
# HELP lumbung_realtime_slow_disconnects_total Clients disconnected because they fell too far behind.
# TYPE lumbung_realtime_slow_disconnects_total counter
lumbung_realtime_slow_disconnects_total 1
# HELP lumbung_realtime_subscriptions Subscriptions of the connected clients.
# TYPE lumbung_realtime_subscriptions gauge
lumbung_realtime_subscriptions 5
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "lumbung_realtime_clients", "lumbung_realtime_deliveries_total",
		"lumbung_realtime_queue_depth_max", "lumbung_realtime_queued_events", "lumbung_realtime_slow_disconnects_total",
		"lumbung_realtime_subscriptions"); err != nil {
		t.Error(err)
	}
	m.DeliveryLag(30 * time.Millisecond)
	if n := testutil.CollectAndCount(reg, "lumbung_realtime_delivery_lag_seconds"); n != 1 {
		t.Errorf("%d lag series, want 1", n)
	}
}

// TestChangeLogCollector: each running consumer's position and lag behind
// the horizon; without the horizon, positions only.
func TestChangeLogCollector(t *testing.T) {
	var lastErr error
	cl := metrics.ChangeLog{
		Last: func(context.Context) (int64, error) { return 40, lastErr },
		Consumers: map[string]func() (int64, bool){
			"realtime": func() (int64, bool) { return 37, true },
			"stopped":  func() (int64, bool) { return 0, false },
		},
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewChangeLogCollector(cl))
	want := `
# HELP lumbung_changelog_lag_events How many seqs a consumer of the change log on this node is behind the log's horizon.
# TYPE lumbung_changelog_lag_events gauge
lumbung_changelog_lag_events{consumer="realtime"} 3
# HELP lumbung_changelog_last_seq The change log's horizon: every event numbered at or below it is readable or will never exist.
# TYPE lumbung_changelog_last_seq gauge
lumbung_changelog_last_seq 40
# HELP lumbung_changelog_position The last seq a consumer of the change log on this node has handled.
# TYPE lumbung_changelog_position gauge
lumbung_changelog_position{consumer="realtime"} 37
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	lastErr = errors.New("the database is away")
	want = `
# HELP lumbung_changelog_position The last seq a consumer of the change log on this node has handled.
# TYPE lumbung_changelog_position gauge
lumbung_changelog_position{consumer="realtime"} 37
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
