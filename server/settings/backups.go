package settings

import "github.com/lumbunghq/lumbung/server/cron"

// Backups schedule automatic backups, as PocketBase's backups settings
// (without their s3: backups are kept in the data directory).
type Backups struct {
	// Cron is when an automatic backup is made: a cron expression in UTC
	// such as "0 3 * * *", or a macro such as "@daily"; empty makes none.
	Cron string `json:"cron"`
	// CronMaxKeep is how many automatic backups are kept: after each, the
	// oldest beyond it are deleted. Backups made by hand are never.
	CronMaxKeep int `json:"cronMaxKeep"`
	// S3, when enabled, keeps the backups in a bucket (else under the
	// data directory): one place every node of a cluster shares.
	S3 S3 `json:"s3"`
}

// DefaultBackups are the backups settings of a new installation,
// PocketBase's: no schedule, three kept once there is one.
func DefaultBackups() Backups {
	return Backups{CronMaxKeep: 3}
}

// validate reports the backups settings that are not valid into fail,
// with PocketBase's rules: a cron expression the scheduler reads, and
// with one, at least one backup kept.
func (b *Backups) validate(fail func(key, code, msg string)) {
	b.S3.validate("backups.s3", fail)
	if b.Cron == "" {
		return
	}
	if _, err := cron.Parse(b.Cron); err != nil {
		fail("backups.cron", "validation_invalid_cron", err.Error())
	}
	if b.CronMaxKeep < 1 {
		fail("backups.cronMaxKeep", "validation_min_greater_equal_than_required", "Must be no less than 1.")
	}
}
