package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server"
)

// logItem is an entry of GET /api/logs.
type logItem struct {
	ID    string
	Level int
	Data  map[string]any
}

// mustLogs lists the request log entries that pass filter (all when ""),
// oldest first.
func mustLogs(tb testing.TB, e *env, filter string) []logItem {
	tb.Helper()
	var out struct {
		TotalItems int
		Items      []logItem
	}
	e.MustJSON("GET", "/api/logs?perPage=1000&sort=created&filter="+q(filter), "", "", 200, &out)
	if out.TotalItems != len(out.Items) {
		tb.Fatalf("%d items of %d", len(out.Items), out.TotalItems)
	}
	return out.Items
}

// markers returns the m= query values of the logged requests that pass
// filter, oldest first.
func markers(tb testing.TB, e *env, filter string) string {
	tb.Helper()
	var got []string
	for _, item := range mustLogs(tb, e, filter) {
		if url, _ := item.Data["url"].(string); strings.Contains(url, "m=") {
			got = append(got, url[strings.Index(url, "m=")+2:])
		}
	}
	return strings.Join(got, " ")
}

// mustSuperuserAgain signs the superuser in again (after the clock moved
// past the token's life).
func mustSuperuserAgain(tb testing.TB, e *env) {
	tb.Helper()
	var auth struct{ Token string }
	e.MustJSON("POST", "/api/collections/_superusers/auth-with-password", "-",
		`{"identity":"`+adminEmail+`","password":"`+adminPassword+`"}`, 200, &auth)
	e.token = auth.Token
}

// TestLogsSettings: the logs settings, in PocketBase's shape and with its
// defaults and validation, decide what GET /api/logs keeps: the record id
// only with logAuthId, the client's address only with logIP, requests from
// minLevel up, for less than maxDays days; entries they drop stay dropped.
func TestLogsSettings(t *testing.T) {
	t.Parallel()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e := MustEnv(t, func(cfg *server.Config) { cfg.Clock = clk.Now })
	userID := MustUser(t, e, "ann@example.com", "ann-password-1")
	userToken := MustSignIn(t, e, "users", "ann@example.com", "ann-password-1")
	send := func(marker string, status int) string {
		t.Helper()
		url := "/api/collections/users/records/" + userID + "?m=" + marker
		if status == 404 {
			url = "/api/collections/nope/records?m=" + marker
		}
		res, body := e.DoFull("GET", url, userToken, "")
		if res.StatusCode != status {
			t.Fatalf("%s: status %d, want %d: %s", marker, res.StatusCode, status, body)
		}
		return res.Header.Get("X-Request-Id")
	}
	patch := func(body string) {
		t.Helper()
		e.MustJSON("PATCH", "/api/settings", "", `{"logs": `+body+`}`, 200, nil)
	}
	e.Run(t, []scenario{
		{Name: "defaults", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"logs":{"maxDays":5,"minLevel":0,"logIP":true,"logAuthId":false}`}},
		{Name: "negative days", Method: "PATCH", URL: "/api/settings", Body: `{"logs": {"maxDays": -1}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"maxDays":{"code":"validation_min_greater_equal_than_required","message":"Must be no less than 0."}`}},
		{Name: "unchanged", Method: "GET", URL: "/api/settings", ExpectedStatus: 200, ExpectedContent: []string{`"maxDays":5`}},
	})

	// The defaults: the collection of the caller without its id, and the
	// address.
	send("a", 200)
	a := mustLogs(t, e, "url ~ 'm=a'")
	if len(a) != 1 || a[0].Data["auth"] != "users" || a[0].Data["ip"] != "0.0.0.0" {
		t.Fatalf("defaults: %+v", a)
	}
	if _, ok := a[0].Data["authId"]; ok {
		t.Errorf("the record id is kept without logAuthId: %+v", a[0])
	}
	if got := markers(t, e, "authId != ''"); got != "" {
		t.Errorf("entries with a record id: %s", got)
	}

	// logAuthId on, logIP off: the id is kept, the address is not, and
	// the address finds no new entry (those kept before keep theirs, as in
	// PocketBase).
	patch(`{"logAuthId": true, "logIP": false}`)
	e.Run(t, []scenario{{Name: "changed", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
		ExpectedContent: []string{`"logs":{"maxDays":5,"minLevel":0,"logIP":false,"logAuthId":true}`}}})
	send("b", 200)
	b := mustLogs(t, e, "url ~ 'm=b'")
	if len(b) != 1 || b[0].Data["auth"] != "users" || b[0].Data["authId"] != userID {
		t.Fatalf("with logAuthId: %+v", b)
	}
	if _, ok := b[0].Data["ip"]; ok {
		t.Errorf("the address is kept without logIP: %+v", b[0])
	}
	if got := markers(t, e, "authId = '"+userID+"'"); got != "b" {
		t.Errorf("by record id: %q, want b", got)
	}
	if got := markers(t, e, "ip = '0.0.0.0'"); got != "a" {
		t.Errorf("by address: %q, want a", got)
	}
	if got := markers(t, e, "ip = ''"); got != "b" {
		t.Errorf("without an address: %q, want b", got)
	}

	// minLevel 4: the failed requests (error, 8, 4xx included, as in
	// PocketBase) stay, the rest are dropped, and new requests below it
	// are not kept.
	patch(`{"logIP": true}`)
	send("c", 404)
	send("d", 200)
	patch(`{"minLevel": 4}`)
	send("e", 200)
	notFound := send("f", 404)
	if got := markers(t, e, ""); got != "c f" {
		t.Errorf("from 4: %q, want c f", got)
	}
	if info := mustLogs(t, e, "level = 0"); len(info) != 0 {
		t.Errorf("info entries from 4: %+v", info)
	}
	// minLevel 9, above error: nothing stays; then back to 0: what was
	// dropped stays dropped.
	patch(`{"minLevel": 9}`)
	if got := mustLogs(t, e, ""); len(got) != 0 {
		t.Errorf("from 9: %+v", got)
	}
	e.MustJSON("GET", "/api/logs/"+notFound, "", "", 404, nil)
	patch(`{"minLevel": 0}`)
	send("g", 200)
	if got := markers(t, e, ""); got != "g" {
		t.Errorf("back to info: %q, want g", got)
	}

	// maxDays: entries leave the log once they are that many days old.
	clk.Advance(2 * 24 * time.Hour)
	mustSuperuserAgain(t, e)
	userToken = MustSignIn(t, e, "users", "ann@example.com", "ann-password-1")
	send("h", 200)
	if got := markers(t, e, ""); got != "g h" {
		t.Errorf("within five days: %q, want g h", got)
	}
	patch(`{"maxDays": 1}`)
	if got := markers(t, e, ""); got != "h" {
		t.Errorf("one day: %q, want h", got)
	}
	clk.Advance(24 * time.Hour)
	if got := markers(t, e, ""); got != "" {
		t.Errorf("a day later: %q", got)
	}

	// maxDays 0 keeps nothing.
	mustSuperuserAgain(t, e)
	userToken = MustSignIn(t, e, "users", "ann@example.com", "ann-password-1")
	send("i", 200)
	patch(`{"maxDays": 0}`)
	id := send("j", 200)
	if got := mustLogs(t, e, ""); len(got) != 0 {
		t.Errorf("maxDays 0: %+v", got)
	}
	e.Run(t, []scenario{
		{Name: "entry of maxDays 0", Method: "GET", URL: "/api/logs/" + id, ExpectedStatus: 404},
		{Name: "stats of maxDays 0", Method: "GET", URL: "/api/logs/stats", ExpectedStatus: 200, ExpectedContent: []string{`[]`}},
	})
}

// TestLogsSettingsAcrossNodes: a change of the logs settings on one node
// applies to the request log of the others.
func TestLogsSettingsAcrossNodes(t *testing.T) {
	t.Parallel()
	var dsn string
	one := MustAuthEnv(t, func(cfg *server.Config) { dsn = cfg.DatabaseURL })
	two := MustSecondNode(t, one, dsn)
	one.MustJSON("PATCH", "/api/settings", "", `{"logs": {"logIP": false, "logAuthId": true}}`, 200, nil)
	for i, deadline := 0, time.Now().Add(30*time.Second); ; i++ { // a hang guard, not a speed limit
		marker := fmt.Sprint("n", i, "x")
		two.MustJSON("GET", "/api/health?m="+marker, "", "", 200, nil)
		got := mustLogs(t, two, "url ~ 'm="+marker+"'")
		if len(got) != 1 {
			t.Fatalf("%s: %+v", marker, got)
		}
		_, hasIP := got[0].Data["ip"]
		if !hasIP && got[0].Data["auth"] == "_superusers" && got[0].Data["authId"] != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second node still logs %+v", got[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, body := two.Do("GET", "/api/settings", "", ""); !strings.Contains(body, `"logs":{"maxDays":5,"minLevel":0,"logIP":false,"logAuthId":true}`) {
		t.Errorf("the second node's settings: %s", body)
	}
}
