package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lumbunghq/lumbung/server/realtime"
)

// Hub is a realtime hub, as *realtime.Hub.
type Hub interface {
	Stats() realtime.Stats
}

// hubCollector reads a hub's counts when scraped.
type hubCollector struct {
	hub                                        Hub
	clients, subs, queued, longest, sent, slow *prometheus.Desc
}

// NewHubCollector returns a collector of hub's counts, read when scraped:
// connected clients, their subscriptions, queued events (all of them,
// and in the longest queue), deliveries, and clients disconnected for
// falling behind.
func NewHubCollector(hub Hub) prometheus.Collector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "realtime", name), help, nil, nil)
	}
	return &hubCollector{
		hub:     hub,
		clients: desc("clients", "Connected realtime clients (WebSocket and Server-Sent Events)."),
		subs:    desc("subscriptions", "Subscriptions of the connected clients."),
		queued:  desc("queued_events", "Events waiting in the clients' queues, all together."),
		longest: desc("queue_depth_max", "Events waiting in the longest client queue (at the hub's bound the client is disconnected)."),
		sent:    desc("deliveries_total", "Events handed to clients, one per subscription they reach, replays included."),
		slow:    desc("slow_disconnects_total", "Clients disconnected because they fell too far behind."),
	}
}

// Describe sends the descriptions of the hub's metrics.
func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.clients, c.subs, c.queued, c.longest, c.sent, c.slow} {
		ch <- d
	}
}

// Collect reads the hub's counts once and sends each metric.
func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.hub.Stats()
	ch <- prometheus.MustNewConstMetric(c.clients, prometheus.GaugeValue, float64(st.Clients))
	ch <- prometheus.MustNewConstMetric(c.subs, prometheus.GaugeValue, float64(st.Subscriptions))
	ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(st.Queued))
	ch <- prometheus.MustNewConstMetric(c.longest, prometheus.GaugeValue, float64(st.LongestQueue))
	ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(st.Delivered))
	ch <- prometheus.MustNewConstMetric(c.slow, prometheus.CounterValue, float64(st.Slow))
}
