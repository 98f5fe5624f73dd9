package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbMode is how the PostgreSQL that Lumbung and the baseline share commits:
// what a commit waits for, and so what a crash may lose.
type dbMode struct {
	name string
	// fsync sets fsync and full_page_writes; syncCommit synchronous_commit.
	fsync, syncCommit bool
	about             string
}

// The modes, in the order creates run in them.
var dbModes = []dbMode{
	{name: "durable", fsync: true, syncCommit: true,
		about: "every commit waits until its WAL is flushed to disk (PostgreSQL's default, what users run)"},
	{name: "async-commit", fsync: true, syncCommit: false,
		about: "synchronous_commit off: a commit returns before its WAL is flushed, which follows within " +
			"wal_writer_delay (200 ms; at most 3x that); an operating-system crash or power loss may lose the last " +
			"commits, a crash of Lumbung or PostgreSQL loses nothing. The equivalent of PocketBase's default, " +
			"SQLite in WAL mode with synchronous=NORMAL (no fsync per commit; the WAL is synced at checkpoints)"},
	{name: "no-fsync", fsync: false, syncCommit: false,
		about: "fsync, synchronous_commit and full_page_writes off: nothing waits for disk, and a machine crash " +
			"may corrupt the cluster; for throwaway clusters only (tests, these reads), no one's production setting"},
}

// dbModeByName returns the mode called name.
func dbModeByName(name string) (dbMode, bool) {
	for _, m := range dbModes {
		if m.name == name {
			return m, true
		}
	}
	return dbMode{}, false
}

// dbModeNames lists the modes' names.
func dbModeNames() []string {
	names := make([]string, len(dbModes))
	for i, m := range dbModes {
		names[i] = m.name
	}
	return names
}

// modeName names the mode the values of SHOW fsync and SHOW
// synchronous_commit describe, or spells them out when no mode has them.
// Every synchronous_commit but off waits for the local flush.
func modeName(fsync, syncCommit string) string {
	f, s := fsync == "on", syncCommit != "off"
	for _, m := range dbModes {
		if m.fsync == f && m.syncCommit == s {
			return m.name
		}
	}
	return "fsync=" + fsync + ", synchronous_commit=" + syncCommit
}

// mode returns the name of the mode a new connection of Lumbung's gets.
func (d *database) mode(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, d.dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var fsync, syncCommit string
	if err := conn.QueryRow(ctx, "SELECT current_setting('fsync'), current_setting('synchronous_commit')").Scan(&fsync, &syncCommit); err != nil {
		return "", err
	}
	return modeName(fsync, syncCommit), nil
}

// setMode switches the private cluster to m with ALTER SYSTEM and a
// reload, which every connection, Lumbung's pooled ones included, applies
// before its next statement; waits until a new connection sees it; and
// checkpoints, so each run starts from a clean state.
func (d *database) setMode(ctx context.Context, m dbMode) error {
	if d.external() {
		return errors.New("the mode of an external database (DATABASE_URL) is its own")
	}
	conn, err := pgx.Connect(ctx, d.adminDSN)
	if err != nil {
		return fmt.Errorf("connect as the private cluster's superuser: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	for _, stmt := range []string{
		"ALTER SYSTEM SET fsync = " + onOff(m.fsync),
		"ALTER SYSTEM SET full_page_writes = " + onOff(m.fsync),
		"ALTER SYSTEM SET synchronous_commit = " + onOff(m.syncCommit),
		"SELECT pg_reload_conf()",
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(stmt, " =", 2)[0], err)
		}
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		got, err := d.mode(wait)
		if err == nil && got == m.name {
			break
		}
		if wait.Err() != nil {
			return fmt.Errorf("switch to %s: the server still says %q (%v)", m.name, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("CHECKPOINT: %w", err)
	}
	return nil
}
