// Package metrics exports one node's metrics in Prometheus's format: the
// HTTP requests it answers, its database pool, its realtime hub and its
// place in the change log. Everything is registered on a registry the
// server builds and passes in, never on Prometheus's global one. The
// collectors read the pool, the hub and the log when scraped, through the
// small interfaces below, so that the packages they watch import neither
// Prometheus nor HTTP.
package metrics

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric's name.
const namespace = "lumbung"

// Unmatched is the route label of requests that matched no route, so
// that unknown paths cannot make new series.
const Unmatched = "unmatched"

// latencyBuckets are the upper bounds, in seconds, of the request and
// delivery latency histograms: Prometheus's defaults with two finer ones
// below, as most answers take a few milliseconds.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics are a node's request and realtime delivery metrics, and the
// handler that serves every metric of its registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	lag      prometheus.Histogram
	handler  http.Handler
}

// New registers the request and realtime delivery metrics, and those of
// the Go runtime and of the process, on reg. Errors from collectors
// during a scrape are logged to log and the rest is still served.
func New(reg *prometheus.Registry, log *slog.Logger) (*Metrics, error) {
	if log == nil {
		log = slog.Default()
	}
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time taken to answer HTTP requests, by method and route pattern.",
			Buckets: latencyBuckets,
		}, []string{"method", "route"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "realtime", Name: "delivery_lag_seconds",
			Help:    "Time from the start of a record change's write transaction to the hand-off of its event to a client's connection.",
			Buckets: latencyBuckets,
		}),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.duration, m.lag,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
	return m, nil
}

// Register adds collectors (such as NewPoolCollector's) to the registry.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// ObserveRequest records one answered request: its method, the pattern
// of the route it matched (Unmatched, or "", for none), its status code
// and how long it took.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if route == "" {
		route = Unmatched
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(took.Seconds())
}

// DeliveryLag records the lag of one realtime delivery (the hub's
// realtime.HubConfig.DeliveryLag).
func (m *Metrics) DeliveryLag(lag time.Duration) { m.lag.Observe(lag.Seconds()) }

// Handler serves every metric of the registry in Prometheus's text
// format (or another the scraper asks for), unprotected: the caller
// decides who may read it.
func (m *Metrics) Handler() http.Handler { return m.handler }
