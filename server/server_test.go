package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, postgres.MigrateURL)
}

// TestShutdownKeepsAcknowledgedWrites stops the server while clients are
// writing: every write answered 200 must be in the database afterwards, and
// Run must return cleanly.
func TestShutdownKeepsAcknowledgedWrites(t *testing.T) {
	dsn := pgtest.NewDB(t)
	// Errors go to the test's output: an unexpected 500 explains itself.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	cfg := server.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", Logger: log, PasswordCost: 4}
	if _, err := server.UpsertSuperuser(context.Background(), cfg, "admin@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	ctx, stop := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx, func(a string) { addrc <- a }) }()
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-runErr:
		t.Fatalf("run: %v", err)
	}

	token := signIn(t, base)
	call(t, base, token, "POST", "/api/collections", `{"name": "notes", "fields": [{"name": "n", "type": "number"}]}`)

	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	started := make(chan struct{})
	var once sync.Once
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				status, body, err := request(base, token, "POST", "/api/collections/notes/records", fmt.Sprintf(`{"n": %d}`, w*100000+i))
				if err != nil {
					return // the listener closed
				}
				if status != 200 {
					if status == 503 || strings.Contains(body, "shutting") {
						return
					}
					t.Errorf("create: %d %s", status, body)
					return
				}
				var rec struct{ ID string }
				json.Unmarshal([]byte(body), &rec) //nolint:errcheck // checked below
				mu.Lock()
				acked = append(acked, rec.ID)
				n := len(acked)
				mu.Unlock()
				if n == 40 {
					once.Do(func() { close(started) })
				}
			}
		}(w)
	}
	<-started
	stop()
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	wg.Wait()

	// Every acknowledged id is stored.
	recs := srv.Collections().SystemRecords()
	notes, _ := srv.Collections().Collection("notes")
	for _, id := range acked {
		if _, err := recs.Get(context.Background(), notes, id); err != nil {
			t.Fatalf("acknowledged write %s lost: %v", id, err)
		}
	}
	if len(acked) < 40 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
}

func signIn(t *testing.T, base string) string {
	t.Helper()
	body := call(t, base, "", "POST", "/api/collections/_superusers/auth-with-password",
		`{"identity": "admin@example.com", "password": "long enough password"}`)
	var auth struct{ Token string }
	if err := json.Unmarshal([]byte(body), &auth); err != nil || auth.Token == "" {
		t.Fatalf("sign in: %s", body)
	}
	return auth.Token
}

func call(t *testing.T, base, token, method, path, body string) string {
	t.Helper()
	status, b, err := request(base, token, method, path, body)
	if err != nil || status != 200 {
		t.Fatalf("%s %s: %d %s %v", method, path, status, b, err)
	}
	return b
}

// testClient gives up on a request after a minute: a server that never
// answers fails the test with its request named instead of hanging it.
var testClient = &http.Client{Timeout: time.Minute}

func request(base, token, method, path, body string) (int, string, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := testClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}
