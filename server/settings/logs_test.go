package settings_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

// TestLogsDefaults: PocketBase's defaults, in PocketBase's JSON shape.
func TestLogsDefaults(t *testing.T) {
	t.Parallel()
	d := settings.Defaults("https://app.test").Logs
	if d != (settings.Logs{MaxDays: 5, MinLevel: 0, LogIP: true, LogAuthID: false}) {
		t.Errorf("defaults %+v", d)
	}
	b, err := json.Marshal(d)
	if err != nil || string(b) != `{"maxDays":5,"minLevel":0,"logIP":true,"logAuthId":false}` {
		t.Errorf("JSON %s, %v", b, err)
	}
}

// TestValidateLogs: maxDays may not be negative, with PocketBase's code;
// every other value is valid, as in PocketBase.
func TestValidateLogs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		logs settings.Logs
		want map[string]string // field -> code; empty: valid
	}{
		{"the defaults", settings.DefaultLogs(), nil},
		{"no logs", settings.Logs{}, nil},
		{"a year of errors with ids, no addresses", settings.Logs{MaxDays: 365, MinLevel: 8, LogAuthID: true}, nil},
		{"debug and up", settings.Logs{MaxDays: 1, MinLevel: -4}, nil},
		{"a level between the named ones", settings.Logs{MaxDays: 1, MinLevel: 5}, nil},
		{"negative days", settings.Logs{MaxDays: -1}, map[string]string{"logs.maxDays": "validation_min_greater_equal_than_required"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings.Defaults("https://app.test")
			s.Logs = c.logs
			err := s.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("invalid: %v", err)
				}
				if s.Logs != c.logs {
					t.Errorf("changed to %+v", s.Logs)
				}
				return
			}
			var e *collections.Error
			if !errors.As(err, &e) || e.Code != collections.EINVALID {
				t.Fatalf("error %#v, want EINVALID", err)
			}
			got := map[string]string{}
			for k, fe := range e.Data {
				if fe.Message == "" {
					t.Errorf("%s: no message", k)
				}
				got[k] = fe.Code
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("field errors %v, want %v", got, c.want)
			}
		})
	}
}

// TestMergeLogs: a PATCH of one logs key keeps the others.
func TestMergeLogs(t *testing.T) {
	t.Parallel()
	base := settings.Defaults("https://app.test")
	got, err := settings.Merge(base, []byte(`{"logs": {"minLevel": 4, "logAuthId": true}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (settings.Logs{MaxDays: 5, MinLevel: 4, LogIP: true, LogAuthID: true}); got.Logs != want {
		t.Errorf("merged %+v, want %+v", got.Logs, want)
	}
	if base.Logs != settings.DefaultLogs() {
		t.Errorf("base changed to %+v", base.Logs)
	}
}

// TestLogsKeeps: a request is kept from MinLevel up and for less than
// MaxDays days; MaxDays 0 keeps nothing.
func TestLogsKeeps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		name    string
		logs    settings.Logs
		level   slog.Level
		created time.Time
		want    bool
	}{
		{"a new info request", settings.DefaultLogs(), slog.LevelInfo, now, true},
		{"a debug entry under minLevel 0", settings.DefaultLogs(), slog.LevelDebug, now, false},
		{"debug from -4", settings.Logs{MaxDays: 5, MinLevel: -4}, slog.LevelDebug, now, true},
		{"info under warn", settings.Logs{MaxDays: 5, MinLevel: 4}, slog.LevelInfo, now, false},
		{"warn from warn", settings.Logs{MaxDays: 5, MinLevel: 4}, slog.LevelWarn, now, true},
		{"warn under error", settings.Logs{MaxDays: 5, MinLevel: 8}, slog.LevelWarn, now, false},
		{"error from error", settings.Logs{MaxDays: 5, MinLevel: 8}, slog.LevelError, now, true},
		{"just under five days", settings.DefaultLogs(), slog.LevelInfo, now.Add(-5*day + time.Second), true},
		{"five days", settings.DefaultLogs(), slog.LevelInfo, now.Add(-5 * day), false},
		{"six days", settings.DefaultLogs(), slog.LevelError, now.Add(-6 * day), false},
		{"maxDays 0", settings.Logs{MaxDays: 0, MinLevel: -4, LogIP: true}, slog.LevelError, now, false},
	}
	for _, c := range cases {
		if got := c.logs.Keeps(c.level, c.created, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
