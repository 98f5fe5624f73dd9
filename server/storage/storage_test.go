package storage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server/storage"
)

func TestValidKey(t *testing.T) {
	t.Parallel()
	for key, ok := range map[string]bool{
		"a": true, "c/r/name_x1.png": true, "a/.hidden": true, "a/..b": true, "a b/ü.txt": true,
		strings.Repeat("k", storage.MaxKeyLength): true,
		"": false, "a/": false, "/a": false, "..": false, "a/../b": false, "./a": false, "a//b": false,
		"a\x00": false, "a\\b": false, "a\rb": false, "a\x7fb": false, "\xff": false,
		strings.Repeat("k", storage.MaxKeyLength+1): false,
	} {
		err := storage.ValidKey(key)
		if (err == nil) != ok || (err != nil && !errors.Is(err, storage.ErrInvalidKey)) {
			t.Errorf("ValidKey(%q) = %v, want ok=%v", key, err, ok)
		}
	}
	for prefix, ok := range map[string]bool{"": true, "a/": true, "a/b": true, "../": false, "/": false, "a//": false} {
		if err := storage.ValidPrefix(prefix); (err == nil) != ok {
			t.Errorf("ValidPrefix(%q) = %v, want ok=%v", prefix, err, ok)
		}
	}
}
