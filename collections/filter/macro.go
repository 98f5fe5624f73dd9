package filter

import "time"

// macroValue returns the value of the macro @name at the instant now (in
// UTC): a time.Time for dates, a float64 for calendar numbers. @todayEnd,
// @monthEnd and @yearEnd are the last microsecond of their period, the
// finest time PostgreSQL stores.
func macroValue(name string, now time.Time) (any, bool) {
	t := now.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	year := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	switch name {
	case "now":
		return t.Truncate(time.Microsecond), true
	case "second":
		return float64(t.Second()), true
	case "minute":
		return float64(t.Minute()), true
	case "hour":
		return float64(t.Hour()), true
	case "weekday": // 0 = Sunday
		return float64(t.Weekday()), true
	case "day":
		return float64(t.Day()), true
	case "month":
		return float64(t.Month()), true
	case "year":
		return float64(t.Year()), true
	case "todayStart":
		return day, true
	case "todayEnd":
		return day.AddDate(0, 0, 1).Add(-time.Microsecond), true
	case "monthStart":
		return month, true
	case "monthEnd":
		return month.AddDate(0, 1, 0).Add(-time.Microsecond), true
	case "yearStart":
		return year, true
	case "yearEnd":
		return year.AddDate(1, 0, 0).Add(-time.Microsecond), true
	}
	return nil, false
}
