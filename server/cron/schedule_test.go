package cron_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/cron"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		expr string
		err  string // "" when valid
	}{
		{"* * * * *", ""},
		{"*/5 * * * *", ""},
		{"0 9-17 * * 1-5", ""},
		{"0,15,30,45 * * * *", ""},
		{"10-50/10 0 1 1 *", ""},
		{"0 0 * JAN-mar MON,wed,FRI", ""},
		{"0 0 * * 7", ""},
		{"0 0 * * sun", ""},
		{"  0   0 * * *  ", ""},
		{"5/15 * * * *", ""},
		{"@yearly", ""}, {"@annually", ""}, {"@monthly", ""}, {"@weekly", ""},
		{"@daily", ""}, {"@midnight", ""}, {"@hourly", ""}, {"@HOURLY", ""},
		{"", "want a macro or 5 fields"},
		{"* * * *", "want a macro or 5 fields (minute hour day-of-month month day-of-week), got 4"},
		{"* * * * * *", "got 6"},
		{"@every 5m", "unknown macro"},
		{"60 * * * *", `minute field "60": "60" is not a number from 0 to 59`},
		{"* 24 * * *", `hour field "24"`},
		{"* * 0 * *", `day of month field "0": "0" is not a number from 1 to 31`},
		{"* * 32 * *", `day of month field "32"`},
		{"* * * 13 *", `month field "13": "13" is not a number from 1 to 12 nor a name (JAN–DEC)`},
		{"* * * * 8", `day of week field "8": "8" is not a number from 0 to 7 nor a name (SUN–SAT)`},
		{"* * * * MOO", `day of week field "MOO"`},
		{"*/0 * * * *", `step "0" must be a number from 1 to 59`},
		{"*/x * * * *", `step "x"`},
		{"*/60 * * * *", `step "60"`},
		{"1/2/3 * * * *", `step "2/3"`},
		{"30-10 * * * *", `range "30-10" ends before it starts`},
		{"-5 * * * *", `"" is not a number`},
		{"1,,2 * * * *", "empty list item"},
		{"a * * * *", `minute field "a"`},
	} {
		_, err := cron.Parse(tc.expr)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.expr, err)
		case tc.err != "" && err == nil:
			t.Errorf("%q: accepted", tc.expr)
		case tc.err != "" && !strings.Contains(err.Error(), tc.err):
			t.Errorf("%q: %v, want %q", tc.expr, err, tc.err)
		}
	}
}

func TestNext(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		expr, from, want string
	}{
		{"* * * * *", "2026-12-06 06:30", "2026-12-06 06:31"},
		{"*/15 * * * *", "2026-12-06 06:30", "2026-12-06 06:45"},
		{"*/15 * * * *", "2026-12-06 23:50", "2026-12-07 00:00"},
		{"0 9-17 * * 1-5", "2026-12-04 17:00", "2026-12-07 09:00"}, // Friday evening -> Monday
		{"0 0 * * SUN", "2026-12-06 06:30", "2026-12-13 00:00"},    // a Sunday -> next one
		{"0 0 * * 7", "2026-12-06 06:30", "2026-12-13 00:00"},
		{"30 6 * * *", "2026-12-06 06:29", "2026-12-06 06:30"},
		{"@hourly", "2026-12-06 06:30", "2026-12-06 07:00"},
		{"@daily", "2026-12-31 12:00", "2027-01-01 00:00"},
		{"@weekly", "2026-12-06 00:00", "2026-12-13 00:00"},
		{"@monthly", "2026-01-31 00:00", "2026-02-01 00:00"},
		{"@yearly", "2026-06-01 00:00", "2027-01-01 00:00"},
		{"0 0 29 2 *", "2026-03-01 00:00", "2028-02-29 00:00"},
		{"0 0 31 * *", "2026-04-01 00:00", "2026-05-31 00:00"},
		{"0 0 13 * FRI", "2026-01-01 00:00", "2026-02-13 00:00"}, // both day fields must match, as PocketBase
		{"5/20 * * * *", "2026-12-06 06:30", "2026-12-06 06:45"},
		{"0 12 * JUN-AUG *", "2026-12-06 06:30", "2027-06-01 12:00"},
	} {
		s, err := cron.Parse(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Next(at(tc.from)); !got.Equal(at(tc.want)) {
			t.Errorf("%s after %s: %s, want %s", tc.expr, tc.from, got.Format("2006-01-02 15:04 Mon"), tc.want)
		}
		if !s.Due(at(tc.want)) || s.Due(at(tc.want).Add(-time.Minute)) && tc.expr != "* * * * *" {
			t.Errorf("%s: Due disagrees with Next at %s", tc.expr, tc.want)
		}
	}
	if got := cron.MustParse("0 0 30 2 *").Next(at("2026-01-01 00:00")); !got.IsZero() {
		t.Errorf("February 30th: %s", got)
	}
	// Seconds and time zones do not matter: the next whole minute in UTC.
	from := time.Date(2026, 12, 6, 8, 30, 59, 5, time.FixedZone("WIB", 7*3600))
	if got := cron.MustParse("* * * * *").Next(from); !got.Equal(at("2026-12-06 01:31")) {
		t.Errorf("in WIB: %s", got)
	}
}
