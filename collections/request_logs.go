package collections

import (
	"context"
	"log/slog"
	"time"
)

// LogEntry is one request of the request log, PocketBase's request logs.
type LogEntry struct {
	ID       string // the request id
	Created  time.Time
	Method   string
	URL      string
	Status   int
	ExecTime float64 // milliseconds
	// Auth is the collection of the signed-in record, "" for guests.
	Auth string
	// AuthID is the id of the signed-in record when the logs settings
	// kept it, else "".
	AuthID string
	// IP is the client's address when the logs settings kept it, else "".
	IP string
}

// Level is the entry's level as PocketBase gives a request (slog's scale):
// error (8) when it failed, 4xx included, else info (0).
func (e *LogEntry) Level() slog.Level {
	if e.Status >= 400 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogRetention is which entries the request log still keeps: those of
// MinLevel or above made after After; none at all when None.
type LogRetention struct {
	None     bool
	MinLevel int
	After    time.Time
}

// LogQuery selects entries of the request log.
type LogQuery struct {
	// Keep leaves out the entries the log no longer keeps.
	Keep LogRetention
	// Filter and Sort are in the filter language, over the fields method,
	// url, status, execTime, auth, authId, ip, level and created; the
	// default order is newest first.
	Filter, Sort string
	// Now is the instant of the filter's date macros.
	Now time.Time
	// Offset and Limit page the list (Limit 0: no entry, the total only).
	Offset, Limit int
}

// LogCount is how many entries of the request log were made in one minute.
type LogCount struct {
	Minute time.Time
	Total  int
}

// LogStore keeps the request log of every node (postgres.RequestLogs).
// Filters and sorts that are not valid fail with EINVALID.
type LogStore interface {
	// AddLogs stores entries; an id already stored is skipped.
	AddLogs(ctx context.Context, entries []LogEntry) error
	// Logs returns a page of the entries q selects and how many it
	// selects in all.
	Logs(ctx context.Context, q LogQuery) ([]LogEntry, int, error)
	// LogStats counts the entries q selects by minute, oldest first,
	// minutes without entries left out (q's Sort and paging are ignored).
	LogStats(ctx context.Context, q LogQuery) ([]LogCount, error)
	// Log returns entry id if keep still keeps it (ENOTFOUND otherwise).
	Log(ctx context.Context, id string, keep LogRetention) (LogEntry, error)
	// PruneLogs deletes the entries keep does not keep and returns how
	// many went.
	PruneLogs(ctx context.Context, keep LogRetention) (int64, error)
}
