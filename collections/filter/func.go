package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// call is a function of operands that reads fields: geoDistance or
// strftime. Calls of constants only are computed when compiled.
type call struct {
	fn   string
	args []*value // geoDistance: lonA, latA, lonB, latB; strftime: the time value
	// strftime
	format []fmtPiece
	unix   bool      // a number time value counts seconds since 1970, not Julian days
	mods   []timeMod // applied to the time in order
}

// manyValued reports whether the call has many values. strftime of a
// path through many rows has one value per row, compared item by item as
// the path itself; geoDistance is true when one combination of the rows
// its arguments reach satisfies the comparison, as in PocketBase.
func (c *call) manyValued() bool {
	if c.fn == "geoDistance" {
		return false
	}
	for _, a := range c.args {
		if a.manyValued() {
			return true
		}
	}
	return false
}

func (r *resolver) call(c *Call) (*value, error) {
	switch c.Name {
	case "geoDistance":
		return r.geoDistance(c)
	case "strftime":
		return r.strftime(c)
	}
	return nil, r.invalid(c.Start, "unknown function %q", c.Name)
}

// earthRadiusKm is the radius geoDistance measures with, as PocketBase.
const earthRadiusKm = 6371

// geoDistance resolves geoDistance(lonA, latA, lonB, latB): the
// great-circle distance in kilometres (haversine on a sphere of 6371 km).
// Arguments are numbers, number fields (also through relations), json
// values holding numbers, and null; any null argument makes the distance
// null.
func (r *resolver) geoDistance(c *Call) (*value, error) {
	if len(c.Args) != 4 {
		return nil, r.invalid(c.Start, "geoDistance needs 4 arguments (lonA, latA, lonB, latB), not %d", len(c.Args))
	}
	out := &value{kind: kNumber, pos: c.Start, name: c.String()}
	args := make([]*value, 4)
	consts := make([]any, 4)
	allConst := true
	for i, a := range c.Args {
		if lit, ok := a.(*Literal); ok && lit.Kind != LitNumber && lit.Kind != LitNull {
			return nil, r.invalid(a.Pos(), "argument %d of geoDistance must be a number or a field, not %s", i+1, lit)
		}
		v, err := r.operand(a)
		if err != nil {
			return nil, err
		}
		switch {
		case v.isConst():
			x, err := convertConst(v.consts[0], kNumber)
			if err != nil {
				if !v.soft {
					return nil, r.invalid(a.Pos(), "argument %d of geoDistance must be a number, %s is %s", i+1, v.name, v.kind)
				}
				x = nil
			}
			if v.list {
				return nil, r.invalid(a.Pos(), "argument %d of geoDistance must be one number, %s is a list", i+1, v.name)
			}
			v = &value{consts: []any{x}, kind: kNumber, pos: v.pos, name: v.name}
			consts[i] = x
		case v.kind == kNumber && !v.manyValuedItems(), v.kind == kJSON:
			allConst = false
		default:
			return nil, r.invalid(a.Pos(), "argument %d of geoDistance must be a number, %s is %s", i+1, v.name, v.kind)
		}
		args[i] = v
	}
	if allConst {
		out.consts = []any{distance(consts)}
		return out, nil
	}
	out.call = &call{fn: "geoDistance", args: args}
	return out, nil
}

// manyValuedItems reports whether v is a list read item by item (:each),
// which function arguments cannot be.
func (v *value) manyValuedItems() bool { return v.ref != nil && v.ref.items }

// distance computes geoDistance of four float64 or nil values. The cosine
// is clamped to [-1, 1], so that two equal points are 0 km apart (rounding
// could otherwise take it past 1).
func distance(args []any) any {
	var f [4]float64
	for i, a := range args {
		x, ok := a.(float64)
		if !ok || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil
		}
		f[i] = x
	}
	lonA, latA, lonB, latB := f[0], f[1], f[2], f[3]
	rad := func(d float64) float64 { return d * math.Pi / 180 }
	c := math.Cos(rad(latA))*math.Cos(rad(latB))*math.Cos(rad(lonB)-rad(lonA)) + math.Sin(rad(latA))*math.Sin(rad(latB))
	c = math.Max(-1, math.Min(1, c))
	return earthRadiusKm * math.Acos(c)
}

// timeMod is one strftime modifier.
type timeMod struct {
	kind  string // "ms" (add milliseconds), "months", "start" (of unit), "weekday"
	n     int64
	unit  string // "day", "month" or "year" for start
	label string // as written
}

// fmtPiece is literal text or one conversion of a strftime format.
type fmtPiece struct {
	lit  string
	spec byte // 0 for literal text
}

// strftime resolves strftime(format[, time[, modifier...]]) as SQLite's
// strftime, in UTC: time is a date (field, macro, text), a number (a
// Julian day, or seconds since 1970 after 'unixepoch') or omitted (now).
// A null or invalid time (or an unknown conversion) gives ” rather than
// null, as in PocketBase.
func (r *resolver) strftime(c *Call) (*value, error) {
	out := &value{kind: kText, pos: c.Start, name: c.String()}
	if len(c.Args) == 0 {
		return nil, r.invalid(c.Start, "strftime needs a format")
	}
	lit, ok := c.Args[0].(*Literal)
	if !ok || lit.Kind != LitString {
		return nil, r.invalid(c.Args[0].Pos(), "the first argument of strftime must be a format text")
	}
	format, known := parseFormat(lit.Value.(string))
	fc := &call{fn: "strftime", format: format}
	var tv *value
	if len(c.Args) == 1 {
		tv = &value{consts: []any{r.now}, kind: kTime}
	} else {
		a := c.Args[1]
		if l, ok := a.(*Literal); ok && l.Kind == LitBool {
			return nil, r.invalid(a.Pos(), "the time of strftime must be a date or a number, not %s", l)
		}
		v, err := r.operand(a)
		if err != nil {
			return nil, err
		}
		tv = v
	}
	for _, m := range c.Args[min(2, len(c.Args)):] {
		l, ok := m.(*Literal)
		if !ok || l.Kind != LitString {
			return nil, r.invalid(m.Pos(), "strftime modifiers must be texts such as '+1 day' or 'start of month'")
		}
		mod, err := parseTimeMod(l.Value.(string))
		if err != nil {
			return nil, r.invalid(m.Pos(), "strftime modifier %s: %s", l, err)
		}
		if mod.kind == "unixepoch" {
			if len(fc.mods) > 0 || fc.unix {
				return nil, r.invalid(m.Pos(), "'unixepoch' must directly follow the time value of strftime")
			}
			fc.unix = true
			continue
		}
		fc.mods = append(fc.mods, mod)
	}
	switch {
	case !known:
		// A conversion SQLite does not know makes the result null: ''.
		out.consts = []any{""}
		return out, nil
	case tv.isConst():
		if tv.list {
			return nil, r.invalid(tv.pos, "the time of strftime must be one value, %s is a list", tv.name)
		}
		t, err := r.timeConst(tv.consts[0], fc.unix)
		if err != nil {
			return nil, r.invalid(tv.pos, "the time of strftime %s", err)
		}
		out.consts = []any{fc.format1(t)}
		return out, nil
	case tv.manyValuedItems() || tv.call != nil:
		return nil, r.invalid(tv.pos, "the time of strftime must be one date or number, %s is not", tv.name)
	case tv.kind == kTime:
		if fc.unix {
			return nil, r.invalid(tv.pos, "'unixepoch' needs a number, %s is a date", tv.name)
		}
	case tv.kind == kNumber:
	default:
		return nil, r.invalid(tv.pos, "the time of strftime must be a date or a number, %s is %s", tv.name, tv.kind)
	}
	fc.args = []*value{tv}
	out.call = fc
	return out, nil
}

// timeConst reads a constant time value of strftime: nil for a null or
// invalid one.
func (r *resolver) timeConst(c any, unix bool) (any, error) {
	switch x := c.(type) {
	case nil:
		return nil, nil
	case time.Time:
		if unix {
			return nil, fmt.Errorf("is a date, and 'unixepoch' needs a number")
		}
		return x.UTC(), nil
	case float64:
		return numberTime(x, unix), nil
	case string:
		s := strings.TrimSpace(x)
		if strings.EqualFold(s, "now") {
			return r.now, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return numberTime(f, unix), nil
		}
		if unix {
			return nil, nil
		}
		if t, err := convertConst(s, kTime); err == nil {
			return t, nil
		}
		return nil, nil
	case bool:
		return nil, fmt.Errorf("must be a date or a number")
	}
	return nil, nil
}

// The times strftime can write: years 1 to 9999, in milliseconds since
// 1970.
const (
	minTimeMs = -62135596800000
	maxTimeMs = 253402300799999
)

// numberTime reads a number time value: seconds since 1970 (unix) or a
// Julian day, rounded to the millisecond as SQLite does; nil out of range.
func numberTime(f float64, unix bool) any {
	secs := f
	if !unix {
		secs = (f - 2440587.5) * 86400
	}
	ms := math.Floor(secs*1000 + 0.5)
	if math.IsNaN(ms) || ms < minTimeMs || ms > maxTimeMs {
		return nil
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// parseTimeMod reads one strftime modifier.
func parseTimeMod(s string) (timeMod, error) {
	m := timeMod{label: s}
	t := strings.ToLower(strings.Join(strings.Fields(s), " "))
	switch t {
	case "unixepoch":
		m.kind = "unixepoch"
		return m, nil
	case "utc", "localtime":
		m.kind = "noop" // the server's zone is UTC
		return m, nil
	case "start of day", "start of month", "start of year":
		m.kind, m.unit = "start", strings.TrimPrefix(t, "start of ")
		return m, nil
	}
	if rest, ok := strings.CutPrefix(t, "weekday "); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || n > 6 {
			return m, fmt.Errorf("the weekday must be 0 (Sunday) to 6")
		}
		m.kind, m.n = "weekday", int64(n)
		return m, nil
	}
	num, unit, ok := strings.Cut(t, " ")
	if !ok {
		return m, fmt.Errorf("unsupported (use '±N days|hours|minutes|seconds|months|years', 'start of day|month|year', 'weekday N', 'unixepoch', 'utc')")
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return m, fmt.Errorf("%q is not a number", num)
	}
	unit = strings.TrimSuffix(unit, "s")
	// Amounts are bounded (to about 4,000 years) so that no step from a
	// date in 1 to 9999 leaves the dates PostgreSQL holds (4713 BC on).
	maxAmount := map[string]float64{"second": 1.2e11, "minute": 2e9, "hour": 3.4e7, "day": 1.4e6, "month": 48000, "year": 4000}
	if limit, ok := maxAmount[unit]; ok && math.Abs(f) > limit {
		return m, fmt.Errorf("%q is too large", num)
	}
	secs := map[string]float64{"second": 1, "minute": 60, "hour": 3600, "day": 86400}
	switch {
	case secs[unit] > 0:
		rounder := 0.5
		if f < 0 {
			rounder = -0.5
		}
		m.kind, m.n = "ms", int64(f*1000*secs[unit]+rounder)
	case unit == "month" || unit == "year":
		if f != math.Trunc(f) {
			return m, fmt.Errorf("months and years must be whole numbers")
		}
		m.kind, m.n = "months", int64(f)
		if unit == "year" {
			m.n *= 12
		}
	default:
		return m, fmt.Errorf("unknown unit %q", unit)
	}
	return m, nil
}

// apply applies the modifier to t (UTC).
func (m timeMod) apply(t time.Time) time.Time {
	switch m.kind {
	case "ms": // in whole days first: a Duration holds only 292 years
		const day = 86400000
		return t.AddDate(0, 0, int(m.n/day)).Add(time.Duration(m.n%day) * time.Millisecond)
	case "months":
		// Overflowing days roll over, as in SQLite: Jan 31 + 1 month is
		// Mar 3 (or 2).
		first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		return first.AddDate(0, int(m.n), 0).Add(t.Sub(first))
	case "start":
		switch m.unit {
		case "day":
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		case "month":
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	case "weekday":
		d := (int(m.n) - int(t.Weekday()) + 7) % 7
		return t.AddDate(0, 0, d)
	}
	return t
}

// parseFormat splits a strftime format into text and conversions; ok is
// false for a conversion it does not know (%J among them).
func parseFormat(f string) ([]fmtPiece, bool) {
	var out []fmtPiece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, fmtPiece{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			lit.WriteByte(f[i])
			continue
		}
		if i+1 == len(f) {
			return nil, false
		}
		i++
		c := f[i]
		if c == '%' {
			lit.WriteByte('%')
			continue
		}
		if !strings.ContainsRune("deFfGgHIjklMmPpRSsTUuVWwY", rune(c)) {
			return nil, false
		}
		flush()
		out = append(out, fmtPiece{spec: c})
	}
	flush()
	return out, true
}

// format1 writes a constant time (time.Time or nil) in the format, after
// the modifiers; ” for nil.
func (c *call) format1(v any) string {
	t, ok := v.(time.Time)
	if !ok {
		return ""
	}
	t = t.UTC()
	for _, m := range c.mods {
		if t.Year() < 1 || t.Year() > 9999 {
			return ""
		}
		t = m.apply(t)
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return ""
	}
	var b strings.Builder
	for _, p := range c.format {
		if p.spec == 0 {
			b.WriteString(p.lit)
			continue
		}
		b.WriteString(formatSpec(p.spec, t))
	}
	return b.String()
}

// formatSpec writes one conversion of t, as SQLite's strftime does.
func formatSpec(spec byte, t time.Time) string {
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	wd := int(t.Weekday()) // 0 = Sunday
	yday0 := t.YearDay() - 1
	switch spec {
	case 'd':
		return fmt.Sprintf("%02d", t.Day())
	case 'e':
		return fmt.Sprintf("%2d", t.Day())
	case 'f':
		return fmt.Sprintf("%02d.%03d", t.Second(), t.Nanosecond()/1e6)
	case 'F':
		return fmt.Sprintf("%04d-%02d-%02d", t.Year(), t.Month(), t.Day())
	case 'G':
		y, _ := t.ISOWeek()
		return fmt.Sprintf("%04d", y)
	case 'g':
		y, _ := t.ISOWeek()
		return fmt.Sprintf("%02d", y%100)
	case 'H':
		return fmt.Sprintf("%02d", t.Hour())
	case 'I':
		return fmt.Sprintf("%02d", h12)
	case 'j':
		return fmt.Sprintf("%03d", t.YearDay())
	case 'k':
		return fmt.Sprintf("%2d", t.Hour())
	case 'l':
		return fmt.Sprintf("%2d", h12)
	case 'm':
		return fmt.Sprintf("%02d", int(t.Month()))
	case 'M':
		return fmt.Sprintf("%02d", t.Minute())
	case 'p':
		if t.Hour() < 12 {
			return "AM"
		}
		return "PM"
	case 'P':
		if t.Hour() < 12 {
			return "am"
		}
		return "pm"
	case 'R':
		return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute())
	case 's':
		return strconv.FormatInt(t.Unix(), 10)
	case 'S':
		return fmt.Sprintf("%02d", t.Second())
	case 'T':
		return fmt.Sprintf("%02d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
	case 'u':
		if wd == 0 {
			return "7"
		}
		return strconv.Itoa(wd)
	case 'U':
		return fmt.Sprintf("%02d", (yday0-wd+7)/7)
	case 'V':
		_, w := t.ISOWeek()
		return fmt.Sprintf("%02d", w)
	case 'w':
		return strconv.Itoa(wd)
	case 'W':
		return fmt.Sprintf("%02d", (yday0-(wd+6)%7+7)/7)
	case 'Y':
		return fmt.Sprintf("%04d", t.Year())
	}
	return ""
}

// specSQL is the SQL of one conversion of the UTC timestamp u.
func specSQL(spec byte, u string) string {
	toChar := func(f string) string { return "to_char(" + u + ", '" + f + "')" }
	pad := func(f string) string { return "lpad(to_char(" + u + ", '" + f + "'), 2, ' ')" }
	switch spec {
	case 'd':
		return toChar("DD")
	case 'e':
		return pad("FMDD")
	case 'f':
		return toChar("SS.MS")
	case 'F':
		return toChar("YYYY-MM-DD")
	case 'G':
		return toChar("IYYY")
	case 'g':
		return toChar("IY")
	case 'H':
		return toChar("HH24")
	case 'I':
		return toChar("HH12")
	case 'j':
		return toChar("DDD")
	case 'k':
		return pad("FMHH24")
	case 'l':
		return pad("FMHH12")
	case 'm':
		return toChar("MM")
	case 'M':
		return toChar("MI")
	case 'p':
		return toChar("AM")
	case 'P':
		return toChar("am")
	case 'R':
		return toChar("HH24:MI")
	case 's':
		return "floor(extract(epoch from " + u + "))::bigint::text"
	case 'S':
		return toChar("SS")
	case 'T':
		return toChar("HH24:MI:SS")
	case 'u':
		return toChar("ID")
	case 'U':
		return "lpad(((extract(doy from " + u + ")::int - 1 - extract(dow from " + u + ")::int + 7) / 7)::text, 2, '0')"
	case 'V':
		return toChar("IW")
	case 'w':
		return "extract(dow from " + u + ")::int::text"
	case 'W':
		return "lpad(((extract(doy from " + u + ")::int - 1 - (extract(dow from " + u + ")::int + 6) % 7 + 7) / 7)::text, 2, '0')"
	case 'Y':
		return toChar("YYYY")
	}
	return "NULL"
}

// modSQL applies a modifier to the UTC timestamp u in SQL.
func (g *sqlGen) modSQL(m timeMod, u string) string {
	switch m.kind {
	case "ms":
		return "(" + u + " + " + g.param(float64(m.n), "float8") + " * interval '1 millisecond')"
	case "months":
		start := "date_trunc('month', " + u + ")"
		return "(" + start + " + " + g.param(float64(m.n), "float8") + " * interval '1 month' + (" + u + " - " + start + "))"
	case "start":
		return "date_trunc('" + m.unit + "', " + u + ")"
	case "weekday":
		return "(" + u + " + ((" + g.param(float64(m.n), "float8") + "::int - extract(dow from " + u + ")::int + 7) % 7) * interval '1 day')"
	}
	return u
}

// callSQL is the SQL of a call whose arguments have the SQL args.
func (g *sqlGen) callSQL(c *call, args []sqlVal) string {
	num := func(v sqlVal) string {
		if v.isConst {
			if v.c == nil {
				return "NULL::float8"
			}
			return g.param(v.c, "float8")
		}
		// Values PostgreSQL's trigonometry would reject read as null.
		in := g.alias()
		return "(SELECT CASE WHEN v > '-Infinity'::float8 AND v < 'Infinity'::float8 THEN v END FROM (SELECT " + v.e + " AS v) AS " + ident(in) + ")"
	}
	switch c.fn {
	case "geoDistance":
		// One subquery computes the arguments, the next the cosine, so that
		// each is written once; greatest and least would skip a null.
		in, x := g.alias(), g.alias()
		col := func(c string) string { return ident(in, c) }
		cos := "cos(radians(" + col("lat_a") + ")) * cos(radians(" + col("lat_b") + ")) * cos(radians(" + col("lon_b") + ") - radians(" + col("lon_a") + ")) + " +
			"sin(radians(" + col("lat_a") + ")) * sin(radians(" + col("lat_b") + "))"
		c := ident(x, "c")
		return "(SELECT " + strconv.Itoa(earthRadiusKm) + " * acos(CASE WHEN " + c + " > 1 THEN 1 WHEN " + c + " < -1 THEN -1 ELSE " + c + " END) FROM (SELECT " + cos + " AS c FROM (SELECT " +
			num(args[0]) + " AS lon_a, " + num(args[1]) + " AS lat_a, " + num(args[2]) + " AS lon_b, " + num(args[3]) + " AS lat_b) AS " + ident(in) + ") AS " + ident(x) + ")"
	case "strftime":
		a := args[0]
		var u string
		if c.args[0].kind == kTime {
			u = "(" + a.e + " AT TIME ZONE 'UTC')"
		} else {
			secs := a.e
			if !c.unix {
				secs = "((" + a.e + " - 2440587.5) * 86400)"
			}
			ms := "floor(" + secs + " * 1000 + 0.5)"
			u = "(CASE WHEN " + ms + " BETWEEN " + strconv.FormatInt(minTimeMs, 10) + " AND " + strconv.FormatInt(maxTimeMs, 10) +
				" THEN timestamp '1970-01-01' + " + ms + " * interval '1 millisecond' END)"
		}
		// Each modifier applies to a time in range only, so that none can
		// take a timestamp out of PostgreSQL's range.
		for _, m := range c.mods {
			in := g.alias()
			v := ident(in, "u")
			u = "(SELECT CASE WHEN " + v + " >= timestamp '0001-01-01' AND " + v + " < timestamp '10000-01-01' THEN " + g.modSQL(m, v) +
				" END FROM (SELECT " + u + " AS u) AS " + ident(in) + ")"
		}
		row := g.alias()
		col := ident(row, "u")
		parts := make([]string, 0, len(c.format))
		for _, p := range c.format {
			if p.spec == 0 {
				parts = append(parts, g.param(p.lit, "text"))
			} else {
				parts = append(parts, specSQL(p.spec, col))
			}
		}
		body := "''"
		if len(parts) > 0 {
			body = strings.Join(parts, " || ")
		}
		return "(SELECT CASE WHEN " + col + " IS NULL OR " + col + " < timestamp '0001-01-01' OR " + col + " >= timestamp '10000-01-01' THEN '' ELSE " +
			body + " END FROM (SELECT " + u + " AS u) AS " + ident(row) + ")"
	}
	return "NULL"
}

// eval computes a call in memory from the values of its arguments.
func (c *call) eval(args []any) any {
	switch c.fn {
	case "geoDistance":
		return distance(args)
	case "strftime":
		var t any
		switch x := args[0].(type) {
		case time.Time:
			t = x
		case float64:
			t = numberTime(x, c.unix)
		}
		return c.format1(t)
	}
	return nil
}
