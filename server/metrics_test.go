package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const metricsToken = "scrape-token-0123456789"

// startMetricsNode runs a node on a new database with the superuser
// admin@example.com and returns its URL and a superuser token.
func startMetricsNode(t *testing.T) (base, token string) {
	t.Helper()
	dsn := mustAdminDB(t)
	base = startNode(t, dsn)
	return base, signIn(t, base)
}

// scrape reads GET /metrics with header (name, value pairs) and returns
// its status and, for a 200, the metric families parsed as Prometheus
// parses them.
func scrape(t *testing.T, base string, header ...string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		io.Copy(io.Discard, res.Body) //nolint:errcheck // only the status matters
		return res.StatusCode, nil
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return res.StatusCode, families
}

// mustScrape scrapes with the bearer token and fails unless it gets a 200.
func mustScrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	status, families := scrape(t, base, "Authorization", "Bearer "+metricsToken)
	if status != http.StatusOK {
		t.Fatalf("scrape: %d", status)
	}
	return families
}

// value returns the value of the series of family name whose labels
// include labels (name, value pairs), and whether there is one. Histograms
// give their sample count.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f, ok := families[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// waitMetric scrapes until the series of name with labels has want, or
// fails after a bounded wait with the last value seen.
func waitMetric(t *testing.T, base string, want float64, name string, labels ...string) {
	t.Helper()
	var got float64
	var ok bool
	for range 200 {
		if got, ok = value(mustScrape(t, base), name, labels...); ok && got == want {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s%v = %v (present: %v), want %v", name, labels, got, ok, want)
}

// TestMetricsProtection: GET /metrics is a 404 until the settings enable
// it, then answers the bearer token or an allowed address (the client's
// address as the trusted proxy settings make it) and no one else.
func TestMetricsProtection(t *testing.T) {
	base, token := startMetricsNode(t)
	patch := func(body string) string {
		t.Helper()
		return call(t, base, token, "PATCH", "/api/settings", body)
	}
	if status, _ := scrape(t, base); status != http.StatusNotFound {
		t.Fatalf("disabled: %d, want 404", status)
	}
	view := patch(`{"metrics": {"enabled": true, "token": "` + metricsToken + `"}}`)
	if strings.Contains(view, metricsToken) || !strings.Contains(view, `"tokenSet":true`) {
		t.Fatalf("settings show the token: %s", view)
	}
	cases := []struct {
		name   string
		header []string
		want   int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"a wrong token", []string{"Authorization", "Bearer " + metricsToken + "x"}, http.StatusUnauthorized},
		{"a superuser's token", []string{"Authorization", "Bearer " + token}, http.StatusUnauthorized},
		{"the token", []string{"Authorization", "Bearer " + metricsToken}, http.StatusOK},
	}
	for _, c := range cases {
		if status, _ := scrape(t, base, c.header...); status != c.want {
			t.Errorf("%s: %d, want %d", c.name, status, c.want)
		}
	}
	// An allowed address needs no token; the token still works.
	patch(`{"metrics": {"allowedAddresses": ["127.0.0.0/8"]}}`)
	if status, _ := scrape(t, base); status != http.StatusOK {
		t.Errorf("allowed address: %d, want 200", status)
	}
	// Addresses only: a client elsewhere is forbidden, token or not.
	patch(`{"metrics": {"token": null, "allowedAddresses": ["10.9.0.0/16"]}}`)
	if status, _ := scrape(t, base); status != http.StatusForbidden {
		t.Errorf("other address: %d, want 403", status)
	}
	if status, _ := scrape(t, base, "Authorization", "Bearer "+metricsToken); status != http.StatusForbidden {
		t.Errorf("cleared token: %d, want 403", status)
	}
	// Behind a trusted proxy the client is the address it names.
	if status, _ := scrape(t, base, "X-Forwarded-For", "10.9.1.1"); status != http.StatusForbidden {
		t.Errorf("untrusted proxy header: %d, want 403", status)
	}
	patch(`{"trustedProxy": {"proxies": ["127.0.0.1"]}}`)
	if status, _ := scrape(t, base, "X-Forwarded-For", "10.9.1.1"); status != http.StatusOK {
		t.Errorf("allowed client behind a trusted proxy: %d, want 200", status)
	}
	if status, _ := scrape(t, base, "X-Forwarded-For", "10.8.1.1"); status != http.StatusForbidden {
		t.Errorf("other client behind a trusted proxy: %d, want 403", status)
	}
	patch(`{"metrics": {"enabled": false}}`)
	if status, _ := scrape(t, base, "X-Forwarded-For", "10.9.1.1"); status != http.StatusNotFound {
		t.Errorf("disabled again: %d, want 404", status)
	}
}

// TestMetricsRequests: requests are counted by route pattern (never by
// their path), method and status, with a latency histogram; a path that
// matches no route counts as "unmatched"; the pool and change log
// collectors answer.
func TestMetricsRequests(t *testing.T) {
	base, token := startMetricsNode(t)
	call(t, base, token, "PATCH", "/api/settings", `{"metrics": {"enabled": true, "token": "`+metricsToken+`"}}`)
	call(t, base, token, "POST", "/api/collections", `{"name": "posts", "fields": [{"name": "n", "type": "number"}],
		"listRule": "", "viewRule": "", "createRule": ""}`)
	for range 3 {
		call(t, base, "", "POST", "/api/collections/posts/records", `{"n": 1}`)
	}
	call(t, base, "", "GET", "/api/collections/posts/records?filter=n%3D1", "")
	call(t, base, "", "GET", "/api/collections/posts/records", "")
	for _, r := range []struct {
		token, path string
		status      int
	}{
		{"", "/api/collections/nope/records", http.StatusNotFound},
		{"not a token", "/api/collections/posts/records", http.StatusUnauthorized}, // stopped before its route
		{"", "/no/such/path", http.StatusNotFound},
		{"", "/api/no/such/path", http.StatusNotFound},
	} {
		if status, body, err := request(base, r.token, "GET", r.path, ""); err != nil || status != r.status {
			t.Fatalf("GET %s: %d %s %v, want %d", r.path, status, body, err, r.status)
		}
	}
	families := mustScrape(t, base)
	const records = "/api/collections/:collection/records"
	for _, c := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"method", "POST", "route", records, "code", "200"}, 3},
		{[]string{"method", "GET", "route", records, "code", "200"}, 2},
		{[]string{"method", "GET", "route", records, "code", "404"}, 1},
		{[]string{"method", "GET", "route", records, "code", "401"}, 1},
		{[]string{"method", "POST", "route", "/api/collections", "code", "200"}, 1},
		{[]string{"method", "PATCH", "route", "/api/settings", "code", "200"}, 1},
		{[]string{"method", "GET", "route", "unmatched", "code", "404"}, 2},
	} {
		if got, _ := value(families, "lumbung_http_requests_total", c.labels...); got != c.want {
			t.Errorf("requests %v: %v, want %v", c.labels, got, c.want)
		}
	}
	if got, _ := value(families, "lumbung_http_request_duration_seconds", "method", "POST", "route", records); got != 3 {
		t.Errorf("POST %s latency samples: %v, want 3", records, got)
	}
	for _, m := range families["lumbung_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && (strings.Contains(l.GetValue(), "posts") || strings.Contains(l.GetValue(), "nope") ||
				strings.Contains(l.GetValue(), "such")) {
				t.Errorf("a route label holds a path: %q", l.GetValue())
			}
		}
	}
	if got, ok := value(families, "lumbung_db_pool_max_connections"); !ok || got < 1 {
		t.Errorf("pool max connections: %v %v", got, ok)
	}
	if got, ok := value(families, "lumbung_db_pool_acquires_total"); !ok || got < 1 {
		t.Errorf("pool acquires: %v %v", got, ok)
	}
	if _, ok := value(families, "go_goroutines"); !ok {
		t.Error("no Go runtime metrics")
	}
	// The tailer catches up with the three creates.
	waitMetric(t, base, 0, "lumbung_changelog_lag_events", "consumer", "realtime")
	last, _ := value(mustScrape(t, base), "lumbung_changelog_last_seq")
	position, _ := value(mustScrape(t, base), "lumbung_changelog_position", "consumer", "realtime")
	if last < 3 || position != last {
		t.Errorf("change log: last %v, position %v", last, position)
	}
}

// TestMetricsRealtime: the realtime gauges follow a WebSocket client as it
// connects, subscribes and leaves, and its events are counted with their
// lag.
func TestMetricsRealtime(t *testing.T) {
	base, token := startMetricsNode(t)
	call(t, base, token, "PATCH", "/api/settings", `{"metrics": {"enabled": true, "token": "`+metricsToken+`"}}`)
	call(t, base, token, "POST", "/api/collections", `{"name": "posts", "fields": [{"name": "n", "type": "number"}],
		"listRule": "", "viewRule": "", "createRule": ""}`)
	families := mustScrape(t, base)
	for _, name := range []string{"lumbung_realtime_clients", "lumbung_realtime_subscriptions", "lumbung_realtime_queued_events",
		"lumbung_realtime_deliveries_total", "lumbung_realtime_slow_disconnects_total"} {
		if got, ok := value(families, name); !ok || got != 0 {
			t.Errorf("%s before any client: %v (present: %v), want 0", name, got, ok)
		}
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/realtime", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitMetric(t, base, 1, "lumbung_realtime_clients")
	waitMetric(t, base, 0, "lumbung_realtime_subscriptions")
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type": "subscribe", "id": "s", "topic": "posts/*"}`)); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, base, 1, "lumbung_realtime_subscriptions")
	call(t, base, "", "POST", "/api/collections/posts/records", `{"n": 7}`)
	conn.SetReadDeadline(time.Now().Add(time.Minute)) //nolint:errcheck // guards against a hang only
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if strings.Contains(string(b), `"type":"event"`) {
			break
		}
	}
	families = mustScrape(t, base)
	if got, _ := value(families, "lumbung_realtime_deliveries_total"); got != 1 {
		t.Errorf("deliveries: %v, want 1", got)
	}
	if got, _ := value(families, "lumbung_realtime_delivery_lag_seconds"); got != 1 {
		t.Errorf("delivery lag samples: %v, want 1", got)
	}
	conn.Close()
	waitMetric(t, base, 0, "lumbung_realtime_clients")
	waitMetric(t, base, 0, "lumbung_realtime_subscriptions")
}
