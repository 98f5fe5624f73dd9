package settings

import (
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// Batch limit POST /api/batch, as PocketBase's batch settings.
type Batch struct {
	// Enabled allows batch requests (403 when false).
	Enabled bool `json:"enabled"`
	// MaxRequests is how many sub-requests one batch may hold.
	MaxRequests int `json:"maxRequests"`
	// Timeout is how many seconds a batch's transaction may take before
	// it is rolled back (DefaultBatchTimeout when 0).
	Timeout int64 `json:"timeout"`
	// MaxBodySize is the largest batch body in bytes (0: the server's
	// body limit alone).
	MaxBodySize int64 `json:"maxBodySize"`
}

// DefaultBatch are the batch limits of a new installation: PocketBase's,
// except that batches are allowed (Lumbung's SDK flows and imports rely
// on them; PocketBase starts with them off).
func DefaultBatch() Batch {
	return Batch{Enabled: true, MaxRequests: 50, Timeout: 3}
}

// DefaultBatchTimeout bounds a batch whose settings give no timeout, as in
// PocketBase.
const DefaultBatchTimeout = 3 * time.Second

// Allow answers PocketBase's errors for a batch the settings refuse
// before it is read: EFORBIDDEN when batches are off, ETOOLARGE when its
// body of bodySize bytes is larger than MaxBodySize.
func (b Batch) Allow(bodySize int) error {
	if !b.Enabled || b.MaxRequests <= 0 {
		return collections.Errorf(collections.EFORBIDDEN, "Batch requests are not allowed.")
	}
	if b.MaxBodySize > 0 && int64(bodySize) > b.MaxBodySize {
		return collections.Errorf(collections.ETOOLARGE, "Request entity too large")
	}
	return nil
}

// validate reports the batch settings that are not valid into fail, with
// PocketBase's rules: enabled batches need maxRequests and timeout, and
// nothing may be negative.
func (b Batch) validate(fail func(key, code, msg string)) {
	check := func(key string, v int64) {
		switch {
		case v < 0:
			fail("batch."+key, "validation_min_greater_equal_than_required", "Must be no less than 0.")
		case v == 0 && b.Enabled && key != "maxBodySize":
			fail("batch."+key, "validation_required", "Cannot be blank.")
		}
	}
	check("maxRequests", int64(b.MaxRequests))
	check("timeout", b.Timeout)
	check("maxBodySize", b.MaxBodySize)
}
