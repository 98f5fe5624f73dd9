package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
	"github.com/lumbunghq/lumbung/server/mail/mailtest"
)

// withDir keeps a node's data directory (and so its backups) in dir.
func withDir(dir string) func(*server.Config) {
	return func(c *server.Config) { c.Dir = dir }
}

// mustStatus makes a request and fails the test unless it answers status.
func mustStatus(t *testing.T, base, token, method, path, body string, status int) string {
	t.Helper()
	got, b, err := request(base, token, method, path, body)
	if err != nil || got != status {
		t.Fatalf("%s %s: %d %s %v, want %d", method, path, got, b, err, status)
	}
	return b
}

// snapshot reads everything a restore must bring back, as a superuser
// sees it through the API: the collections with their fields and rules,
// every record of each, and the policies of each.
func snapshot(t *testing.T, base, token string, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		out["collection "+n] = mustStatus(t, base, token, "GET", "/api/collections/"+n, "", 200)
		out["records "+n] = mustStatus(t, base, token, "GET", "/api/collections/"+n+"/records?perPage=1000&sort=id", "", 200)
		out["policies "+n] = mustStatus(t, base, token, "GET", "/api/rbac/collections/"+n+"/policies", "", 200)
	}
	return out
}

// TestBackupRestoresEveryRecord: collections and records are created,
// backed up, then records are changed and deleted, a collection is
// dropped and another created with a relation into a backed-up one, a
// policy is changed; the restore brings back every record, collection and
// policy exactly, on the node that restored and on another node of the
// same database, and the collection made after the backup is gone.
func TestBackupRestoresEveryRecord(t *testing.T) {
	dsn := mustAdminDB(t)
	dir := t.TempDir()
	a := startNode(t, dsn, withDir(dir))
	b := startNode(t, dsn, withDir(t.TempDir()))
	token := signIn(t, a)

	call(t, a, token, "POST", "/api/collections", `{"name": "authors", "fields": [{"name": "name", "type": "text", "required": true},
		{"name": "age", "type": "number"}, {"name": "active", "type": "bool"}, {"name": "meta", "type": "json"},
		{"name": "kind", "type": "select", "values": ["a", "b", "c"], "maxSelect": 2}]}`)
	authors := call(t, a, token, "GET", "/api/collections/authors", "")
	var col struct{ ID string }
	mustDecode(t, authors, &col)
	call(t, a, token, "POST", "/api/collections", fmt.Sprintf(`{"name": "posts", "listRule": "published = true",
		"fields": [{"name": "title", "type": "text"}, {"name": "published", "type": "bool"}, {"name": "when", "type": "date"},
		{"name": "author", "type": "relation", "collectionId": %q, "maxSelect": 1}]}`, col.ID))
	call(t, a, token, "PUT", "/api/rbac/collections/authors/policies", `{"items": [{"subject": "guest", "action": "list", "cond": "active = true"}]}`)
	var authorIDs []string
	for i := range 40 {
		body := call(t, a, token, "POST", "/api/collections/authors/records", fmt.Sprintf(
			`{"name": "author %d ünïcode '\"", "age": %d.5, "active": %t, "meta": {"n": %d, "tags": ["x", null]}, "kind": ["a", "c"]}`, i, i, i%2 == 0, i))
		var rec struct{ ID string }
		mustDecode(t, body, &rec)
		authorIDs = append(authorIDs, rec.ID)
	}
	for i := range 120 {
		call(t, a, token, "POST", "/api/collections/posts/records", fmt.Sprintf(
			`{"title": "post %d", "published": %t, "when": "2026-01-%02d 10:00:00.000Z", "author": %q}`, i, i%3 == 0, i%28+1, authorIDs[i%40]))
	}
	before := snapshot(t, a, token, "authors", "posts")
	guestBefore := mustStatus(t, a, "", "GET", "/api/collections/posts/records?perPage=1000&sort=id", "", 200)

	mustStatus(t, a, token, "POST", "/api/backups", `{"name": "before_changes.zip"}`, 204)
	var list []struct {
		Key      string
		Size     int64
		Modified string
	}
	mustDecode(t, call(t, a, token, "GET", "/api/backups", ""), &list)
	if len(list) != 1 || list[0].Key != "before_changes.zip" || list[0].Size == 0 || list[0].Modified == "" {
		t.Fatalf("list: %+v", list)
	}
	zr, err := zip.OpenReader(filepath.Join(dir, "backups", "before_changes.zip"))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != "lumbung.dump" {
		t.Fatalf("the backup is not a zip holding lumbung.dump: %v", err)
	}
	zr.Close()

	// Destroy: change and delete records, drop a field, add a collection
	// with a relation into a backed-up one, change the policies.
	var posts struct{ Items []struct{ ID string } }
	mustDecode(t, before["records posts"], &posts)
	for i, p := range posts.Items[:30] {
		if i%2 == 0 {
			mustStatus(t, a, token, "DELETE", "/api/collections/posts/records/"+p.ID, "", 204)
		} else {
			call(t, a, token, "PATCH", "/api/collections/posts/records/"+p.ID, `{"title": "changed", "published": true}`)
		}
	}
	call(t, a, token, "PATCH", "/api/collections/posts", `{"listRule": ""}`)
	call(t, a, token, "POST", "/api/collections", fmt.Sprintf(`{"name": "later", "fields": [{"name": "author", "type": "relation", "collectionId": %q, "maxSelect": 1}]}`, col.ID))
	call(t, a, token, "POST", "/api/collections/later/records", fmt.Sprintf(`{"author": %q}`, authorIDs[0]))
	call(t, a, token, "PUT", "/api/rbac/collections/authors/policies", `{"items": []}`)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "UPDATE authors SET age = -1"); err != nil { // behind the server's back
		t.Fatal(err)
	}
	if after := snapshot(t, a, token, "authors", "posts"); after["records posts"] == before["records posts"] || after["records authors"] == before["records authors"] {
		t.Fatal("the changes did not change anything")
	}

	mustStatus(t, a, token, "POST", "/api/backups/before_changes.zip/restore", "", 204)
	for _, node := range []string{a, b} {
		tok := signIn(t, node)
		waitStatus(t, node, "/api/collections/later/records", 404) // the other node hears of it
		after := snapshot(t, node, tok, "authors", "posts")
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s on %s after the restore:\n%s\nwant\n%s", k, node, after[k], v)
			}
		}
		if guest := mustStatus(t, node, "", "GET", "/api/collections/posts/records?perPage=1000&sort=id", "", 200); guest != guestBefore {
			t.Errorf("guests see on %s:\n%s\nwant\n%s", node, guest, guestBefore)
		}
	}
	// Writing goes on after the restore, and a collection of the old name
	// can be created again.
	call(t, a, token, "POST", "/api/collections/posts/records", fmt.Sprintf(`{"title": "after", "author": %q}`, authorIDs[1]))
	call(t, b, signIn(t, b), "POST", "/api/collections", `{"name": "later", "fields": [{"name": "x", "type": "text"}]}`)
}

// upload posts a multipart backup upload and returns the answer.
func upload(t *testing.T, base, token, filename string, content []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	w, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	mw.Close()
	req, err := http.NewRequest("POST", base+"/api/backups/upload", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", token)
	res, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func zipped(t *testing.T, entry string, content []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(entry)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	zw.Close()
	return buf.Bytes()
}

// TestBackupRoutesRefuse: what is not a superuser's, not a backup name, not
// a backup or too large is refused with a 4xx naming why; nothing is a
// 500; a backup downloads only with a superuser's file token; one backup
// or restore runs at a time across nodes.
func TestBackupRoutesRefuse(t *testing.T) {
	dsn := mustAdminDB(t)
	dir := t.TempDir()
	base := startNode(t, dsn, withDir(dir), func(c *server.Config) { c.BodyLimit = 1 << 20 })
	token := signIn(t, base)
	call(t, base, token, "POST", "/api/collections/users/records",
		`{"email": "user@example.com", "password": "long enough password", "passwordConfirm": "long enough password"}`)
	var user struct{ Token string }
	mustDecode(t, call(t, base, "", "POST", "/api/collections/users/auth-with-password",
		`{"identity": "user@example.com", "password": "long enough password"}`), &user)

	mustStatus(t, base, token, "POST", "/api/backups", `{"name": "good.zip"}`, 204)
	good, err := os.ReadFile(filepath.Join(dir, "backups", "good.zip"))
	if err != nil {
		t.Fatal(err)
	}
	// A file outside the backups folder, which no key may reach.
	if err := os.WriteFile(filepath.Join(dir, "secret.zip"), good, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token, method, path, body string
		status                          int
		want                            string
	}{
		{"guest lists", "", "GET", "/api/backups", "", 401, "superuser"},
		{"user lists", user.Token, "GET", "/api/backups", "", 403, ""},
		{"user creates", user.Token, "POST", "/api/backups", `{"name": "x.zip"}`, 403, ""},
		{"user restores", user.Token, "POST", "/api/backups/good.zip/restore", "", 403, ""},
		{"user deletes", user.Token, "DELETE", "/api/backups/good.zip", "", 403, ""},
		{"bad name", token, "POST", "/api/backups", `{"name": "../x.zip"}`, 400, "name"},
		{"not .zip", token, "POST", "/api/backups", `{"name": "x.tar"}`, 400, "name"},
		{"upper case", token, "POST", "/api/backups", `{"name": "X.zip"}`, 400, "name"},
		{"taken", token, "POST", "/api/backups", `{"name": "good.zip"}`, 400, "already used"},
		{"bad body", token, "POST", "/api/backups", `{"name": 7}`, 400, ""},
		{"restore ../", token, "POST", "/api/backups/..%2Fsecret.zip/restore", "", 400, "Missing or invalid"},
		{"restore encoded dots", token, "POST", "/api/backups/%2e%2e%2fsecret.zip/restore", "", 400, "Missing or invalid"},
		{"restore missing", token, "POST", "/api/backups/nope.zip/restore", "", 400, "Missing or invalid"},
		{"delete ../", token, "DELETE", "/api/backups/..%2Fsecret.zip", "", 400, "Invalid"},
		{"delete missing", token, "DELETE", "/api/backups/nope.zip", "", 400, "Invalid or already deleted"},
		{"download without token", "", "GET", "/api/backups/good.zip", "", 403, "Insufficient"},
		{"download with an auth token", "", "GET", "/api/backups/good.zip?token=" + token, "", 403, "Insufficient"},
		{"file token for guests", "", "POST", "/api/files/token", "", 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustStatus(t, base, tc.token, tc.method, tc.path, tc.body, tc.status)
			if _, body, _ := request(base, tc.token, tc.method, tc.path, tc.body); !strings.Contains(body, tc.want) {
				t.Errorf("answer %s, want %q in it", body, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "secret.zip")); err != nil {
		t.Fatal("a file outside the backups folder went:", err)
	}

	// Download: only with a superuser's file token.
	var ft struct{ Token string }
	mustDecode(t, call(t, base, user.Token, "POST", "/api/files/token", ""), &ft)
	mustStatus(t, base, "", "GET", "/api/backups/good.zip?token="+ft.Token, "", 403)
	mustDecode(t, call(t, base, token, "POST", "/api/files/token", ""), &ft)
	if got := call(t, base, "", "GET", "/api/backups/good.zip?token="+ft.Token, ""); got != string(good) {
		t.Fatalf("downloaded %d bytes, want the backup's %d", len(got), len(good))
	}
	mustStatus(t, base, "", "GET", "/api/backups/..%2Fsecret.zip?token="+ft.Token, "", 404)
	mustStatus(t, base, "", "GET", "/api/backups/nope.zip?token="+ft.Token, "", 404)

	// Uploads: a backup goes in; anything else is a 400 naming why.
	if status, body := upload(t, base, token, "copy.zip", good); status != 204 {
		t.Fatalf("upload of a backup: %d %s", status, body)
	}
	for _, tc := range []struct {
		name, filename string
		content        []byte
		status         int
		want           string
	}{
		{"not a zip", "a.zip", []byte("PGDMP not really"), 400, "not a Lumbung backup"},
		{"a zip without a dump", "b.zip", zipped(t, "pb_data/data.db", []byte("SQLite format 3\x00")), 400, "not a Lumbung backup"},
		{"a zip holding garbage", "c.zip", zipped(t, "lumbung.dump", []byte("garbage")), 400, "cannot be restored"},
		{"a bad name", "D.zip", good, 400, "name"},
		{"a path (its folders are dropped: it lands in the folder as d.zip, and is deleted again)", "../d.zip", good, 204, ""},
		{"a taken name", "good.zip", good, 400, "already used"},
		{"over the body limit (streamed, then checked)", "e.zip", bytes.Repeat([]byte("x"), 2<<20), 400, "not a Lumbung backup"},
	} {
		t.Run("upload "+tc.name, func(t *testing.T) {
			status, body := upload(t, base, token, tc.filename, tc.content)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s, want %d with %q", status, body, tc.status, tc.want)
			}
		})
	}
	mustStatus(t, base, token, "DELETE", "/api/backups/d.zip", "", 204)
	if status, _ := upload(t, base, user.Token, "f.zip", good); status != 403 {
		t.Errorf("a user's upload: %d", status)
	}
	var list []struct{ Key string }
	mustDecode(t, call(t, base, token, "GET", "/api/backups", ""), &list)
	if len(list) != 2 {
		t.Errorf("backups after the uploads: %+v, want good.zip and copy.zip", list)
	}
	// A backup whose dump is not a backup, put there by hand, is refused
	// before the database is touched.
	os.WriteFile(filepath.Join(dir, "backups", "hand.zip"), zipped(t, "lumbung.dump", []byte("PGDMP\x01\x0e\x00")), 0o600)
	body := mustStatus(t, base, token, "POST", "/api/backups/hand.zip/restore", "", 400)
	if !strings.Contains(body, "cannot be restored") {
		t.Errorf("restore of a broken dump: %s", body)
	}

	// One at a time: while another session holds the lock, backups and
	// restores wait their turn with PocketBase's 400.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_lock(x'6c756d62756e67'::bigint)"); err != nil {
		t.Fatal(err)
	}
	if h := call(t, base, token, "GET", "/api/health", ""); !strings.Contains(h, `"canBackup":false`) {
		t.Errorf("health while another holds the lock: %s", h)
	}
	mustStatus(t, base, token, "POST", "/api/backups", `{"name": "busy.zip"}`, 400)
	mustStatus(t, base, token, "POST", "/api/backups/good.zip/restore", "", 400)
	if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock(x'6c756d62756e67'::bigint)"); err != nil {
		t.Fatal(err)
	}
	if h := call(t, base, token, "GET", "/api/health", ""); !strings.Contains(h, `"canBackup":true`) {
		t.Errorf("health: %s", h)
	}
	mustStatus(t, base, token, "POST", "/api/backups", "", 204) // a name from the time
	mustStatus(t, base, token, "DELETE", "/api/backups/copy.zip", "", 204)
	mustDecode(t, call(t, base, token, "GET", "/api/backups", ""), &list)
	if len(list) != 3 || !strings.HasPrefix(list[0].Key, "lb_backup_") {
		t.Errorf("backups: %+v", list)
	}
}

// TestBackupSchedule: the backups settings schedule PocketBase's
// automatic backup job on every node; each run makes an @auto_ backup and
// keeps cronMaxKeep of them (backups made by hand stay); a failed run
// mails the superusers; without a cron the job goes; a bad cron or keep
// is a 400.
func TestBackupSchedule(t *testing.T) {
	dsn := mustAdminDB(t)
	dir := t.TempDir()
	// Each reading of the clock is a second later: automatic backups are
	// named by the second.
	start := time.Now()
	var tick atomic.Int64
	clock := func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Second) }
	base := startNode(t, dsn, withDir(dir), func(c *server.Config) { c.Clock = clock })
	other := startNode(t, dsn, withDir(t.TempDir()))
	token := signIn(t, base)
	sink := mailtest.Start(t)

	for body, want := range map[string]string{
		`{"backups": {"cron": "not a cron"}}`:                  `"backups":{"cron":{"code":"validation_invalid_cron"`,
		`{"backups": {"cron": "0 3 * * *", "cronMaxKeep": 0}}`: `"backups":{"cronMaxKeep":{"code":"validation_min_greater_equal_than_required"`,
	} {
		if b := mustStatus(t, base, token, "PATCH", "/api/settings", body, 400); !strings.Contains(b, want) {
			t.Errorf("%s: %s", body, b)
		}
	}
	mustStatus(t, base, token, "POST", "/api/backups", `{"name": "by_hand.zip"}`, 204)
	call(t, base, token, "PATCH", "/api/settings", fmt.Sprintf(`{"backups": {"cron": "0 3 * * *", "cronMaxKeep": 2},
		"meta": {"appName": "Granary", "senderAddress": "lumbung@example.com"},
		"smtp": {"enabled": true, "host": %q, "port": %d, "tlsMode": "none"}}`, sink.Host(), sink.Port()))
	jobs := func(node string) string { return call(t, node, signIn(t, node), "GET", "/api/crons", "") }
	waitFor(t, func() bool {
		return strings.Contains(jobs(base), `"0 3 * * *"`) && strings.Contains(jobs(other), `"0 3 * * *"`)
	})

	autos := func() []string {
		var list []struct{ Key string }
		mustDecode(t, call(t, base, token, "GET", "/api/backups", ""), &list)
		var out []string
		for _, b := range list {
			if strings.HasPrefix(b.Key, "@auto_lb_backup_") {
				out = append(out, b.Key)
			}
		}
		return out
	}
	var seen []string
	for range 3 {
		mustStatus(t, base, token, "POST", "/api/crons/__pbAutoBackup__", "", 204)
		// The run is done once its backup is there and the older ones
		// past cronMaxKeep are gone (they go right after).
		waitFor(t, func() bool { a := autos(); return len(a) > 0 && !slices.Contains(seen, a[0]) && len(a) <= 2 })
		seen = append(seen, autos()[0])
	}
	if got := autos(); !slices.Equal(got, []string{seen[2], seen[1]}) {
		t.Errorf("automatic backups %v, want the last two of %v", got, seen)
	}
	var token2 struct{ Token string }
	mustDecode(t, call(t, base, token, "POST", "/api/files/token", ""), &token2)
	mustStatus(t, base, "", "GET", "/api/backups/"+seen[2]+"?token="+token2.Token, "", 200)
	mustStatus(t, base, token, "GET", "/api/backups/by_hand.zip?token="+token2.Token, "", 200)

	// A failed run mails the superusers.
	if err := os.Rename(filepath.Join(dir, "backups"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "backups"), nil, 0o600); err != nil { // no folder can be made there
		t.Fatal(err)
	}
	mustStatus(t, base, token, "POST", "/api/crons/__pbAutoBackup__", "", 204)
	m := sink.Next(t)
	if m.Subject != "Automatic backup failed" || !slices.Contains(m.To, "admin@example.com") || !strings.Contains(m.Text, "Granary") {
		t.Errorf("alert: %q to %v: %s", m.Subject, m.To, m.Text)
	}

	// Without a cron, the job goes from every node.
	call(t, base, token, "PATCH", "/api/settings", `{"backups": {"cron": ""}}`)
	waitFor(t, func() bool {
		return !strings.Contains(jobs(base), "__pbAutoBackup__") && !strings.Contains(jobs(other), "__pbAutoBackup__")
	})
}

// waitFor polls cond until it holds. The deadline only guards against a
// hang; how fast it happens is not asserted.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the condition never held")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBackupWithPoolSettings: pgx's pool settings in DATABASE_URL, which
// pg_dump and psql refuse, do not reach them.
func TestBackupWithPoolSettings(t *testing.T) {
	dsn := pgtest.NewDB(t)
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + "pool_max_conns=4&pool_max_conn_idle_time=1m"
	if _, err := server.UpsertSuperuser(context.Background(), server.Config{DatabaseURL: dsn, PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "admin@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	base := startNode(t, dsn, withDir(t.TempDir()))
	token := signIn(t, base)
	mustStatus(t, base, token, "POST", "/api/backups", `{"name": "pooled.zip"}`, 204)
	mustStatus(t, base, token, "POST", "/api/backups/pooled.zip/restore", "", 204)
}
