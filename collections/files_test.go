package collections

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStoredNameIsSafe: whatever name a client gives, the stored name is
// one path segment of valid UTF-8, at most 150 bytes, with the random
// part PocketBase's names have, and never "." or "..".
func TestStoredNameIsSafe(t *testing.T) {
	shape := regexp.MustCompile(`^[^/\\\x00-\x1f]+_[a-z0-9]{10}(\.[\w.*\-+=#]*)?$`)
	alphabet := []string{"a", "B", ".", "/", `\`, "\x00", " ", "é", "日本", "..", "_", "-", "%2e", "\xff", "+", "#", "\n", "Z"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range r.IntN(400) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		name := b.String()
		got := StoredName(name, ".txt")
		if !utf8.ValidString(got) || len(got) > 150 || !shape.MatchString(got) || strings.ContainsAny(got, "/\\\x00") || got == "." || got == ".." {
			t.Fatalf("StoredName(%q) = %q", name, got)
		}
	}
	for name, want := range map[string]string{
		"My Photo.PNG":  `^my_photo_[a-z0-9]{10}\.PNG$`,
		"report":        `^report_[a-z0-9]{10}\.txt$`,
		"a.b":           `^a[a-z0-9]{10}_[a-z0-9]{10}\.b$`,
		"../../x.sh":    `^x[a-z0-9]{10}_[a-z0-9]{10}\.sh$`,
		"helloWorld.js": `^hello_world_[a-z0-9]{10}\.js$`,
	} {
		if got := StoredName(name, ".txt"); !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("StoredName(%q) = %q, want %s", name, got, want)
		}
	}
}
