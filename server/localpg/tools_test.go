package localpg

import (
	"context"
	"strings"
	"testing"
)

// TestFindTools: the client programs of the server's major version are
// found where the server binaries are; another version is refused with
// what was found and how to install the right one.
func TestFindTools(t *testing.T) {
	ctx := context.Background()
	b, err := findBinaries(ctx, search{usePath: true, globs: defaultGlobs}, 0)
	if err != nil {
		t.Skip("no PostgreSQL binaries:", err)
	}
	tools, err := FindTools(ctx, "", b.major, "pg_dump", "pg_restore", "psql")
	if err != nil {
		t.Fatal(err)
	}
	if tools.Major != b.major || !isExecutable(tools.Path("pg_restore")) {
		t.Fatalf("found %+v for PostgreSQL %d", tools, b.major)
	}
	_, err = FindTools(ctx, "", b.major+50, "pg_dump", "pg_restore", "psql")
	if err == nil || !strings.Contains(err.Error(), "only these were found") || !strings.Contains(err.Error(), "postgresql-client-") {
		t.Fatalf("a missing version: %v", err)
	}
	if _, err := FindTools(ctx, t.TempDir(), b.major, "pg_dump"); err == nil || !strings.Contains(err.Error(), "none were found") {
		t.Fatalf("an empty directory: %v", err)
	}
}
