package settings

import (
	"log/slog"
	"time"
)

// Logs decide which requests the request log keeps and what it keeps of
// them, as PocketBase's logs settings. They apply to the log each node
// keeps for GET /api/logs; the request line a node writes to its own
// output is the operator's and is written whatever they say.
type Logs struct {
	// MaxDays is how many days a request stays in the log; 0 keeps none.
	MaxDays int `json:"maxDays"`
	// MinLevel is the lowest level kept, on slog's scale as in PocketBase:
	// -4 debug, 0 info, 4 warn, 8 error.
	MinLevel int `json:"minLevel"`
	// LogIP keeps the client's address of each request.
	LogIP bool `json:"logIP"`
	// LogAuthID keeps the id of the signed-in record of each request (its
	// collection is always kept).
	LogAuthID bool `json:"logAuthId"`
}

// DefaultLogs are the logs settings of a new installation, PocketBase's:
// five days, every level, addresses kept, record ids not.
func DefaultLogs() Logs {
	return Logs{MaxDays: 5, LogIP: true}
}

// Keeps reports whether the log keeps, at now, a request of the given
// level made at created: a level below MinLevel is never kept, nor is a
// request MaxDays days old or older (PocketBase deletes logs created at or
// before now minus MaxDays days).
func (l Logs) Keeps(level slog.Level, created, now time.Time) bool {
	if l.MaxDays <= 0 || int(level) < l.MinLevel {
		return false
	}
	return created.After(now.AddDate(0, 0, -l.MaxDays))
}

// validate reports the logs settings that are not valid into fail, with
// PocketBase's rule: maxDays may not be negative. Any minLevel is valid,
// as in PocketBase (the log keeps levels from it up).
func (l Logs) validate(fail func(key, code, msg string)) {
	if l.MaxDays < 0 {
		fail("logs.maxDays", "validation_min_greater_equal_than_required", "Must be no less than 0.")
	}
}
