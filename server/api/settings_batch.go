package api

import (
	"fmt"

	"github.com/lumbunghq/lumbung/collections"
)

// BatchSettings limit POST /api/batch, as PocketBase's batch settings.
type BatchSettings struct {
	// Enabled allows batch requests (403 when false).
	Enabled bool `json:"enabled"`
	// MaxRequests is how many sub-requests one batch may hold.
	MaxRequests int `json:"maxRequests"`
	// Timeout is how many seconds a batch's transaction may take before
	// it is rolled back (3 when 0).
	Timeout int64 `json:"timeout"`
	// MaxBodySize is the largest batch body in bytes (0: the server's
	// body limit alone).
	MaxBodySize int64 `json:"maxBodySize"`
}

// DefaultBatchSettings are the batch limits of a new installation:
// PocketBase's, except that batches are allowed (Lumbung's SDK flows and
// imports rely on them; PocketBase starts with them off).
func DefaultBatchSettings() BatchSettings {
	return BatchSettings{Enabled: true, MaxRequests: 50, Timeout: 3}
}

// defaultBatchTimeout bounds a batch whose settings give no timeout, as in
// PocketBase.
const defaultBatchTimeout = 3

// validate reports the batch settings that are not valid into fail, with
// PocketBase's rules: enabled batches need maxRequests and timeout, and
// nothing may be negative.
func (b BatchSettings) validate(fail func(key, code, msg string)) {
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

// batchAllowed answers PocketBase's errors for a batch the settings
// refuse before it is read: 403 when batches are off, 413 when the body
// is larger than maxBodySize.
func batchAllowed(b BatchSettings, bodySize int) error {
	if !b.Enabled || b.MaxRequests <= 0 {
		return collections.Errorf(collections.EFORBIDDEN, "Batch requests are not allowed.")
	}
	if b.MaxBodySize > 0 && int64(bodySize) > b.MaxBodySize {
		return collections.Errorf(collections.ETOOLARGE, "Request entity too large")
	}
	return nil
}

// batchTooLong is PocketBase's answer to a batch with more than max
// sub-requests.
func batchTooLong(max int) error {
	return collections.Invalid("Invalid batch request data.", map[string]collections.FieldError{
		"requests": {Code: "validation_length_too_long", Message: fmt.Sprintf("The length must be between 0 and %d.", max)}})
}
