package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// apiClient makes the setup calls to Lumbung's HTTP API.
type apiClient struct {
	base  string
	token string // sent as the Authorization header, as is
	http  *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, http: &http.Client{Timeout: time.Minute}}
}

// apiError is an unexpected answer from the API, reported in full.
type apiError struct {
	method, path string
	request      []byte
	status       int
	body         []byte
}

func (e *apiError) Error() string {
	req := e.request
	if len(req) > 300 {
		req = append(req[:300:300], "..."...)
	}
	return fmt.Sprintf("%s %s %s: got %d %s", e.method, e.path, req, e.status, bytes.TrimSpace(e.body))
}

// call sends in (JSON, unless nil) and decodes a 200 answer into out.
func (c *apiClient) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return &apiError{method: method, path: path, request: body, status: resp.StatusCode, body: got}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(got, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w: %.300s", method, path, err, got)
	}
	return nil
}

// signIn authenticates a superuser and keeps the token for later calls.
func (c *apiClient) signIn(ctx context.Context, email, password string) error {
	token, err := c.authWithPassword(ctx, "_superusers", email, password)
	if err != nil {
		return err
	}
	c.token = token
	return nil
}

// authWithPassword signs in a record of an auth collection and returns its
// token.
func (c *apiClient) authWithPassword(ctx context.Context, collection, identity, password string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	path := "/api/collections/" + collection + "/auth-with-password"
	in := map[string]string{"identity": identity, "password": password}
	if err := c.call(ctx, http.MethodPost, path, in, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", fmt.Errorf("POST %s: answer has no token", path)
	}
	return out.Token, nil
}

// collectionInfo is what the bench needs of a collection definition.
type collectionInfo struct {
	ID     string      `json:"id"`
	Name   string      `json:"name"`
	Fields []fieldInfo `json:"fields"`
}

type fieldInfo struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// benchCollection is the definition the bench creates; categoryCount
// categories c0..c9 are seeded.
var benchCollection = map[string]any{
	"name": "bench",
	"type": "base",
	"fields": []map[string]string{
		{"name": "title", "type": "text"},
		{"name": "category", "type": "text"},
		{"name": "score", "type": "number"},
		{"name": "published", "type": "bool"},
	},
	"indexes": benchIndexes,
}

// benchIndexes are the bench collection's indexes, in SQL that Lumbung and
// PocketBase both accept.
var benchIndexes = []string{"CREATE INDEX idx_bench_category ON bench (category)"}

const categoryCount = 10

// createCollection creates def and returns the saved definition.
func (c *apiClient) createCollection(ctx context.Context, def map[string]any) (*collectionInfo, error) {
	var out collectionInfo
	if err := c.call(ctx, http.MethodPost, "/api/collections", def, &out); err != nil {
		return nil, err
	}
	if out.ID == "" || out.Name != def["name"] || len(out.Fields) == 0 {
		return nil, fmt.Errorf("POST /api/collections: unexpected answer: %+v", out)
	}
	return &out, nil
}

// deleteCollection drops a collection and its records.
func (c *apiClient) deleteCollection(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "/api/collections/"+name, nil, nil)
}

// batchSize is the most sub-requests Lumbung accepts in one batch.
const batchSize = 50

// seed creates n records in collection through POST /api/batch and returns
// their ids.
func (c *apiClient) seed(ctx context.Context, collection string, n int) ([]string, error) {
	type item struct {
		Method string         `json:"method"`
		URL    string         `json:"url"`
		Body   map[string]any `json:"body"`
	}
	ids := make([]string, 0, n)
	for start := 0; start < n; start += batchSize {
		reqs := make([]item, 0, batchSize)
		for i := start; i < n && i < start+batchSize; i++ {
			reqs = append(reqs, item{Method: http.MethodPost, URL: "/api/collections/" + collection + "/records", Body: seedRecord(i)})
		}
		var out []struct {
			Status int `json:"status"`
			Body   struct {
				ID string `json:"id"`
			} `json:"body"`
		}
		if err := c.call(ctx, http.MethodPost, "/api/batch", map[string]any{"requests": reqs}, &out); err != nil {
			return nil, err
		}
		if len(out) != len(reqs) {
			return nil, fmt.Errorf("POST /api/batch with %d requests: got %d results", len(reqs), len(out))
		}
		for i, r := range out {
			if r.Status != http.StatusOK || r.Body.ID == "" {
				return nil, fmt.Errorf("POST /api/batch: result %d: status %d, id %q", i, r.Status, r.Body.ID)
			}
			ids = append(ids, r.Body.ID)
		}
	}
	return ids, nil
}

// seedRecord is the body of the i-th seeded record.
func seedRecord(i int) map[string]any {
	return map[string]any{
		"title":     "Record " + strconv.Itoa(i),
		"category":  "c" + strconv.Itoa(i%categoryCount),
		"score":     float64(i%1000) + 0.5,
		"published": i%2 == 0,
	}
}
