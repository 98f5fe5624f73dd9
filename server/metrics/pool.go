package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Pool is a database connection pool, as *pgxpool.Pool.
type Pool interface {
	Stat() *pgxpool.Stat
}

// poolCollector reads a pool's statistics when scraped.
type poolCollector struct {
	pool  Pool
	descs []poolMetric
}

// poolMetric is one statistic of a pool.
type poolMetric struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*pgxpool.Stat) float64
}

// NewPoolCollector returns a collector of pool's statistics, read when
// scraped: connections in use, idle, open and allowed, and how many
// acquisitions waited, and for how long.
func NewPoolCollector(pool Pool) prometheus.Collector {
	gauge, counter := prometheus.GaugeValue, prometheus.CounterValue
	metric := func(name, help string, kind prometheus.ValueType, value func(*pgxpool.Stat) float64) poolMetric {
		return poolMetric{prometheus.NewDesc(prometheus.BuildFQName(namespace, "db_pool", name), help, nil, nil), kind, value}
	}
	return &poolCollector{pool: pool, descs: []poolMetric{
		metric("acquired_connections", "Connections in use by queries.", gauge,
			func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) }),
		metric("idle_connections", "Open connections waiting for a query.", gauge,
			func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) }),
		metric("total_connections", "Open connections (in use, idle and being opened).", gauge,
			func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) }),
		metric("constructing_connections", "Connections being opened.", gauge,
			func(s *pgxpool.Stat) float64 { return float64(s.ConstructingConns()) }),
		metric("max_connections", "The most connections the pool opens.", gauge,
			func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) }),
		metric("acquires_total", "Connections handed to queries.", counter,
			func(s *pgxpool.Stat) float64 { return float64(s.AcquireCount()) }),
		metric("acquire_duration_seconds_total", "Time spent acquiring connections.", counter,
			func(s *pgxpool.Stat) float64 { return s.AcquireDuration().Seconds() }),
		metric("acquire_waits_total", "Acquisitions that had to wait for a connection (none was idle).", counter,
			func(s *pgxpool.Stat) float64 { return float64(s.EmptyAcquireCount()) }),
		metric("acquire_wait_seconds_total", "Time acquisitions spent waiting for a connection when none was idle.", counter,
			func(s *pgxpool.Stat) float64 { return s.EmptyAcquireWaitTime().Seconds() }),
		metric("canceled_acquires_total", "Acquisitions given up by their caller (a deadline or a cancellation).", counter,
			func(s *pgxpool.Stat) float64 { return float64(s.CanceledAcquireCount()) }),
		metric("new_connections_total", "Connections opened.", counter,
			func(s *pgxpool.Stat) float64 { return float64(s.NewConnsCount()) }),
	}}
}

// Describe sends the descriptions of the pool's metrics.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.descs {
		ch <- m.desc
	}
}

// Collect reads the pool's statistics once and sends each metric.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pool.Stat()
	for _, m := range c.descs {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(st))
	}
}
