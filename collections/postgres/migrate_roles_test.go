package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestMigrationRolesEach: conditions written with an any-of operator on
// @request.auth.roles keep their meaning ("one of the roles is") now that
// a list without :each is its JSON text.
func TestMigrationRolesEach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows := [][2]string{
		{"guest", "@request.auth.roles ?= 'staff'"},
		{"editor", "@request.auth.roles:each ?= 'x' || @request.auth.roles?!='y'"},
		{"viewer", "title = 'roles ?= x'"},
		{"dup", "@request.auth.roles ?= 'k'"},
		{"dup", "@request.auth.roles:each ?= 'k'"},
	}
	for _, r := range rows {
		if _, err := conn.Exec(ctx, "INSERT INTO _casbin_rule (ptype, v0, v1, v2, v3) VALUES ('p', $1, 'c1', 'list', $2)", r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	src, err := migrationFiles.ReadFile("migrations/20261207000002_roles_each.tx.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(string(src), "--bun:split") {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string][]string{}
	res, err := conn.Query(ctx, "SELECT v0, v3 FROM _casbin_rule WHERE v1 = 'c1' ORDER BY v0, v3")
	if err != nil {
		t.Fatal(err)
	}
	var sub, cond string
	if _, err := pgx.ForEachRow(res, []any{&sub, &cond}, func() error { got[sub] = append(got[sub], cond); return nil }); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"guest":  {"@request.auth.roles:each ?= 'staff'"},
		"editor": {"@request.auth.roles:each ?= 'x' || @request.auth.roles:each?!='y'"},
		"viewer": {"title = 'roles ?= x'"},
		"dup":    {"@request.auth.roles:each ?= 'k'"},
	}
	for k, w := range want {
		if strings.Join(got[k], "\n") != strings.Join(w, "\n") {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
}
