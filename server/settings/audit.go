package settings

import "time"

// Audit decide how long the audit log keeps its entries: who changed
// which record, when and how (GET /api/audit, a record's history).
type Audit struct {
	// RetentionDays is how many days an entry stays; 0 keeps none.
	RetentionDays int `json:"retentionDays"`
}

// DefaultAudit are the audit settings of a new installation: 30 days.
func DefaultAudit() Audit { return Audit{RetentionDays: 30} }

// After returns the instant, at now, before which the audit keeps no
// entry (now itself when it keeps none).
func (a Audit) After(now time.Time) time.Time {
	if a.RetentionDays <= 0 {
		return now
	}
	return now.AddDate(0, 0, -a.RetentionDays)
}

// validate reports the audit settings that are not valid into fail.
func (a Audit) validate(fail func(key, code, msg string)) {
	if a.RetentionDays < 0 {
		fail("audit.retentionDays", "validation_min_greater_equal_than_required", "Must be no less than 0.")
	}
}
