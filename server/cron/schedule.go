// Package cron runs jobs on a schedule of 5-field cron expressions, once
// per scheduled minute across every node of a cluster.
//
// Expressions are those PocketBase's tools/cron accepts — minute, hour,
// day of month, month and day of week, each a wildcard, a value, a range,
// a step (*/n, 1-30/n) or a comma-separated list of these, and the macros
// @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly —
// plus month and weekday names (JAN–DEC, SUN–SAT, in any case) and 7 for
// Sunday. As in PocketBase, a minute is due when every field matches it:
// a restricted day of month and day of week must both match. Times are
// read in UTC.
package cron

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// macros are the named schedules, as PocketBase names them.
var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// field describes one of the five fields of an expression.
type field struct {
	name     string
	min, max int
	names    []string // names of min, min+1, … (month and weekday)
}

var fields = [5]field{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", min: 0, max: 6, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// Schedule is a parsed cron expression: the minutes it is due.
type Schedule struct {
	expr string
	// sets of the values each field matches, bit v for value v.
	minute, hour, dom, month, dow uint64
}

// Parse parses a cron expression: a macro, or five fields separated by
// spaces. Its error names the field and what is wrong with it.
func Parse(expr string) (*Schedule, error) {
	text := strings.TrimSpace(expr)
	if v, ok := macros[strings.ToLower(text)]; ok {
		text = v
	} else if strings.HasPrefix(text, "@") {
		return nil, fmt.Errorf("cron expression %q: unknown macro (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)", expr)
	}
	parts := strings.Fields(text)
	if len(parts) != 5 {
		return nil, fmt.Errorf("cron expression %q: want a macro or 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		set, err := fields[i].parse(p)
		if err != nil {
			return nil, fmt.Errorf("cron expression %q: %s field %q: %w", expr, fields[i].name, p, err)
		}
		sets[i] = set
	}
	// 7 is Sunday too.
	if sets[4]&(1<<7) != 0 {
		sets[4] = sets[4]&^(1<<7) | 1
	}
	return &Schedule{expr: expr, minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4]}, nil
}

// MustParse is Parse that panics on an error, for expressions written in
// code.
func MustParse(expr string) *Schedule {
	s, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return s
}

// String returns the expression as it was given.
func (s *Schedule) String() string { return s.expr }

// parse reads one field: a comma-separated list of *, v, a-b, */n, a-b/n
// or v/n (v to the field's maximum, every n).
func (f field) parse(text string) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(text, ",") {
		if item == "" {
			return 0, errors.New("empty list item")
		}
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > f.max {
				return 0, fmt.Errorf("step %q must be a number from 1 to %d", stepText, f.max)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
			if hi < lo {
				return 0, fmt.Errorf("range %q ends before it starts", rng)
			}
		default:
			v, err := f.value(rng)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// value reads one number or name of the field.
func (f field) value(text string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(text, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(text)
	max := f.max
	if f.name == "day of week" {
		max = 7 // Sunday, as 0
	}
	if err != nil || v < f.min || v > max {
		if f.names != nil {
			return 0, fmt.Errorf("%q is not a number from %d to %d nor a name (%s–%s)", text, f.min, max, f.names[0], f.names[len(f.names)-1])
		}
		return 0, fmt.Errorf("%q is not a number from %d to %d", text, f.min, max)
	}
	return v, nil
}

// Due reports whether the minute of t (in UTC) is one the schedule runs.
func (s *Schedule) Due(t time.Time) bool {
	t = t.UTC()
	return s.minute&(1<<t.Minute()) != 0 && s.hour&(1<<t.Hour()) != 0 &&
		s.dom&(1<<t.Day()) != 0 && s.month&(1<<int(t.Month())) != 0 && s.dow&(1<<int(t.Weekday())) != 0
}

// Next returns the first minute strictly after t that the schedule runs,
// in UTC, or the zero time when there is none within eight years (such as
// "0 0 30 2 *").
func (s *Schedule) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	end := t.AddDate(8, 0, 0)
	for t.Before(end) {
		if s.month&(1<<int(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if s.dom&(1<<t.Day()) == 0 || s.dow&(1<<int(t.Weekday())) == 0 {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if s.hour&(1<<t.Hour()) == 0 {
			t = t.Truncate(time.Hour).Add(time.Hour)
			continue
		}
		if s.minute&(1<<t.Minute()) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}
