package api_test

import (
	"encoding/json"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// TestRealtimeGeoPoint: realtime events carry a geoPoint as the same
// {lon, lat} object the REST API answers, and subscription filters use
// geoDistance over it.
func TestRealtimeGeoPoint(t *testing.T) {
	var dsn string
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0"; dsn = c.DatabaseURL })
	e.MustJSON("POST", "/api/collections", "", `{"name": "pins", "fields": [
		{"name": "title", "type": "text"}, {"name": "at", "type": "geoPoint"}]}`, 200, nil)
	addr := MustServe(t, e)
	mustTailing(t, dsn)
	c := MustDial(t, addr, e.token)
	c.call(map[string]any{"type": "subscribe", "id": "near", "topic": "pins/*",
		"filter": "geoDistance(at.lon, at.lat, 12.5, 41.9) < 10"}, "ack")
	e.MustJSON("POST", "/api/collections/pins/records", "", `{"title": "far", "at": {"lon": 2.35, "lat": 48.85}}`, 200, nil)
	e.MustJSON("POST", "/api/collections/pins/records", "", `{"title": "rome", "at": {"lon": 12.4964, "lat": 41.9028}}`, 200, nil)
	m := c.read()
	rec, _ := m["record"].(map[string]any)
	if m["type"] != "event" || rec["title"] != "rome" {
		t.Fatalf("got %v, want the create of rome", m)
	}
	got, _ := json.Marshal(rec["at"])
	if string(got) != `{"lat":41.9028,"lon":12.4964}` {
		t.Errorf("event carries at = %s, want the point object", got)
	}
	c.call(map[string]any{"type": "ping"}, "pong") // far was not sent
}
