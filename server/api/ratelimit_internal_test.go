package api

import (
	"slices"
	"testing"

	"github.com/lumbunghq/lumbung/server/settings"
)

// TestRateLimitActions: the actions the settings accept in rate limit
// labels are exactly the tags requests get, so that every rule they
// accept can match.
func TestRateLimitActions(t *testing.T) {
	t.Parallel()
	tags := []string{"list", "view", "create", "update", "delete", "file"}
	for _, ts := range requestActions {
		tags = append(tags, ts...)
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	if got := settings.RateLimitActions(); !slices.Equal(got, tags) {
		t.Fatalf("settings accept %v,\nrequests are tagged %v", got, tags)
	}
}
