package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// create-jshook sends create's requests to Lumbung and PocketBase while a
// trivial before-create JS hook on the bench collection runs: the same
// file (PocketBase's pb_hooks format) in Lumbung's hooks folder and in
// PocketBase's pb_hooks. Both servers start with an empty folder, which
// they watch; the file is put there before the warm-up and removed after
// the run, and a probe create shows when each server runs the hook and
// when it no longer does (Lumbung reloads its scripts in place, PocketBase
// restarts itself in the same process). The baseline runs no JS: n/a.

// Bounds and names of create-jshook.
const (
	jsHookFile = "bench.pb.js"
	// jsHookMark is what the hook appends to a record's title: the probe
	// sees by it whether the hook ran.
	jsHookMark = " (js)"
	// jsHookWait bounds the wait for a server to take the hook up, or to
	// drop it (a reload or a restart).
	jsHookWait = time.Minute
	// jsHookProbeEvery is how often the probe creates a record meanwhile.
	jsHookProbeEvery = 200 * time.Millisecond
	// jsHookCostGoal is the share of Lumbung's create throughput a
	// trivial JS hook may cost.
	jsHookCostGoal = 0.20
)

var createJSHookScenario = scenario{
	name: "create-jshook", method: http.MethodPost, path: createPath, body: createBody,
	serves:  func(t *target) bool { return t.hooksDir != "" },
	prepare: prepareJSHook,
}

// jsHookScript is the hook file for collection: the title is read and
// set again with jsHookMark appended, then the create goes on.
func jsHookScript(collection string) string {
	return `// A trivial before-create hook: it marks the title, so a probe sees it ran.
onRecordCreate((e) => {
    e.record.set("title", e.record.get("title") + ` + fmt.Sprintf("%q", jsHookMark) + `)
    e.next()
}, ` + fmt.Sprintf("%q", collection) + `)
`
}

// prepareJSHook puts the hook file into t's hooks folder and waits until
// t runs it; the fixture removes it after the run and waits until t no
// longer runs it.
func prepareJSHook(ctx context.Context, t *target, _ config) (*fixture, error) {
	path := filepath.Join(t.hooksDir, jsHookFile)
	if err := writeFileAtomic(path, []byte(jsHookScript(t.env.collection))); err != nil {
		return nil, fmt.Errorf("write the JS hook: %w", err)
	}
	probe := newAPIClient("http://" + t.addr)
	probe.token = t.auth
	if err := probe.awaitJSHook(ctx, t.env, true); err != nil {
		return nil, errors.Join(fmt.Errorf("%s did not take up %s: %w", t.name, path, err), os.Remove(path))
	}
	t.client.CloseIdleConnections() // a server that restarted closed them
	return &fixture{afterRun: func(ctx context.Context, _ *loadResult, _ time.Time, _ *targetReport) error {
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("remove the JS hook: %w", err)
		}
		err := probe.awaitJSHook(ctx, t.env, false)
		t.client.CloseIdleConnections()
		if err != nil {
			return fmt.Errorf("%s still runs the JS hook after %s was removed: %w", t.name, path, err)
		}
		return nil
	}}, nil
}

// awaitJSHook creates probe records until the hook runs (on) or no
// longer runs (!on), at most jsHookWait. A server restarting does not
// answer for a moment: failures are tried again.
func (c *apiClient) awaitJSHook(parent context.Context, env *scenarioEnv, on bool) error {
	ctx, cancel := context.WithTimeout(parent, jsHookWait)
	defer cancel()
	tick := time.NewTicker(jsHookProbeEvery)
	defer tick.Stop()
	last := "no answer yet"
	for {
		var rec struct {
			Title string `json:"title"`
		}
		body := map[string]any{"title": "probe", "category": "c0", "score": 0, "published": false}
		err := c.call(ctx, http.MethodPost, env.records, body, &rec)
		switch {
		case err != nil:
			last = err.Error()
		case strings.HasSuffix(rec.Title, jsHookMark) == on:
			return nil
		default:
			last = fmt.Sprintf("a probe record's title is %q", rec.Title)
		}
		select {
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return fmt.Errorf("%w: %s", err, last)
			}
			return fmt.Errorf("not within %s: %s", jsHookWait, last)
		case <-tick.C:
		}
	}
}

// jsHookSelected reports whether create-jshook is among names.
func jsHookSelected(names []string) bool { return slices.Contains(names, createJSHookScenario.name) }

// writeFileAtomic writes data to a temporary file beside path's folder
// and renames it into place, so a watcher never reads half a file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(filepath.Dir(path)), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}
