package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/s3"
	"github.com/lumbunghq/lumbung/server/storage/s3/s3test"
)

// uploadRecord creates a record of collection with files (field → name →
// content) and returns the record as JSON.
func uploadRecord(t *testing.T, base, token, collection string, files map[string]map[string]string) map[string]any {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for field, named := range files {
		for name, content := range named {
			fw, _ := w.CreateFormFile(field, name)
			io.WriteString(fw, content)
		}
	}
	w.Close()
	req, _ := http.NewRequest("POST", base+"/api/collections/"+collection+"/records", &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("upload: %d %s", res.StatusCode, body)
	}
	var rec map[string]any
	json.Unmarshal(body, &rec)
	return rec
}

// fileOf fetches a record's file; "" for a 404.
func fileOf(t *testing.T, base, collection, id, name string) string {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("%s/api/files/%s/%s/%s", base, collection, id, name))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == 404 {
		return ""
	}
	if res.StatusCode != 200 {
		t.Fatalf("file %s: %d", name, res.StatusCode)
	}
	return string(b)
}

// TestBackupRestoresFiles backs up records with files, deletes and
// replaces them, and restores: every record holds its files again, with
// their bytes and types.
func TestBackupRestoresFiles(t *testing.T) {
	dsn := mustAdminDB(t)
	dir := t.TempDir()
	a := startNode(t, dsn, withDir(dir))
	token := signIn(t, a)
	call(t, a, token, "POST", "/api/collections", `{"name": "docs", "fields": [
		{"name": "cover", "type": "file", "maxSelect": 1}, {"name": "pages", "type": "file", "maxSelect": 5}]}`)
	type file struct{ id, name, content string }
	var files []file
	for i := range 3 {
		rec := uploadRecord(t, a, token, "docs", map[string]map[string]string{
			"cover": {"cover.txt": fmt.Sprintf("cover %d", i)},
			"pages": {"one.txt": fmt.Sprintf("page one of %d", i), "two.txt": fmt.Sprintf("page two of %d", i)},
		})
		id := rec["id"].(string)
		files = append(files, file{id, rec["cover"].(string), fmt.Sprintf("cover %d", i)})
		for _, p := range rec["pages"].([]any) {
			name := p.(string)
			want := fmt.Sprintf("page one of %d", i)
			if strings.HasPrefix(name, "two_") {
				want = fmt.Sprintf("page two of %d", i)
			}
			files = append(files, file{id, name, want})
		}
	}
	mustStatus(t, a, token, "POST", "/api/backups", `{"name": "with_files.zip"}`, 204)
	zr, err := zip.OpenReader(filepath.Join(dir, "backups", "with_files.zip"))
	if err != nil {
		t.Fatal(err)
	}
	stored := 0
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "storage/") {
			stored++
			if f.Comment == "" {
				t.Errorf("%s: no content type", f.Name)
			}
		}
	}
	zr.Close()
	if stored != len(files) {
		t.Fatalf("%d files in the backup, want %d", stored, len(files))
	}

	// Destroy: delete a record, clear another's pages.
	mustStatus(t, a, token, "DELETE", "/api/collections/docs/records/"+files[0].id, "", 204)
	mustStatus(t, a, token, "PATCH", "/api/collections/docs/records/"+files[6].id, `{"pages": []}`, 200)
	deadline := time.Now().Add(30 * time.Second)
	for fileOf(t, a, "docs", files[0].id, files[0].name) != "" || fileOf(t, a, "docs", files[7].id, files[7].name) != "" {
		if time.Now().After(deadline) {
			t.Fatal("the files of the deleted record stayed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// ...and wait until the storage itself lost them (the change log's
	// consumer), so that the restore has something to bring back.
	for {
		gone := true
		for _, f := range []file{files[0], files[7]} {
			if m, _ := filepath.Glob(filepath.Join(dir, "storage", "*", f.id, f.name)); len(m) > 0 {
				gone = false
			}
		}
		if gone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the storage kept the files")
		}
		time.Sleep(50 * time.Millisecond)
	}

	mustStatus(t, a, token, "POST", "/api/backups/with_files.zip/restore", "", 204)
	for _, f := range files {
		if got := fileOf(t, a, "docs", f.id, f.name); got != f.content {
			t.Errorf("after the restore %s/%s: %q, want %q", f.id, f.name, got, f.content)
		}
	}
	res, err := http.Get(fmt.Sprintf("%s/api/files/docs/%s/%s", a, files[1].id, files[1].name))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type after the restore: %q", ct)
	}
}

// TestBackupRefusesFilesOutsideStorage: a backup whose file entry names a
// path out of the storage is refused before the database changes.
func TestBackupRefusesFilesOutsideStorage(t *testing.T) {
	dsn := mustAdminDB(t)
	dir := t.TempDir()
	a := startNode(t, dsn, withDir(dir))
	token := signIn(t, a)
	mustStatus(t, a, token, "POST", "/api/backups", `{"name": "good.zip"}`, 204)
	good, err := zip.OpenReader(filepath.Join(dir, "backups", "good.zip"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range good.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	good.Close()
	w, _ := zw.Create("storage/../../escaped.txt")
	io.WriteString(w, "out")
	zw.Close()
	call(t, a, token, "POST", "/api/collections", `{"name": "after", "fields": []}`)
	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	fw, _ := mw.CreateFormFile("file", "evil.zip")
	fw.Write(b.Bytes())
	mw.Close()
	req, _ := http.NewRequest("POST", a+"/api/backups/upload", &mb)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	body := mustStatus(t, a, token, "POST", "/api/backups/evil.zip/restore", "", 400)
	if !strings.Contains(body, "not valid") {
		t.Errorf("refusal: %s", body)
	}
	call(t, a, token, "GET", "/api/collections/after", "") // the database did not change
	if m, _ := filepath.Glob(filepath.Join(dir, "*", "escaped.txt")); len(m) > 0 {
		t.Fatalf("written outside the storage: %v", m)
	}
}

// TestBackupsInS3: with the backups' S3 settings on, backups are kept in
// the bucket, so every node of a cluster lists, downloads and restores
// the same ones, whatever their data directories; the secret is never
// shown, and the settings test reaches the bucket.
func TestBackupsInS3(t *testing.T) {
	dsn := mustAdminDB(t)
	s3srv := s3test.MustServer(t)
	s3srv.MustBucket(t, "backups", true)
	dirA, dirB := t.TempDir(), t.TempDir()
	a := startNode(t, dsn, withDir(dirA))
	b := startNode(t, dsn, withDir(dirB))
	token := signIn(t, a)
	const secret = "backup-s3-secret"
	got := call(t, a, token, "PATCH", "/api/settings", fmt.Sprintf(`{"backups": {"s3": {"enabled": true, "bucket": "backups", "region": "us-east-1",
		"endpoint": %q, "accessKey": "access", "secret": %q, "forcePathStyle": true}}}`, s3srv.URL, secret))
	if strings.Contains(got, secret) || !strings.Contains(got, `"backups":{"cron":"","cronMaxKeep":3,"s3":{"enabled":true`) || !strings.Contains(got, `"secretSet":true`) {
		t.Fatalf("settings: %s", got)
	}
	mustStatus(t, a, token, "POST", "/api/settings/test/s3", `{"filesystem": "backups"}`, 204)

	call(t, a, token, "POST", "/api/collections", `{"name": "notes", "fields": [{"name": "text", "type": "text"}, {"name": "doc", "type": "file", "maxSelect": 1}]}`)
	rec := uploadRecord(t, a, token, "notes", map[string]map[string]string{"doc": {"doc.txt": "kept in a backup"}})
	mustStatus(t, a, token, "POST", "/api/backups", `{"name": "shared.zip"}`, 204)
	bucket, err := s3.New(s3srv.Config("backups", true))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := storage.Exists(context.Background(), bucket, "shared.zip"); err != nil || !ok {
		t.Fatalf("the backup is not in the bucket: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dirA, "backups", "*.zip")); len(m) != 0 {
		t.Fatalf("the backup is in the data directory too: %v", m)
	}
	tokenB := signIn(t, b)
	waitFor(t, func() bool { // node b lists the backup
		return strings.Contains(mustStatus(t, b, tokenB, "GET", "/api/backups", "", 200), `"key":"shared.zip"`)
	})
	var ft struct{ Token string }
	mustDecode(t, call(t, b, tokenB, "POST", "/api/files/token", ""), &ft)
	res, err := http.Get(b + "/api/backups/shared.zip?token=" + ft.Token)
	if err != nil {
		t.Fatal(err)
	}
	zipped, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if _, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped))); res.StatusCode != 200 || err != nil {
		t.Fatalf("download from node b: %d %v", res.StatusCode, err)
	}

	// Files here are kept in each node's folder (a cluster keeps them in
	// a bucket too): the node that restores puts them back into its own.
	mustStatus(t, a, token, "DELETE", "/api/collections/notes/records/"+rec["id"].(string), "", 204)
	mustStatus(t, a, token, "POST", "/api/backups/shared.zip/restore", "", 204)
	waitFor(t, func() bool { // the record and its file are back
		return fileOf(t, a, "notes", rec["id"].(string), rec["doc"].(string)) == "kept in a backup"
	})
	waitFor(t, func() bool { // node b sees the restored record
		status, _, _ := request(b, tokenB, "GET", "/api/collections/notes/records/"+rec["id"].(string), "")
		return status == 200
	})
	mustStatus(t, a, token, "DELETE", "/api/backups/shared.zip", "", 204)
	if ok, _ := storage.Exists(context.Background(), bucket, "shared.zip"); ok {
		t.Fatal("a deleted backup stayed in the bucket")
	}
}
