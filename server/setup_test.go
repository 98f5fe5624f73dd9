package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestFirstRunSetup: with no superuser, the first-run link creates one,
// once; every node shows the same link.
func TestFirstRunSetup(t *testing.T) {
	dsn := pgtest.NewDB(t)
	ctx := context.Background()
	cfg := server.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	other, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	base := startNode(t, dsn)

	link, err := srv.SetupLink(ctx, "0.0.0.0:8090")
	if err != nil || !strings.HasPrefix(link, "http://127.0.0.1:8090/_/#/setup/") {
		t.Fatalf("link %q, %v", link, err)
	}
	if again, _ := other.SetupLink(ctx, "0.0.0.0:8090"); again != link {
		t.Errorf("another node's link %q, want %q", again, link)
	}
	token := link[strings.LastIndex(link, "/")+1:]
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"token": "nope", "email": "admin@example.com", "password": "long enough password"}`, 403, "not valid"},
		{`{"token": "", "email": "admin@example.com", "password": "long enough password"}`, 403, "not valid"},
		{`{"token": "` + token + `", "email": "not an email", "password": "long enough password"}`, 400, "email"},
		{`{"token": "` + token + `", "email": "admin@example.com", "password": "short"}`, 400, "password"},
		{`{"token": 7}`, 400, ""},
	} {
		status, body, err := request(base, "", "POST", "/api/setup", tc.body)
		if err != nil || status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s %v, want %d", tc.body, status, body, err, tc.status)
		}
	}
	status, body, err := request(base, "", "POST", "/api/setup", `{"token": "`+token+`", "email": "admin@example.com", "password": "long enough password"}`)
	if err != nil || status != 200 {
		t.Fatalf("setup: %d %s %v", status, body, err)
	}
	var auth struct {
		Token  string
		Record struct{ Email string }
	}
	if err := json.Unmarshal([]byte(body), &auth); err != nil || auth.Token == "" || auth.Record.Email != "admin@example.com" {
		t.Fatalf("setup answer %s", body)
	}
	call(t, base, auth.Token, "GET", "/api/collections", "") // a superuser's token
	if status, body, _ := request(base, "", "POST", "/api/setup", `{"token": "`+token+`", "email": "eve@example.com", "password": "long enough password"}`); status != 403 {
		t.Errorf("second use: %d %s", status, body)
	}
	if link, err := srv.SetupLink(ctx, "127.0.0.1:8090"); link != "" || err != nil {
		t.Errorf("link after setup %q, %v", link, err)
	}
}

// setupClock is a settable clock.
type setupClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setupClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *setupClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// setupWorld is a server with no superuser yet and a settable clock.
type setupWorld struct {
	t     *testing.T
	cfg   server.Config
	srv   *server.Server
	clock *setupClock
}

func mustSetupWorld(t *testing.T) *setupWorld {
	t.Helper()
	clk := &setupClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	cfg := server.Config{DatabaseURL: pgtest.NewDB(t), PasswordCost: 4, Clock: clk.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return &setupWorld{t: t, cfg: cfg, srv: srv, clock: clk}
}

// link returns the token of the link the server prints now ("" for none).
func (w *setupWorld) link() string {
	w.t.Helper()
	link, err := w.srv.SetupLink(context.Background(), "127.0.0.1:8090")
	if err != nil {
		w.t.Fatal(err)
	}
	return link[strings.LastIndex(link, "/")+1:]
}

// setup posts the first-run form with token.
func (w *setupWorld) setup(token, email string) (int, string) {
	w.t.Helper()
	req := httptest.NewRequest("POST", "/api/setup", strings.NewReader(`{"token": "`+token+`", "email": "`+email+`", "password": "long enough password"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := w.srv.App().Test(req, -1)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// removeSuperusers deletes every superuser behind the API's back, as plain
// SQL may: the state in which a link that was not burned would work again.
func (w *setupWorld) removeSuperusers() {
	w.t.Helper()
	conn, err := pgx.Connect(context.Background(), w.cfg.DatabaseURL)
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `DELETE FROM "_superusers"`); err != nil {
		w.t.Fatal(err)
	}
}

// TestSetupLinkBurns: creating a superuser by any path burns the first-run
// link; it does not come back when no superuser is left, and a burned link
// is answered like an unknown one.
func TestSetupLinkBurns(t *testing.T) {
	t.Parallel()
	w := mustSetupWorld(t)
	unknownStatus, unknown := w.setup("nope", "eve@example.com")
	if unknownStatus != 403 {
		t.Fatalf("unknown link: %d %s", unknownStatus, unknown)
	}
	for _, create := range []struct {
		name string
		run  func() error
	}{
		{"lumbung superuser upsert", func() error {
			_, err := server.UpsertSuperuser(context.Background(), w.cfg, "cli@example.com", "long enough password")
			return err
		}},
		{"the records service (API, batch, plugins)", func() error {
			col, _ := w.srv.Collections().Collection("_superusers")
			_, err := w.srv.Collections().SystemRecords().Create(context.Background(), col,
				map[string]any{"email": "api@example.com", "password": "long enough password"})
			return err
		}},
	} {
		t.Run(create.name, func(t *testing.T) {
			token := w.link()
			if token == "" {
				t.Fatal("no link while no superuser exists")
			}
			if err := create.run(); err != nil {
				t.Fatal(err)
			}
			// Nothing has looked at the link since the superuser was
			// created: creating it must have burned the link.
			w.removeSuperusers()
			if status, body := w.setup(token, "eve@example.com"); status != unknownStatus || body != unknown {
				t.Fatalf("burned link, no superuser left: %d %s; want the unknown link's answer", status, body)
			}
			next := w.link()
			if next == "" || next == token {
				t.Fatalf("next link %q, want a new one", next)
			}
			if err := create.run(); err != nil {
				t.Fatal(err)
			}
			if status, body := w.setup(next, "eve@example.com"); status != unknownStatus || body != unknown {
				t.Errorf("burned link, a superuser exists: %d %s; want the unknown link's answer", status, body)
			}
			if again := w.link(); again != "" {
				t.Errorf("a link while a superuser exists: %q", again)
			}
			w.removeSuperusers()
		})
	}
}

// TestSetupLinkExpires: a link works for an hour; then it is answered like
// an unknown one, and the server prints a new one.
func TestSetupLinkExpires(t *testing.T) {
	t.Parallel()
	w := mustSetupWorld(t)
	unknownStatus, unknown := w.setup("nope", "eve@example.com")
	token := w.link()
	w.clock.Advance(59 * time.Minute)
	if again := w.link(); again != token {
		t.Fatalf("within the hour the link is %q, want the same %q", again, token)
	}
	w.clock.Advance(time.Minute)
	if status, body := w.setup(token, "admin@example.com"); status != unknownStatus || body != unknown {
		t.Fatalf("expired link: %d %s; want the unknown link's answer %d %s", status, body, unknownStatus, unknown)
	}
	next := w.link()
	if next == "" || next == token {
		t.Fatalf("after expiry the link is %q, want a new one", next)
	}
	if status, body := w.setup(next, "admin@example.com"); status != 200 {
		t.Fatalf("new link: %d %s", status, body)
	}
}

// TestSetupLinkOnce: of concurrent requests with one link, one creates a
// superuser.
func TestSetupLinkOnce(t *testing.T) {
	t.Parallel()
	w := mustSetupWorld(t)
	token := w.link()
	const n = 8
	statuses := make(chan int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, _ := w.setup(token, fmt.Sprintf("admin%d@example.com", i))
			statuses <- status
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)
	created := 0
	for s := range statuses {
		switch s {
		case 200:
			created++
		case 403:
		default:
			t.Errorf("status %d", s)
		}
	}
	if created != 1 {
		t.Fatalf("%d superusers created, want 1", created)
	}
}
