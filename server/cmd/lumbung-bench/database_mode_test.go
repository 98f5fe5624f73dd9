package main

import (
	"slices"
	"testing"
)

func TestModeName(t *testing.T) {
	for _, c := range []struct{ fsync, syncCommit, want string }{
		{"on", "on", "durable"},
		{"on", "local", "durable"},
		{"on", "remote_apply", "durable"},
		{"on", "off", "async-commit"},
		{"off", "off", "no-fsync"},
		{"off", "on", "fsync=off, synchronous_commit=on"},
	} {
		if got := modeName(c.fsync, c.syncCommit); got != c.want {
			t.Errorf("modeName(%q, %q) = %q, want %q", c.fsync, c.syncCommit, got, c.want)
		}
	}
	for _, m := range dbModes {
		if got, ok := dbModeByName(m.name); !ok || got.name != m.name {
			t.Errorf("dbModeByName(%q) = %v, %v", m.name, got, ok)
		}
	}
	if _, ok := dbModeByName("fast"); ok {
		t.Error("dbModeByName(fast) found a mode")
	}
}

func TestPlanSteps(t *testing.T) {
	got := planSteps([]string{"list", "list-role", "create"}, "no-fsync", []string{"durable", "async-commit"})
	want := []step{{"list", "no-fsync"}, {"list-role", "no-fsync"}, {"create", "durable"}, {"create", "async-commit"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestSuperuserDSN(t *testing.T) {
	pw := t.TempDir() + "/password"
	if err := writeFile(pw, "s3cret\n"); err != nil {
		t.Fatal(err)
	}
	got, err := superuserDSN("postgres://lumbung_app:x@/lumbung?host=%2Ftmp%2Fpg&port=5432&sslmode=disable", pw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://lumbung:s3cret@/lumbung?host=%2Ftmp%2Fpg&port=5432&sslmode=disable"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestParseModeFlags(t *testing.T) {
	cfg, err := parseFlags(nil, discard{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.createModes, dbModeNames()) || cfg.durable || !cfg.pocketbase {
		t.Errorf("defaults: create modes %v, durable %v, pocketbase %v", cfg.createModes, cfg.durable, cfg.pocketbase)
	}
	cfg, err = parseFlags([]string{"-create-modes", "async-commit, durable,async-commit", "-pocketbase=false"}, discard{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.createModes, []string{"async-commit", "durable"}) || cfg.pocketbase {
		t.Errorf("create modes %v, pocketbase %v", cfg.createModes, cfg.pocketbase)
	}
	for _, args := range [][]string{
		{"-create-modes", "fast"},
		{"-create-modes", ","},
		{"-pocketbase=false", "-pocketbase-bin", "/x/base"},
	} {
		if _, err := parseFlags(args, discard{}); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
