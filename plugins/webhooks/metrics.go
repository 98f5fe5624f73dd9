package webhooks

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	wpg "github.com/lumbunghq/lumbung/plugins/webhooks/postgres"
)

// collector counts this node's deliveries by result and reads, when
// scraped, how far each enabled webhook is behind the change log.
type collector struct {
	store      *wpg.Store
	log        *slog.Logger
	deliveries *prometheus.CounterVec
	backlog    *prometheus.Desc
}

func newCollector(store *wpg.Store, log *slog.Logger) *collector {
	return &collector{
		store: store,
		log:   log,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "lumbung", Subsystem: "webhook",
			Name: "deliveries_total", Help: "Webhook deliveries made by this node, by result (success, failure)."},
			[]string{"result"}),
		backlog: prometheus.NewDesc("lumbung_webhook_backlog_events",
			"How many seqs of the change log an enabled webhook is behind its horizon.", []string{"webhook"}, nil),
	}
}

// delivered counts one delivery.
func (c *collector) delivered(ok bool) {
	if ok {
		c.deliveries.WithLabelValues("success").Inc()
	} else {
		c.deliveries.WithLabelValues("failure").Inc()
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	c.deliveries.Describe(ch)
	ch <- c.backlog
}

// Collect implements prometheus.Collector; while the database cannot be
// read the backlog is left out.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	c.deliveries.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	backlog, err := c.store.Backlog(ctx)
	if err != nil {
		c.log.Warn("webhooks: backlog", "err", err)
		return
	}
	for id, n := range backlog {
		ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(n), id)
	}
}
