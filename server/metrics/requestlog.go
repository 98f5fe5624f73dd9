package metrics

import "github.com/prometheus/client_golang/prometheus"

// NewRequestLogCollector exports how many request log entries the node
// dropped (see api.RequestLog.Dropped), read from dropped when scraped.
func NewRequestLogCollector(dropped func() uint64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "request_log", Name: "dropped_total",
		Help: "Request log entries not written: the queue was full, or the write failed.",
	}, func() float64 { return float64(dropped()) })
}
