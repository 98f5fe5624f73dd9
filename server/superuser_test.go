package server_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestSuperuserDeleteKeepsOne: `lumbung superuser delete` removes a
// superuser, but not the only one.
func TestSuperuserDeleteKeepsOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := server.Config{DatabaseURL: pgtest.NewDB(t), PasswordCost: 4, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, email := range []string{"a@example.com", "b@example.com"} {
		if _, err := server.UpsertSuperuser(ctx, cfg, email, "long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	if err := server.DeleteSuperuser(ctx, cfg, "a@example.com"); err != nil {
		t.Fatalf("deleting one of two: %v", err)
	}
	err := server.DeleteSuperuser(ctx, cfg, "b@example.com")
	if err == nil || !strings.Contains(err.Error(), "You can't delete the only existing superuser") {
		t.Fatalf("deleting the last: %v", err)
	}
	if created, err := server.UpsertSuperuser(ctx, cfg, "b@example.com", "another long password"); err != nil || created {
		t.Fatalf("the last is still there: created %v, %v", created, err)
	}
}
