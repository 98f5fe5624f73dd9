package localpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeInstall creates root/<version>/bin with stand-in postgres and initdb.
func fakeInstall(tb testing.TB, root, version string, withInitdb bool) string {
	tb.Helper()
	bin := filepath.Join(root, version, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		tb.Fatal(err)
	}
	script := "#!/bin/sh\necho 'postgres (PostgreSQL) " + version + ".3 (Test)'\n"
	if err := os.WriteFile(filepath.Join(bin, "postgres"), []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
	if withInitdb {
		if err := os.WriteFile(filepath.Join(bin, "initdb"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	return bin
}

func TestFindBinaries(t *testing.T) {
	root := t.TempDir()
	fakeInstall(t, root, "9", true)
	fakeInstall(t, root, "15", true)
	fakeInstall(t, root, "16", true)
	fakeInstall(t, root, "17", false) // postgres without initdb: skipped
	s := search{globs: []string{filepath.Join(root, "*", "bin")}}

	tests := []struct {
		want    int // cluster major, 0 for none
		major   int // expected pick
		errText string
	}{
		{want: 0, major: 16},
		{want: 15, major: 15},
		{want: 14, errText: "pg_upgrade"},
	}
	for _, tt := range tests {
		b, err := findBinaries(context.Background(), s, tt.want)
		if tt.errText != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("want %d: err = %v, want one mentioning %q", tt.want, err, tt.errText)
			}
			continue
		}
		if err != nil {
			t.Fatalf("want %d: %v", tt.want, err)
		}
		if b.major != tt.major || b.postgres != filepath.Join(root, fmt.Sprint(tt.major), "bin", "postgres") {
			t.Errorf("want %d: picked %+v, want PostgreSQL %d", tt.want, b, tt.major)
		}
	}

	_, err := findBinaries(context.Background(), search{binDir: t.TempDir()}, 0)
	if !errors.Is(err, ErrNoBinaries) {
		t.Errorf("empty BinDir: err = %v, want ErrNoBinaries", err)
	}
	b, err := findBinaries(context.Background(), search{binDir: filepath.Join(root, "15", "bin")}, 0)
	if err != nil || b.major != 15 {
		t.Errorf("BinDir: %+v, %v", b, err)
	}
}
