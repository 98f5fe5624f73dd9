package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server"
)

// TestBodyOverLimitIsReadable: a client that sends a body over the limit
// in full, without waiting for 100 Continue, reads the 413 and its JSON
// instead of a connection reset, however far it got with sending.
func TestBodyOverLimitIsReadable(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0"; c.BodyLimit = 32 << 20 })
	MustBlog(t, e)
	addr := MustServe(t, e)
	body := bytes.Repeat([]byte("x"), 50<<20)
	client := &http.Client{Timeout: time.Minute}
	for i := range 6 {
		var r io.Reader = bytes.NewReader(body)
		chunked := i%3 == 2
		if chunked { // no Content-Length: refused once the limit is read
			r = io.MultiReader(r)
		}
		req, err := http.NewRequest("POST", "http://"+addr+"/api/collections/posts/records", r)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", e.token)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("attempt %d (chunked %v): %v", i, chunked, err)
		}
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatalf("attempt %d (chunked %v): reading the answer: %v", i, chunked, err)
		}
		var msg struct {
			Status  int
			Message string
		}
		if res.StatusCode != 413 || json.Unmarshal(got, &msg) != nil || msg.Status != 413 || msg.Message == "" {
			t.Fatalf("attempt %d (chunked %v): %d %.300s", i, chunked, res.StatusCode, got)
		}
	}
	// The server still answers on new connections.
	var page struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/posts/records", "", "", 200, &page)
}
