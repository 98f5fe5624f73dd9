package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// pocketbaseRules are the rules copied from Lumbung's collection.
var pocketbaseRules = []string{"listRule", "viewRule", "createRule", "updateRule", "deleteRule"}

// pocketbaseCollection returns the definition that gives PocketBase the
// collection Lumbung saved: its name, type, rules and fields (created and
// updated included, which PocketBase does not add to a collection made
// through its API), with the id field and the fields' ids left to
// PocketBase, whose id field is Lumbung's; and the indexes the bench asked
// for, in the SQL both accept.
func pocketbaseCollection(saved map[string]any, indexes []string) (map[string]any, error) {
	name, _ := saved["name"].(string)
	typ, _ := saved["type"].(string)
	raw, _ := saved["fields"].([]any)
	if name == "" || typ == "" || len(raw) == 0 {
		return nil, fmt.Errorf("lumbung's collection has no name, type or fields: %v", saved)
	}
	def := map[string]any{"name": name, "type": typ, "indexes": indexes}
	for _, r := range pocketbaseRules {
		def[r] = saved[r] // nil: superusers only
	}
	var fields []map[string]any
	for i, f := range raw {
		fm, ok := f.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("lumbung's collection: field %d is %T", i, f)
		}
		if fm["name"] == "id" {
			continue
		}
		out := make(map[string]any, len(fm))
		for k, v := range fm {
			if k != "id" && k != "system" {
				out[k] = v
			}
		}
		fields = append(fields, out)
	}
	def["fields"] = fields
	return def, nil
}

// collectionDefinition returns a collection's definition as the server
// answers it.
func (c *apiClient) collectionDefinition(ctx context.Context, name string) (map[string]any, error) {
	var out map[string]any
	err := c.call(ctx, http.MethodGet, "/api/collections/"+name, nil, &out)
	return out, err
}

// seedWorkers is how many requests seedWithIDs keeps in flight.
const seedWorkers = 8

// seedWithIDs creates the records seed creates, seedRecord(i) with the id
// ids[i], one request each (PocketBase's batch API is off by default),
// then checks that the collection holds that many.
func (c *apiClient) seedWithIDs(ctx context.Context, collection string, ids []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	path := "/api/collections/" + collection + "/records"
	for range seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				body := seedRecord(i)
				body["id"] = ids[i]
				var out struct {
					ID string `json:"id"`
				}
				err := c.call(ctx, http.MethodPost, path, body, &out)
				if err == nil && out.ID != ids[i] {
					err = fmt.Errorf("POST %s: created %q, want the id %q", path, out.ID, ids[i])
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var page struct {
		TotalItems int `json:"totalItems"`
	}
	if err := c.call(ctx, http.MethodGet, path+"?perPage=1", nil, &page); err != nil {
		return err
	}
	if page.TotalItems != len(ids) {
		return fmt.Errorf("seeded %d records, the collection holds %d", len(ids), page.TotalItems)
	}
	return nil
}

// setUpPocketBase starts PocketBase with a superuser, gives it the
// collection Lumbung saved (read through lb) and the same records under
// the same ids, and returns the process (nil when it did not start, to be
// stopped by the caller otherwise) and a client signed in as the
// superuser. With hooks, it watches an empty pb_hooks folder.
func setUpPocketBase(ctx context.Context, bin string, lb *apiClient, collection string, ids []string, hooks bool, say func(string, ...any)) (*serverProcess, *apiClient, error) {
	password := randomHex(16)
	pb, err := startPocketBase(ctx, bin, benchEmail, password, hooks)
	if err != nil {
		return nil, nil, err
	}
	api := newAPIClient(pb.baseURL())
	if err := api.signIn(ctx, benchEmail, password); err != nil {
		return pb, nil, fmt.Errorf("sign in: %w", err)
	}
	saved, err := lb.collectionDefinition(ctx, collection)
	if err != nil {
		return pb, nil, fmt.Errorf("read lumbung's collection: %w", err)
	}
	def, err := pocketbaseCollection(saved, benchIndexes)
	if err != nil {
		return pb, nil, err
	}
	if _, err := api.createCollection(ctx, def); err != nil {
		return pb, nil, fmt.Errorf("create collection: %w", err)
	}
	say("seeding PocketBase with the same %d records", len(ids))
	began := time.Now()
	if err := api.seedWithIDs(ctx, collection, ids); err != nil {
		return pb, nil, fmt.Errorf("seed: %w", err)
	}
	say("seeded in %s", time.Since(began).Round(time.Millisecond))
	return pb, api, nil
}
