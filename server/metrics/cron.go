package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CronRuns counts the cron job runs a node made, by job and result
// ("success" or "error", a panic included), with their durations.
type CronRuns struct {
	runs     *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var _ prometheus.Collector = (*CronRuns)(nil)

// NewCronRuns returns the cron run metrics, to register with
// Metrics.Register and feed with Observe.
func NewCronRuns() *CronRuns {
	return &CronRuns{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "cron", Name: "runs_total",
			Help: "Cron job runs this node made, by job and result (success, error).",
		}, []string{"job", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "cron", Name: "run_duration_seconds",
			Help:    "How long the cron job runs this node made took, by job.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10), // 10 ms to about 45 minutes
		}, []string{"job"}),
	}
}

// Observe counts a run of job that took took; failed says whether it
// returned an error or panicked.
func (c *CronRuns) Observe(job string, failed bool, took time.Duration) {
	result := "success"
	if failed {
		result = "error"
	}
	c.runs.WithLabelValues(job, result).Inc()
	c.duration.WithLabelValues(job).Observe(took.Seconds())
}

// Describe implements prometheus.Collector.
func (c *CronRuns) Describe(ch chan<- *prometheus.Desc) {
	c.runs.Describe(ch)
	c.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *CronRuns) Collect(ch chan<- prometheus.Metric) {
	c.runs.Collect(ch)
	c.duration.Collect(ch)
}
