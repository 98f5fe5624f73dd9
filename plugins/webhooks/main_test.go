package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/plugins/webhooks"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, postgres.MigrateURL)
}

// testConfig is the plugin's configuration in tests: loopback allowed
// (receivers listen on 127.0.0.1), quick polls and retries.
func testConfig() webhooks.Config {
	return webhooks.Config{Allow: []string{"127.0.0.0/8"}, Poll: plugins.Duration(100 * time.Millisecond),
		RetryBase: plugins.Duration(50 * time.Millisecond), RetryMax: plugins.Duration(200 * time.Millisecond),
		Timeout: plugins.Duration(10 * time.Second)}
}

// newDatabase returns a new database with the superuser admin@example.com.
func newDatabase(t *testing.T) string {
	t.Helper()
	dsn := pgtest.NewDB(t)
	if _, err := server.UpsertSuperuser(context.Background(), server.Config{DatabaseURL: dsn, PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "admin@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// node is a server running on a test database with its own webhooks
// plugin.
type node struct {
	URL  string
	srv  *server.Server
	stop func()
}

// startNode runs a server on dsn with the webhooks plugin configured by
// cfg until the test ends (or Stop); opts adjust the server.
func startNode(t *testing.T, dsn string, cfg webhooks.Config, opts ...func(*server.Config)) *node {
	t.Helper()
	scfg := server.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", PasswordCost: 4,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Plugins: []plugins.Plugin{&webhooks.Plugin{Config: cfg}}}
	for _, o := range opts {
		o(&scfg)
	}
	srv, err := server.New(context.Background(), scfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		var once sync.Once
		n := &node{URL: "http://" + a, srv: srv, stop: func() {
			once.Do(func() {
				cancel()
				<-done
				srv.Close(context.Background())
			})
		}}
		t.Cleanup(n.stop)
		return n
	case err := <-done:
		cancel()
		srv.Close(context.Background())
		t.Fatalf("run: %v", err)
	}
	return nil
}

// Stop stops the server and its deliveries.
func (n *node) Stop() { n.stop() }

var testClient = &http.Client{Timeout: time.Minute}

// request makes an API call and returns its status and body.
func request(t *testing.T, base, token, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// call makes an API call that must answer 200 and decodes its body into
// out (when not nil).
func call(t *testing.T, base, token, method, path, body string, out any) {
	t.Helper()
	status, b := request(t, base, token, method, path, body)
	if status != 200 {
		t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func signIn(t *testing.T, base string) string {
	t.Helper()
	var auth struct{ Token string }
	call(t, base, "", "POST", "/api/collections/_superusers/auth-with-password",
		`{"identity": "admin@example.com", "password": "long enough password"}`, &auth)
	return auth.Token
}

// webhook is a webhook as the API answers it.
type webhook struct {
	ID             string   `json:"id"`
	Collection     string   `json:"collection"`
	Events         []string `json:"events"`
	SecretSet      bool     `json:"secretSet"`
	Enabled        bool     `json:"enabled"`
	DisabledReason string   `json:"disabledReason"`
	Failures       int      `json:"failures"`
	Position       *int64   `json:"position"`
	Lagging        string   `json:"lagging"`
}

// delivery is an entry of a webhook's delivery log as the API answers it.
type delivery struct {
	Event   string `json:"event"`
	Action  string `json:"action"`
	Attempt int    `json:"attempt"`
	Status  int    `json:"status"`
	Success bool   `json:"success"`
	Error   string `json:"error"`
}

func deliveries(t *testing.T, base, token, id string) []delivery {
	t.Helper()
	var list struct{ Items []delivery }
	call(t, base, token, "GET", "/api/webhooks/"+id+"/deliveries?perPage=500", "", &list)
	return list.Items
}

// receipt is one request a receiver got.
type receipt struct {
	Event, Webhook, Signature string
	Body                      []byte
}

// receiver is an HTTP endpoint on loopback that records what it gets and
// answers the status status returns for the nth request (1-based).
type receiver struct {
	URL string

	mu     sync.Mutex
	got    []receipt
	status func(n int) int
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, receipt{Event: req.Header.Get("X-Lumbung-Event-Id"), Webhook: req.Header.Get("X-Lumbung-Webhook-Id"),
			Signature: req.Header.Get("X-Lumbung-Signature"), Body: body})
		code := 200
		if r.status != nil {
			code = r.status(len(r.got))
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, "answer of the receiver") //nolint:errcheck // a test receiver
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// receipts returns a copy of what the receiver got so far.
func (r *receiver) receipts() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receipt(nil), r.got...)
}

// setStatus changes how the receiver answers.
func (r *receiver) setStatus(status func(n int) int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

// waitFor polls cond until it holds. The deadline only guards against a
// hang; how fast it happens is not asserted.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verify checks the signature of a receipt as a receiver does.
func verify(t *testing.T, secret string, r receipt) {
	t.Helper()
	var ts, v1 string
	for part := range strings.SplitSeq(r.Signature, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(r.Body)))
	want := hex.EncodeToString(mac.Sum(nil))
	if ts == "" || !hmac.Equal([]byte(v1), []byte(want)) {
		t.Fatalf("signature %q does not verify with the secret (want v1=%s)", r.Signature, want)
	}
}

// connect opens a plain connection to the test database.
func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// metric returns the value of the metric family name with the label
// value label of n's registry (-1 when there is none).
func (n *node) metric(t *testing.T, name, label string) float64 {
	t.Helper()
	families, err := n.srv.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					if c := m.GetCounter(); c != nil {
						return c.GetValue()
					}
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}
