package filter

import (
	"testing"
	"time"
)

func TestMacroValues(t *testing.T) {
	now := time.Date(2024, 2, 10, 13, 14, 15, 123456789, time.FixedZone("x", 7200)) // 11:14 UTC, a Saturday
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for name, want := range map[string]any{
		"now":        utc("2024-02-10T11:14:15.123456Z"),
		"second":     15.0,
		"minute":     14.0,
		"hour":       11.0,
		"weekday":    6.0,
		"day":        10.0,
		"month":      2.0,
		"year":       2024.0,
		"todayStart": utc("2024-02-10T00:00:00Z"),
		"todayEnd":   utc("2024-02-10T23:59:59.999999Z"),
		"monthStart": utc("2024-02-01T00:00:00Z"),
		"monthEnd":   utc("2024-02-29T23:59:59.999999Z"),
		"yearStart":  utc("2024-01-01T00:00:00Z"),
		"yearEnd":    utc("2024-12-31T23:59:59.999999Z"),
	} {
		got, ok := macroValue(name, now)
		if !ok {
			t.Errorf("@%s is unknown", name)
			continue
		}
		if gt, isTime := got.(time.Time); isTime {
			if !gt.Equal(want.(time.Time)) || gt.Location() != time.UTC {
				t.Errorf("@%s = %v, want %v", name, gt, want)
			}
		} else if got != want {
			t.Errorf("@%s = %v, want %v", name, got, want)
		}
	}
	if _, ok := macroValue("tomorrow", now); ok {
		t.Error("@tomorrow should be unknown")
	}
}
