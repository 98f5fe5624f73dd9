package api_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestLogs(t *testing.T) {
	e := MustEnv(t)
	e.MustJSON("GET", "/api/collections/nope/records", "-", "", 404, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": ""}`, 400, nil)
	e.MustJSON("GET", "/api/collections", "", "", 200, nil)
	e.MustJSON("GET", "/api/logs", "-", "", 401, nil)

	type logs struct {
		TotalItems int
		Items      []struct {
			ID, Created, Message string
			Level                int
			Data                 struct {
				Method, URL, Auth, IP, RequestID string
				Status                           int
				ExecTime                         float64
			}
		}
	}
	var got logs
	e.MustJSON("GET", "/api/logs?filter="+q("status >= 400 && url ~ '/api/collections'")+"&sort=status", "", "", 200, &got)
	if got.TotalItems != 2 || got.Items[0].Data.Status != 400 || got.Items[1].Data.Status != 404 ||
		got.Items[1].Level != 8 || got.Items[1].Data.Auth != "" || got.Items[0].Data.Auth == "" ||
		got.Items[1].Message != "GET /api/collections/nope/records" || got.Items[1].ID != got.Items[1].Data.RequestID {
		t.Errorf("errors: %+v", got)
	}
	e.MustJSON("GET", "/api/logs?perPage=1", "", "", 200, &got)
	if len(got.Items) != 1 || got.TotalItems < 4 || got.Items[0].Message != "GET /api/collections" {
		t.Errorf("newest first, without the log's own requests: %+v", got)
	}
	for _, bad := range []string{"filter=" + q("status >"), "filter=" + q("secret = 1"), "sort=nope"} {
		if status, body := e.Do("GET", "/api/logs?"+bad, "", ""); status != 400 {
			t.Errorf("%s: %d %s", bad, status, body)
		}
	}
	var stats []struct {
		Date  string
		Total int
	}
	e.MustJSON("GET", "/api/logs/stats?filter="+q("level = 8"), "", "", 200, &stats)
	total := 0
	for _, s := range stats {
		total += s.Total
	}
	// 404 and 400; requests to the log itself are not logged.
	if len(stats) == 0 || total != 2 || !strings.HasSuffix(stats[0].Date, ":00.000Z") {
		b, _ := json.Marshal(stats)
		t.Errorf("stats %s", b)
	}
}

func q(s string) string { return url.QueryEscape(s) }

func TestLogView(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	res, _ := e.DoFull("GET", "/api/collections/nope/records", "-", "")
	id := res.Header.Get("X-Request-Id")
	e.Run(t, []scenario{
		{Name: "guest", Method: "GET", URL: "/api/logs/" + id, Token: "-", ExpectedStatus: 401},
		{Name: "entry", Method: "GET", URL: "/api/logs/" + id, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + id + `"`, `"level":8`, `"message":"GET /api/collections/nope/records"`, `"status":404`}},
		{Name: "gone", Method: "GET", URL: "/api/logs/0123456789abcdef", ExpectedStatus: 404},
		{Name: "stats still answers", Method: "GET", URL: "/api/logs/stats", ExpectedStatus: 200},
	})
}
