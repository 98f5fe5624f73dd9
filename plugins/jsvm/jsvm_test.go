package jsvm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/plugins/jsvm"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, postgres.MigrateURL) }

// logBuffer collects a server's logs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is a server running the hooks of testdata/hooks (copied to a data
// folder of its own), with "posts" anyone may create in and "logs" only
// the system writes, and a user ann.
type env struct {
	srv   *server.Server
	dir   string // the hooks folder
	logs  *logBuffer
	token string // ann's
}

func mustEnv(t *testing.T, cfg jsvm.Config) *env {
	t.Helper()
	data := t.TempDir()
	hooks := filepath.Join(data, "hooks")
	if err := os.CopyFS(hooks, os.DirFS("testdata/hooks")); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	srv, err := server.New(context.Background(), server.Config{
		DatabaseURL: pgtest.NewDB(t), Dir: data, PasswordCost: 4, MaxConns: 8,
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		Plugins: []plugins.Plugin{&jsvm.Plugin{Config: cfg}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	e := &env{srv: srv, dir: hooks, logs: logs}
	for _, c := range []string{
		`{"name": "posts", "createRule": "", "viewRule": "", "listRule": "", "fields": [{"name": "title", "type": "text"}, {"name": "slug", "type": "text"}, {"name": "secret", "type": "text"}]}`,
		`{"name": "logs", "fields": [{"name": "message", "type": "text"}, {"name": "created", "type": "autodate", "onCreate": true}, {"name": "at", "type": "date"}]}`,
	} {
		var col *collections.Collection
		if err := json.Unmarshal([]byte(c), &col); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Collections().CreateCollection(context.Background(), col, collections.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	svc := srv.Collections()
	users, _ := svc.Collection("users")
	if _, err := svc.SystemRecords().Create(context.Background(), users, map[string]any{"email": "ann@example.com", "password": "12345678"}); err != nil {
		t.Fatal(err)
	}
	_, body := e.call(t, "POST", "/api/collections/users/auth-with-password", "", `{"identity":"ann@example.com","password":"12345678"}`)
	var auth struct{ Token string }
	if err := json.Unmarshal([]byte(body), &auth); err != nil || auth.Token == "" {
		t.Fatalf("sign-in: %s", body)
	}
	e.token = auth.Token
	return e
}

func (e *env) call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	return e.callWith(t, method, url, token, body, nil)
}

// callWith is call with more request headers.
func (e *env) callWith(t *testing.T, method, url, token, body string, headers map[string]string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// logMessages returns the messages of the logs collection.
func (e *env) logMessages(t *testing.T) []string {
	t.Helper()
	svc := e.srv.Collections()
	logs, _ := svc.Collection("logs")
	page, err := svc.SystemRecords().List(context.Background(), logs, collections.Query{Sort: "created"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range page.Items {
		out = append(out, r.Data["message"].(string))
	}
	return out
}

// waitFor polls cond until it holds, failing after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRecordHooks(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	for _, c := range []struct {
		name, body string
		status     int
		want       []string
		not        []string
	}{
		{"a throw of BadRequestError vetoes the create with its message", `{"title":"buy spam now"}`, 400,
			[]string{`"status":400`, `"message":"No spam, please."`}, nil},
		{"a hook changes the record before it is stored", `{"title":"Hello World"}`, 200,
			[]string{`"title":"Hello World"`, `"slug":"hello-world"`}, nil},
		{"another throw is a 400 with a generic message and no stack", `{"title":"crash"}`, 400,
			[]string{`"message":"Something went wrong while processing your request."`}, []string{"TypeError", "main.pb.js", "at "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.call(t, "POST", "/api/collections/posts/records", "", c.body)
			if status != c.status {
				t.Fatalf("%d %s, want %d", status, body, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %s", body, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(body, n) {
					t.Errorf("%s has %s", body, n)
				}
			}
		})
	}
	// The script's error is logged with its place.
	if logs := e.logs.String(); !strings.Contains(logs, "main.pb.js:17") || !strings.Contains(logs, "TypeError") {
		t.Errorf("the crash is not logged with file and line:\n%s", logs)
	}
	// The after-create hook wrote a log entry with $app.save, once, for
	// the one post stored.
	svc := e.srv.Collections()
	posts, _ := svc.Collection("posts")
	page, err := svc.SystemRecords().List(context.Background(), posts, collections.Query{})
	if err != nil || page.TotalItems != 1 {
		t.Fatalf("posts: %+v %v", page, err)
	}
	want := "created " + page.Items[0].ID() + " hello-world"
	if got := e.logMessages(t); len(got) != 1 || got[0] != want {
		t.Errorf("logs %q, want [%q]", got, want)
	}
	logs, _ := svc.Collection("logs")
	entries, err := svc.SystemRecords().List(context.Background(), logs, collections.Query{})
	if err != nil || len(entries.Items) != 1 {
		t.Fatal(entries, err)
	}
	if at, _ := entries.Items[0].Data["at"].(time.Time); !at.Equal(time.Date(2026, 1, 31, 12, 30, 0, 0, time.UTC)) {
		t.Errorf("a Date set on a date field: %v", entries.Items[0].Data["at"])
	}
}

func TestRoutes(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	for _, c := range []struct {
		name, method, url, token, body string
		status                         int
		want                           string
	}{
		{"$apis.requireAuth refuses a guest", "GET", "/api/hello/bob", "", "", 401, `"message":"The request requires valid record authorization token."`},
		{"a signed-in user is answered with the path value", "GET", "/api/hello/bob", e.token, "", 200, `{"message":"Hello bob","user":"ann@example.com"}`},
		{"a throw in runInTransaction rolls its writes back", "POST", "/api/tx", "", `{"message":"kept?"}`, 200, `{"count":0,"reason":"roll back"}`},
		{"require() reads modules of the hooks folder only", "GET", "/api/modules", "", "", 200, `"greeting":"Hi ann","same":true,"refused":"GoError: require(\"../../etc/passwd\"): the module is outside the hooks folder"`},
		{"a binding's error not caught is a 400 with a generic message", "GET", "/api/missing", "", "", 400, `{"status":400,"message":"Something went wrong while processing your request.","data":{}}`},
		{"e.bindBody fills a DynamicModel's keys", "POST", "/api/echo", "", `{"name":"x","count":3,"secret":"no"}`, 201, `{"name":"x","count":3,"secret":true}`},
		{"a route of a method not added is not found", "DELETE", "/api/hello/bob", e.token, "", 404, ``},
		{"a route outside the scripts is not found", "GET", "/api/nothing", "", "", 404, ``},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.call(t, c.method, c.url, c.token, c.body)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("%d %s, want %d %s", status, body, c.status, c.want)
			}
		})
	}
	if got := e.logMessages(t); len(got) != 0 {
		t.Errorf("the rolled back transaction left %q", got)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `require(\"./lib/nope\"): no such module in the hooks folder`) {
		t.Errorf("the missing module is not logged:\n%s", logs)
	}
}

func TestHTTPSend(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"pong":true}`)
	}))
	defer target.Close()
	url := "/api/fetch?url=" + target.URL + "/ping"

	t.Run("loopback is refused by default", func(t *testing.T) {
		e := mustEnv(t, jsvm.Config{})
		status, body := e.call(t, "GET", url, "", "")
		if status != 200 || !strings.Contains(body, "127.0.0.1 is a loopback address, which the JS hooks may not reach") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("a name is checked by the address it resolves to", func(t *testing.T) {
		e := mustEnv(t, jsvm.Config{})
		local := strings.Replace(url, "127.0.0.1", "localhost", 1)
		status, body := e.call(t, "GET", local, "", "")
		if status != 200 || !strings.Contains(body, "is a loopback address, which the JS hooks may not reach") {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("httpAllow lets it through", func(t *testing.T) {
		e := mustEnv(t, jsvm.Config{HTTPAllow: []string{"127.0.0.0/8"}})
		status, body := e.call(t, "GET", url, "", "")
		if status != 200 || body != `{"status":200,"body":{"pong":true}}` {
			t.Fatalf("%d %s", status, body)
		}
	})
}

// A handler in an endless loop is interrupted at the time limit and its
// request fails with a clear error, while the server answers other
// requests meanwhile (on the other VMs of the pool).
func TestEndlessLoop(t *testing.T) {
	e := mustEnv(t, jsvm.Config{Timeout: plugins.Duration(2 * time.Second)})
	type answer struct {
		status int
		body   string
	}
	spun := make(chan answer, 1)
	go func() {
		req := httptest.NewRequest("GET", "/api/spin", nil)
		res, err := e.srv.App().Test(req, -1)
		if err != nil {
			spun <- answer{0, err.Error()}
			return
		}
		b, _ := io.ReadAll(res.Body)
		spun <- answer{res.StatusCode, string(b)}
	}()
	waitFor(t, "the loop to start", func() bool { return strings.Contains(e.logs.String(), "spinning") })
	if logs := e.logs.String(); !strings.Contains(logs, `msg=spinning plugin=jsvm at=main.pb.js:`) {
		t.Errorf("console.log is not logged with its place:\n%s", logs)
	}
	if status, body := e.call(t, "GET", "/api/hello/bob", e.token, ""); status != 200 {
		t.Errorf("during the loop: %d %s", status, body)
	}
	if status, body := e.call(t, "GET", "/api/collections/posts/records", "", ""); status != 200 {
		t.Errorf("during the loop: %d %s", status, body)
	}
	got := <-spun
	if got.status != 400 || !strings.Contains(got.body, `"message":"The hook script ran longer than 2s and was stopped."`) {
		t.Fatalf("the loop's request: %d %s", got.status, got.body)
	}
	// A hook in a loop fails its write, and nothing is stored.
	status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"title":"loop"}`)
	if status != 400 || !strings.Contains(body, "ran longer than 2s") {
		t.Fatalf("%d %s", status, body)
	}
	// The VMs that were interrupted serve again.
	for range 6 {
		if status, body := e.call(t, "GET", "/api/hello/bob", e.token, ""); status != 200 {
			t.Fatalf("after the loop: %d %s", status, body)
		}
	}
	if logs := e.logs.String(); !strings.Contains(logs, "main.pb.js:") || !strings.Contains(logs, "interrupted") {
		t.Errorf("the interrupt is not logged with its place:\n%s", logs)
	}
}

func TestHotReload(t *testing.T) {
	e := mustEnv(t, jsvm.Config{Watch: plugins.Duration(20 * time.Millisecond)})
	if _, body := e.call(t, "GET", "/api/version", "", ""); body != "v1" {
		t.Fatalf("before: %s", body)
	}
	file := filepath.Join(e.dir, "main.pb.js")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(src), `e.string(200, "v1")`, `e.string(200, "v2")`, 1)
	edited = strings.Replace(edited, `cronAdd("jsjob", "0 3 * * *"`, `cronAdd("jsjob", "30 4 * * *"`, 1)
	edited = strings.Replace(edited, `throw new BadRequestError("No spam, please.")`, `throw new ForbiddenError("Spam is forbidden.")`, 1)
	// A file that does not load leaves the hooks as they were.
	if err := os.WriteFile(filepath.Join(e.dir, "broken.pb.js"), []byte("routerAdd(\"GET\", "), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the broken file to be refused", func() bool { return strings.Contains(e.logs.String(), "JS hooks not reloaded") })
	if _, body := e.call(t, "GET", "/api/version", "", ""); body != "v1" {
		t.Fatalf("after a broken file: %s", body)
	}
	os.Remove(filepath.Join(e.dir, "broken.pb.js"))
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the edit to be served", func() bool {
		_, body := e.call(t, "GET", "/api/version", "", "")
		return body == "v2"
	})
	status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"title":"spam"}`)
	if status != 403 || !strings.Contains(body, `"message":"Spam is forbidden."`) {
		t.Fatalf("the edited hook: %d %s", status, body)
	}
	status, body = e.call(t, "GET", "/api/crons", e.mustSuperuser(t), "")
	if status != 200 || !strings.Contains(body, `{"id":"jsjob","expression":"30 4 * * *"`) {
		t.Fatalf("the edited job: %d %s", status, body)
	}
}

// onBootstrap runs when the scripts load, with $app; onRecordValidate
// refuses a create and an update, and onRecordAfterCreateError sees the
// refused create.
func TestBootstrapAndValidate(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	if logs := e.logs.String(); strings.Count(logs, "bootstrapped: users found") != 1 {
		t.Errorf("onBootstrap ran %d times, want once:\n%s", strings.Count(logs, "bootstrapped: users found"), logs)
	}
	root := e.mustSuperuser(t)
	status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"title": "fine"}`)
	var rec struct{ ID string }
	if status != 200 || json.Unmarshal([]byte(body), &rec) != nil {
		t.Fatalf("create: %d %s", status, body)
	}
	for _, c := range []struct{ method, url, want string }{
		{"POST", "/api/collections/posts/records", `"message":"An invalid new post.","data":{"title":{"code":"validation_invalid_title","message":"Pick another title."}}`},
		{"PATCH", "/api/collections/posts/records/" + rec.ID, `"message":"An invalid change of fine."`},
	} {
		if status, body := e.call(t, c.method, c.url, root, `{"title": "invalid"}`); status != 400 || !strings.Contains(body, c.want) {
			t.Errorf("%s %s: %d %s, want 400 %s", c.method, c.url, status, body, c.want)
		}
	}
	// The refused create reached onRecordAfterCreateError.
	if logs, want := e.logs.String(), `create failed: invalid: An invalid new post. {\"title\":{\"code\":\"validation_invalid_title\"`; !strings.Contains(logs, want) {
		t.Errorf("onRecordAfterCreateError: want %s in\n%s", want, logs)
	}
}

// onCollectionCreate refuses a collection; the after-hook sees those
// created.
func TestCollectionHooks(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	root := e.mustSuperuser(t)
	status, body := e.call(t, "POST", "/api/collections", root, `{"name": "forbidden", "fields": [{"name": "title", "type": "text"}]}`)
	if status != 400 || !strings.Contains(body, `"message":"No collection may be called forbidden."`) {
		t.Fatalf("a refused collection: %d %s", status, body)
	}
	if status, body := e.call(t, "GET", "/api/collections/forbidden", root, ""); status != 404 {
		t.Errorf("the refused collection exists: %d %s", status, body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "collection created: posts") || strings.Contains(logs, "collection created: forbidden") {
		t.Errorf("the after-hook's log:\n%s", logs)
	}
}

// $app.db() runs the app's own SQL as the system: rows into models,
// values bound as parameters (a quote in one is data); a failing
// statement is logged and answered without its text.
func TestSQL(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	root := e.mustSuperuser(t)
	for _, title := range []string{"a", "b", "c"} {
		if status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"title": "`+title+`"}`); status != 200 {
			t.Fatalf("create %s: %d %s", title, status, body)
		}
	}
	for _, c := range []struct{ url, token, want string }{
		{"/api/report?skip=c", root, `{"total":2,"latest":"b","rows":[{"title":"a","n":1},{"title":"b","n":1}]}`},
		{"/api/report?skip=" + url.QueryEscape("x' OR title = 'a"), root, `"total":3`},
		{"/api/report?skip=c", e.token, `"status":403`},
	} {
		if _, body := e.call(t, "GET", c.url, c.token, ""); !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %s, want %s", c.url, body, c.want)
		}
	}
	if _, body := e.call(t, "GET", "/api/collections/posts/records?filter="+url.QueryEscape(`title = "b"`), "", ""); !strings.Contains(body, `"slug":"raw"`) {
		t.Errorf("the statement's write: %s", body)
	}
	// In a transaction, a statement is undone with it.
	if status, body := e.call(t, "POST", "/api/report/undo", "", ""); status != 400 || !strings.Contains(body, "Undone.") {
		t.Errorf("undo: %d %s", status, body)
	}
	if _, body := e.call(t, "GET", "/api/collections/posts/records", "", ""); strings.Contains(body, "undone") || !strings.Contains(body, `"slug":"raw"`) {
		t.Errorf("the statement of a failed transaction was kept: %s", body)
	}

	// The app's own code is broken, not the request: a 500, generic.
	status, body := e.call(t, "GET", "/api/report/bad", "", "")
	if status != 500 || strings.Contains(body, "SELEC") || strings.Contains(body, "syntax") {
		t.Errorf("a failing statement: %d %s", status, body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "syntax error") {
		t.Errorf("the failing statement is not logged:\n%s", logs)
	}
}

// $app finds records by a field's value, counts, lists all, expands
// relations of records and reads the settings.
func TestAppFinds(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	root := e.mustSuperuser(t)
	if status, body := e.call(t, "POST", "/api/collections", root, `{"name": "comments", "fields": [{"name": "text", "type": "text"},
		{"name": "post", "type": "relation", "collectionId": "posts", "maxSelect": 1}]}`); status != 200 {
		t.Fatalf("comments: %d %s", status, body)
	}
	ids := map[string]string{}
	for _, title := range []string{"first", "second", "third"} {
		status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"title": "`+title+`"}`)
		var rec struct{ ID string }
		if status != 200 || json.Unmarshal([]byte(body), &rec) != nil {
			t.Fatalf("create %s: %d %s", title, status, body)
		}
		ids[title] = rec.ID
	}
	for _, text := range []string{"a", "b"} {
		if status, body := e.call(t, "POST", "/api/collections/comments/records", root, `{"text": "`+text+`", "post": "`+ids["second"]+`"}`); status != 200 {
			t.Fatalf("comment: %d %s", status, body)
		}
	}
	if status, body := e.call(t, "PATCH", "/api/settings", root, `{"meta": {"appName": "Acme"}}`); status != 200 {
		t.Fatalf("settings: %d %s", status, body)
	}
	status, body := e.call(t, "GET", "/api/app/second", "", "")
	if want := `{"count":3,"all":3,"expanded":["second","second"],"one":true,"appName":"Acme"}`; status != 200 || body != want {
		t.Errorf("%d %s, want %s", status, body, want)
	}
	if status, body := e.call(t, "GET", "/api/app/nothere", "", ""); status != 404 {
		t.Errorf("findFirstRecordByData of no record: %d %s", status, body)
	}
}

// $security.encrypt and decrypt are PocketBase's: a text PocketBase
// 0.39.11 encrypted (tools/security.Encrypt) decrypts; a wrong key is a
// 400.
func TestEncrypt(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	const byPocketBase = "e/UNayNzC2+Bzy+B03xYcnW+14p4GKAYqmTlAZrvhls7QMW6gfguSFaX/wZ+hg=="
	status, body := e.call(t, "POST", "/api/secret", "", `{"sealed": "`+byPocketBase+`"}`)
	if want := `{"back":"hello","fresh":true,"pocketbase":"made by PocketBase"}`; status != 200 || body != want {
		t.Errorf("%d %s, want %s", status, body, want)
	}
	if status, body := e.call(t, "POST", "/api/secret", "", `{"sealed": "bm90IHNlYWxlZCBhdCBhbGwsIG5vdCBhdCBhbGw="}`); status != 400 || !strings.Contains(body, "not encrypted with this key") {
		t.Errorf("a text not sealed with the key: %d %s", status, body)
	}
}

// $template renders files of the hooks folder with html/template:
// values escaped, raw() for trusted HTML; nothing outside the folder.
func TestTemplate(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	if err := os.WriteFile(filepath.Join(filepath.Dir(filepath.Dir(e.dir)), "secret.html"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, body := e.call(t, "GET", "/api/page/"+url.PathEscape("<b>Ann</b>"), "", "")
	if want := "<html><body><p>Hello &lt;b&gt;Ann&lt;/b&gt;</p><i>trusted</i></body></html>\n[7]"; status != 200 || body != want {
		t.Errorf("%d %q, want %q", status, body, want)
	}
	if status, body := e.call(t, "GET", "/api/page-outside", "", ""); status != 400 || strings.Contains(body, "secret") {
		t.Errorf("a template outside the hooks folder: %d %s", status, body)
	}
}

// $filesystem's files set in a file field are stored by $app.save and
// served; fileFromURL passes the egress guard.
func TestFilesystem(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	root := e.mustSuperuser(t)
	if status, body := e.call(t, "POST", "/api/collections", root, `{"name": "docs", "listRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"},
		{"name": "attachment", "type": "file", "maxSelect": 2}]}`); status != 200 {
		t.Fatalf("docs: %d %s", status, body)
	}
	status, body := e.call(t, "POST", "/api/docs", "", "")
	var doc struct {
		ID    string
		Files []string
	}
	if status != 200 || json.Unmarshal([]byte(body), &doc) != nil || len(doc.Files) != 2 ||
		!strings.HasPrefix(doc.Files[0], "hello_") || !strings.HasSuffix(doc.Files[0], ".txt") || !strings.HasPrefix(doc.Files[1], "layout_") {
		t.Fatalf("%d %s", status, body)
	}
	if status, body := e.call(t, "GET", "/api/files/docs/"+doc.ID+"/"+doc.Files[0], "", ""); status != 200 || body != "hello, file" {
		t.Errorf("the stored file: %d %q", status, body)
	}
	if status, body := e.call(t, "GET", "/api/files/docs/"+doc.ID+"/"+doc.Files[1], "", ""); status != 200 || !strings.Contains(body, "<html>") {
		t.Errorf("the file from the hooks folder: %d %q", status, body)
	}
	if status, body := e.call(t, "POST", "/api/collections/docs/records", root, `{"title": "sneaky"}`); status != 400 || !strings.Contains(body, "onRecordCreate cannot add files") {
		t.Errorf("a file added by a model hook: %d %s", status, body)
	}
	if status, body := e.call(t, "POST", "/api/docs/url", "", `{"url": "http://127.0.0.1:9/x.png"}`); status != 400 || !strings.Contains(body, "Something went wrong") {
		t.Errorf("fileFromURL of a loopback address: %d %s", status, body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "fileFromURL") || !strings.Contains(logs, "is a loopback address") {
		t.Errorf("the refusal is not logged:\n%s", logs)
	}
}

// The auth flows' request hooks (and the other requests' with PocketBase
// hooks) refuse a request before Lumbung looks anything up, or answer it
// themselves.
func TestAuthFlowHooks(t *testing.T) {
	e := mustEnv(t, jsvm.Config{}) // its user signed in with a password through the hook
	for _, c := range []struct {
		url, body string
		status    int
		want      string
	}{
		{"/api/collections/users/auth-with-password", `{"identity": "locked@example.com", "password": "whatever"}`, 403, `"message":"This account is locked."`},
		{"/api/collections/users/auth-with-password", `{"identity": "ann@example.com", "password": "12345678"}`, 200, `"token":"`},
		{"/api/collections/users/request-password-reset", `{"email": "quiet@example.com"}`, 200, `{"handled":"by a hook"}`},
		{"/api/collections/users/request-password-reset", `{"email": "ann@example.com"}`, 204, ``},
	} {
		if status, body := e.call(t, "POST", c.url, "", c.body); status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("POST %s %s: %d %s, want %d %s", c.url, c.body, status, body, c.status, c.want)
		}
	}
	// Another request with a PocketBase hook: the settings' update.
	root := e.mustSuperuser(t)
	if status, body := e.call(t, "PATCH", "/api/settings", root, `{"meta": {"appName": "Nope"}}`); status != 400 || !strings.Contains(body, "Not that name.") {
		t.Errorf("onSettingsUpdateRequest: %d %s", status, body)
	}
	if status, body := e.call(t, "PATCH", "/api/settings", root, `{"meta": {"appName": "Fine"}}`); status != 200 {
		t.Errorf("a settings update the hook lets through: %d %s", status, body)
	}
}

// A hook PocketBase has and Lumbung not loads with a warning.
func TestUnsupportedHook(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	if logs := e.logs.String(); strings.Count(logs, "JS hook not supported by Lumbung") != 1 || !strings.Contains(logs, "hook=onServe at=main.pb.js:") {
		t.Errorf("one warning naming the hook and its place:\n%s", logs)
	}
}

// mustSuperuser returns a superuser's token.
func (e *env) mustSuperuser(t *testing.T) string {
	t.Helper()
	svc := e.srv.Collections()
	su, _ := svc.Collection("_superusers")
	if _, err := svc.SystemRecords().Create(context.Background(), su, map[string]any{"email": "root@example.com", "password": "long enough password"}); err != nil {
		t.Fatal(err)
	}
	_, body := e.call(t, "POST", "/api/collections/_superusers/auth-with-password", "", `{"identity":"root@example.com","password":"long enough password"}`)
	var auth struct{ Token string }
	if err := json.Unmarshal([]byte(body), &auth); err != nil || auth.Token == "" {
		t.Fatalf("superuser sign-in: %s", body)
	}
	return auth.Token
}

// Updates and deletes through the API and through $app pass the hooks.
func TestUpdateAndDelete(t *testing.T) {
	// One VM: a route's $app.save runs the update hooks on another, made
	// for the call.
	e := mustEnv(t, jsvm.Config{PoolSize: 1})
	root := e.mustSuperuser(t)
	create := func(title string) string {
		t.Helper()
		status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"title":"`+title+`","secret":"s3"}`)
		if status != 200 || strings.Contains(body, `"secret"`) {
			t.Fatalf("create %s: %d %s (the enrich hook hides secret)", title, status, body)
		}
		var rec struct{ ID string }
		json.Unmarshal([]byte(body), &rec)
		return rec.ID
	}
	first, kept := create("First Post"), create("keep")
	for _, c := range []struct {
		name, method, url, token, body string
		status                         int
		want                           string
	}{
		{"an update through the API passes onRecordUpdate", "PATCH", "/api/collections/posts/records/" + first, root, `{"title":"Second Title"}`, 200, `"slug":"second-title"`},
		{"requireSuperuserAuth refuses a user", "POST", "/api/posts/" + first + "/rename", e.token, `{"title":"x"}`, 403, `"message":"The authorized record is not allowed to perform this action."`},
		{"$app.save updates through the hooks", "POST", "/api/posts/" + first + "/rename", root, `{"title":"Third Title"}`, 200,
			`"title":"Third Title","slug":"third-title"`},
		{"a record of $app holds every field", "POST", "/api/posts/" + first + "/rename", root, `{"title":"Third Title"}`, 200, `"collection":"posts","secret":"s3"}`},
		{"$app.findRecordById of a missing record is a 404", "POST", "/api/posts/nothere12345678/rename", root, `{"title":"x"}`, 404, `"message":"The requested resource wasn't found."`},
		{"onRecordDelete refuses with a ForbiddenError", "DELETE", "/api/collections/posts/records/" + kept, root, ``, 403, `"message":"This post is kept."`},
		{"$app.delete passes the hooks too", "DELETE", "/api/posts/" + kept, root, ``, 403, `"message":"This post is kept."`},
		{"$app.delete deletes", "DELETE", "/api/posts/" + first, root, ``, 204, ``},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.call(t, c.method, c.url, c.token, c.body)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("%d %s, want %d %s", status, body, c.status, c.want)
			}
		})
	}
	logs := e.logMessages(t)
	if len(logs) != 3 || logs[2] != "deleted "+first {
		t.Errorf("logs %q, want the two creates and the delete of %s", logs, first)
	}
}

func TestCron(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	token := e.mustSuperuser(t)
	status, body := e.call(t, "GET", "/api/crons", token, "")
	if status != 200 || !strings.Contains(body, `{"id":"jsjob","expression":"0 3 * * *"`) {
		t.Fatalf("GET /api/crons: %d %s", status, body)
	}
	if status, body := e.call(t, "POST", "/api/crons/jsjob", token, ""); status != 204 && status != 200 {
		t.Fatalf("run now: %d %s", status, body)
	}
	waitFor(t, "the job to write", func() bool {
		got := e.logMessages(t)
		return len(got) == 1 && got[0] == "cron 8"
	})
}

// A hook file that does not load stops the start, naming its file and
// line.
func TestBrokenFileStopsTheStart(t *testing.T) {
	data := t.TempDir()
	hooks := filepath.Join(data, "pb_hooks") // PocketBase's name is read too
	os.MkdirAll(hooks, 0o755)
	src := "onRecordCreate((e) => {\n    e.next()\n})\n\nundefinedFunction()\n"
	if err := os.WriteFile(filepath.Join(hooks, "main.pb.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := server.New(context.Background(), server.Config{
		DatabaseURL: pgtest.NewDB(t), Dir: data, PasswordCost: 4, MaxConns: 2,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Plugins: []plugins.Plugin{&jsvm.Plugin{}},
	})
	if err == nil || !strings.Contains(err.Error(), "main.pb.js:5") || !strings.Contains(err.Error(), "undefinedFunction is not defined") {
		t.Fatalf("start: %v", err)
	}
}

func TestAuthHook(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	svc := e.srv.Collections()
	users, _ := svc.Collection("users")
	if _, err := svc.SystemRecords().Create(context.Background(), users, map[string]any{"email": "blocked@example.com", "password": "12345678"}); err != nil {
		t.Fatal(err)
	}
	status, body := e.call(t, "POST", "/api/collections/users/auth-with-password", "", `{"identity":"blocked@example.com","password":"12345678"}`)
	if status != 403 || !strings.Contains(body, `"message":"This account is blocked."`) || strings.Contains(body, "token") {
		t.Fatalf("blocked sign-in: %d %s", status, body)
	}
	// ann signed in when the env was made; a refresh passes the hook too.
	if status, body := e.call(t, "POST", "/api/collections/users/auth-refresh", e.token, ""); status != 200 {
		t.Fatalf("refresh: %d %s", status, body)
	}
}

func TestRequestHooks(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	root := e.mustSuperuser(t)
	ids := map[string]string{}
	for _, title := range []string{"shown", "hidden"} {
		status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"title":"`+title+`"}`)
		var rec struct{ ID string }
		if status != 200 || json.Unmarshal([]byte(body), &rec) != nil {
			t.Fatalf("create %s: %d %s", title, status, body)
		}
		ids[title] = rec.ID
	}
	status, body := e.call(t, "POST", "/api/collections/posts/records", e.token, `{"title":"by me"}`)
	var mine struct{ ID, Title, Slug string }
	if status != 200 || json.Unmarshal([]byte(body), &mine) != nil || mine.Title != "by ann@example.com" || mine.Slug != "by-ann@example.com" {
		t.Fatalf("onRecordCreateRequest changing the record: %d %s", status, body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "request saved "+mine.ID) {
		t.Errorf("after e.next() the record is the one saved: %s", logs)
	}
	// A form the API reads as it streams in is the body requestInfo() gives.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("title", "form")
	mw.WriteField("secret", "from the form")
	mw.Close()
	req := httptest.NewRequest("POST", "/api/collections/posts/records", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if res, err := e.srv.App().Test(req, -1); err != nil || res.StatusCode != 200 {
		t.Fatalf("a form create: %v %v", res, err)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "form body: form, from the form") {
		t.Errorf("requestInfo().body of a form: %s", logs)
	}
	for _, c := range []struct {
		name, method, url, token, body string
		status                         int
		want, not                      string
	}{
		{"onRecordsListRequest drops records from the answer", "GET", "/api/collections/posts/records?sort=created", "", "", 200, `"title":"shown"`, `"title":"hidden"`},
		{"onRecordViewRequest answers a NotFoundError", "GET", "/api/collections/posts/records/" + ids["hidden"], "", "", 404, `"message":"The requested resource wasn't found."`, ``},
		{"onRecordViewRequest lets others through", "GET", "/api/collections/posts/records/" + ids["shown"], "", "", 200, `"title":"shown"`, ``},
		{"onRecordUpdateRequest sees the body applied", "PATCH", "/api/collections/posts/records/" + ids["shown"], root, `{"title":""}`, 400,
			`"message":"A title is needed.","data":{"title":{"code":"validation_required","message":"Cannot be blank."}}`, ``},
		{"an update the hook lets through", "PATCH", "/api/collections/posts/records/" + ids["shown"], root, `{"title":"Shown Again"}`, 200, `"slug":"shown-again"`, ``},
		{"a guest may not delete: refused before the hook", "DELETE", "/api/collections/posts/records/" + ids["shown"] + "?soft=1", "", "", 403, `"message":"Only superusers can perform this action."`, ``},
		{"onRecordDeleteRequest answers itself instead of deleting", "DELETE", "/api/collections/posts/records/" + ids["shown"] + "?soft=1", root, "", 200, `{"soft":true,"title":"deleted"}`, ``},
		{"the soft-deleted record is there", "GET", "/api/collections/posts/records/" + ids["shown"], "", "", 200, `"title":"deleted"`, ``},
		{"a delete the hook lets through", "DELETE", "/api/collections/posts/records/" + ids["shown"], root, "", 204, ``, ``},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := e.call(t, c.method, c.url, c.token, c.body)
			if status != c.status || !strings.Contains(body, c.want) || (c.not != "" && strings.Contains(body, c.not)) {
				t.Fatalf("%d %s, want %d %s", status, body, c.status, c.want)
			}
		})
	}
}

// The sub-requests of a batch pass the request hooks as requests of
// their own do, in the batch's transaction.
func TestRequestHooksInBatch(t *testing.T) {
	e := mustEnv(t, jsvm.Config{})
	root := e.mustSuperuser(t)
	if status, body := e.call(t, "PATCH", "/api/settings", root, `{"batch": {"enabled": true}}`); status != 200 {
		t.Fatalf("enable batches: %d %s", status, body)
	}
	status, body := e.call(t, "POST", "/api/collections/posts/records", "", `{"id": "kept00000000001", "title":"kept"}`)
	if status != 200 {
		t.Fatalf("create: %d %s", status, body)
	}
	for _, c := range []struct {
		name, token, requests string
		status                int
		want                  []string
	}{
		{"onRecordCreateRequest changes a batch's create", e.token, `{"method": "POST", "url": "/api/collections/posts/records", "body": {"id": "mine00000000001", "title": "by me"}}`,
			200, []string{`"title":"by ann@example.com"`}},
		{"onRecordUpdateRequest refuses a batch's update, which fails the batch", root, `{"method": "POST", "url": "/api/collections/posts/records", "body": {"id": "gone00000000001", "title": "first"}},
			{"method": "PATCH", "url": "/api/collections/posts/records/gone00000000001", "body": {"title": ""}}`,
			400, []string{`"1":{"code":"batch_request_failed"`, `"message":"A title is needed."`}},
		{"an upsert passes onRecordUpdateRequest", root, `{"method": "PUT", "url": "/api/collections/posts/records", "body": {"id": "kept00000000001", "title": ""}}`,
			400, []string{`"message":"A title is needed."`}},
		{"$app.save of a hook is undone with the batch it joined", root,
			`{"method": "DELETE", "url": "/api/collections/posts/records/kept00000000001?soft=1"}, {"method": "PATCH", "url": "/api/collections/posts/records/kept00000000001", "body": {"title": ""}}`,
			400, []string{`"message":"A title is needed."`}},
		{"onRecordDeleteRequest answers a batch's delete itself", root,
			`{"method": "DELETE", "url": "/api/collections/posts/records/kept00000000001?soft=1"}, {"method": "PATCH", "url": "/api/collections/posts/records/kept00000000001", "body": {"slug": "after"}}`,
			200, []string{`{"status":200,"body":{"soft":true,"title":"deleted"}}`, `"title":"deleted","slug":"after"`}},
	} {
		if c.status == 200 {
			// The failed batches left the record as it was.
			if status, body := e.call(t, "GET", "/api/collections/posts/records/kept00000000001", "", ""); !strings.Contains(body, `"title":"kept"`) {
				t.Fatalf("before %q: %d %s", c.name, status, body)
			}
		}
		t.Run(c.name, func(t *testing.T) {
			status, body := e.call(t, "POST", "/api/batch", c.token, `{"requests": [`+c.requests+`]}`)
			if status != c.status {
				t.Fatalf("%d %s, want %d", status, body, c.status)
			}
			for _, want := range c.want {
				if !strings.Contains(body, want) {
					t.Fatalf("%s, want %s", body, want)
				}
			}
		})
	}
	if status, body := e.call(t, "GET", "/api/collections/posts/records/gone00000000001", "", ""); status != 404 {
		t.Errorf("the failed batch's create was kept: %d %s", status, body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "request saved mine00000000001") {
		t.Errorf("after e.next() in a batch the record is the one saved: %s", logs)
	}

	// e.realIP() is the client's address as the trusted proxy settings
	// say, in a route and in a batch's sub-request, whose own headers
	// cannot claim another.
	if status, body := e.call(t, "PATCH", "/api/settings", root, `{"trustedProxy": {"proxies": ["0.0.0.0"], "header": "X-Forwarded-For"}}`); status != 200 {
		t.Fatalf("trust the test client as a proxy: %d %s", status, body)
	}
	client := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	if status, body := e.callWith(t, "GET", "/api/ip", "", "", client); status != 200 || body != `{"ip":"203.0.113.7"}` {
		t.Errorf("a route's e.realIP(): %d %s", status, body)
	}
	if status, body := e.callWith(t, "POST", "/api/batch", "", `{"requests": [{"method": "POST", "url": "/api/collections/posts/records",
		"headers": {"X-Forwarded-For": "198.51.100.1"}, "body": {"title": "where"}}]}`, client); status != 200 {
		t.Fatalf("batch: %d %s", status, body)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "create request from 203.0.113.7") {
		t.Errorf("a sub-request's e.realIP(): %s", logs)
	}
}
