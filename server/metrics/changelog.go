package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ChangeLog is the change log and the consumers of it on this node.
type ChangeLog struct {
	// Last returns the log's horizon: every event numbered at or below
	// it is readable or will never exist (postgres.Events.Last).
	Last func(ctx context.Context) (int64, error)
	// Consumers return each consumer's position by name ("realtime": the
	// node's tailer), false while the consumer does not run.
	Consumers map[string]func() (int64, bool)
	// Timeout bounds the read of Last during a scrape (2 seconds).
	Timeout time.Duration
	// Logger receives a failed read of Last (slog.Default when nil).
	Logger *slog.Logger
}

// changeLogCollector reads the log's horizon and the consumers'
// positions when scraped.
type changeLogCollector struct {
	cfg                 ChangeLog
	last, position, lag *prometheus.Desc
}

// NewChangeLogCollector returns a collector of the change log's horizon
// and, per consumer, of its position and of its lag in events (the
// horizon minus the position), read when scraped. While the database
// cannot be read, the horizon and the lags are left out and the
// positions still sent.
func NewChangeLogCollector(cfg ChangeLog) prometheus.Collector {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &changeLogCollector{
		cfg: cfg,
		last: prometheus.NewDesc(prometheus.BuildFQName(namespace, "changelog", "last_seq"),
			"The change log's horizon: every event numbered at or below it is readable or will never exist.", nil, nil),
		position: prometheus.NewDesc(prometheus.BuildFQName(namespace, "changelog", "position"),
			"The last seq a consumer of the change log on this node has handled.", []string{"consumer"}, nil),
		lag: prometheus.NewDesc(prometheus.BuildFQName(namespace, "changelog", "lag_events"),
			"How many seqs a consumer of the change log on this node is behind the log's horizon.", []string{"consumer"}, nil),
	}
}

// Describe sends the descriptions of the change log's metrics.
func (c *changeLogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.last
	ch <- c.position
	ch <- c.lag
}

// Collect reads the horizon once, then each consumer's position.
func (c *changeLogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	last, err := c.cfg.Last(ctx)
	if err != nil {
		c.cfg.Logger.Warn("metrics: read the change log's horizon", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, float64(last))
	}
	for name, position := range c.cfg.Consumers {
		pos, ok := position()
		if !ok {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.position, prometheus.GaugeValue, float64(pos), name)
		if err == nil {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(max(last-pos, 0)), name)
		}
	}
}
