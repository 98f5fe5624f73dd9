package command

import (
	"testing"

	"github.com/lumbunghq/lumbung/plugins"
)

// The lumbung command carries the first-party plugins.
func TestBundledPlugins(t *testing.T) {
	var ids []string
	for _, p := range plugins.Registered() {
		ids = append(ids, p.ID())
	}
	for _, want := range []string{"jsvm"} {
		found := false
		for _, id := range ids {
			found = found || id == want
		}
		if !found {
			t.Errorf("plugin %q is not bundled (bundled: %q)", want, ids)
		}
	}
}
