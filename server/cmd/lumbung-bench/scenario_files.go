package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// The file scenarios run against Lumbung and PocketBase, which store
// files on local disk; the baseline has no files, its cells are n/a.
// Their collection and images are made by setUpFiles.

// Bounds of the file scenarios, beside the flags'.
const (
	// uploadRunCap bounds the uploads of one measured run: at most
	// 1,000 MB on disk per target, in its temporary data directory.
	uploadRunCap = 1000
	// thumbPassTimeout bounds one pass over every thumbnail: the run of
	// thumb-cold, the warm-up of thumb-cached.
	thumbPassTimeout = 2 * time.Minute
	// uploadMemoryTimeout bounds upload-memory's uploads, all together.
	uploadMemoryTimeout = 5 * time.Minute
	// memorySampleEvery is how often upload-memory reads the server's RSS.
	memorySampleEvery = 10 * time.Millisecond
	// statusWithoutFile counts, among upload-memory's failures, the 200
	// answers whose record has no stored file.
	statusWithoutFile = 2000
)

// uploadScenario creates records with a file of uploadSize bytes each,
// the same multipart body every time.
var uploadScenario = scenario{
	name: "upload", method: http.MethodPost, files: true,
	request: func(t *target, _ int, req *fasthttp.Request) {
		req.Header.SetMethod(http.MethodPost)
		req.SetRequestURI(t.files.records)
		req.Header.SetContentType(t.files.form)
		req.SetBodyRaw(t.files.upload)
	},
	bounds: func(_ *target, cfg config) (warm, run runBounds) {
		return runBounds{cfg.warmup, min(cfg.requests, cfg.concurrency)},
			runBounds{cfg.duration, min(cfg.requests, uploadRunCap)}
	},
	payload: func(config) int64 { return uploadSize },
}

// thumbColdScenario asks once for the thumbnail of every seeded image,
// none made yet: every request makes one. No warm-up: it would make them.
var thumbColdScenario = scenario{
	name: "thumb-cold", method: http.MethodGet, files: true, request: thumbRequest,
	bounds: func(t *target, _ config) (warm, run runBounds) {
		return runBounds{}, runBounds{thumbPassTimeout, len(t.files.thumbs)}
	},
}

// thumbCachedScenario asks for the same thumbnails again, after a warm-up
// that asks for each once (they are all made, whether thumb-cold ran or
// not).
var thumbCachedScenario = scenario{
	name: "thumb-cached", method: http.MethodGet, files: true, request: thumbRequest,
	bounds: func(t *target, cfg config) (warm, run runBounds) {
		return runBounds{thumbPassTimeout, len(t.files.thumbs)}, runBounds{cfg.duration, cfg.requests}
	},
}

// thumbRequest asks for the thumbnails in seeding order, round and round.
func thumbRequest(t *target, i int, req *fasthttp.Request) {
	req.Header.SetMethod(http.MethodGet)
	req.SetRequestURI(t.files.thumbs[i%len(t.files.thumbs)])
}

// uploadMemoryScenario has -concurrency clients upload one file of
// -upload-memory-mb MB each, all at once, and reads the server's memory
// before and while they do.
var uploadMemoryScenario = scenario{
	name: "upload-memory", method: http.MethodPost, files: true, run: uploadMemory,
	payload: func(cfg config) int64 { return int64(cfg.uploadMemoryMB) << 20 },
}

// uploadMemory sends the uploads of upload-memory to t, streaming each
// body (this process never holds a file), and samples the server's VmRSS
// every memorySampleEvery until they are answered.
func uploadMemory(ctx context.Context, t *target, cfg config) (*loadResult, *memoryReport) {
	runtime.GC()
	ctx, cancel := context.WithTimeout(ctx, uploadMemoryTimeout)
	defer cancel()
	size := int64(cfg.uploadMemoryMB) << 20
	body := newMultipartFile("big", "big.bin")
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	path := t.files.records

	mem := &memoryReport{
		Clients: cfg.concurrency, FileMB: cfg.uploadMemoryMB,
		RSSBeforeKiB: procStatusKiB(t.serverPID, "VmRSS"), HWMBeforeKiB: procStatusKiB(t.serverPID, "VmHWM"),
	}
	mem.PeakRSSKiB = mem.RSSBeforeKiB
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(memorySampleEvery)
		defer tick.Stop()
		for {
			if v := procStatusKiB(t.serverPID, "VmRSS"); v >= 0 {
				mem.PeakRSSKiB = max(mem.PeakRSSKiB, v)
				mem.Samples++
			}
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
		}
	}()

	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		res = &loadResult{statuses: map[int]int{}}
	)
	start := time.Now()
	for range cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, took, errText := postUpload(ctx, client, t, path, body, size)
			mu.Lock()
			defer mu.Unlock()
			res.sent++
			if status == http.StatusOK {
				res.ok++
				res.latencies = append(res.latencies, took)
				return
			}
			res.statuses[status]++
			if res.firstErr == "" {
				res.firstErr = "POST " + path + " (" + strconv.Itoa(cfg.uploadMemoryMB) + " MB): " + errText
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	close(stopSampling)
	<-sampled
	mem.HWMAfterKiB = procStatusKiB(t.serverPID, "VmHWM")
	slices.Sort(res.latencies)
	return res, mem
}

// postUpload sends one upload of a size-byte file and returns the status
// (0 for no answer, statusWithoutFile), the time to
// the answer and, unless 200, what went wrong.
func postUpload(ctx context.Context, client *http.Client, t *target, path string, body multipartFile, size int64) (int, time.Duration, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+t.addr+path, body.reader(size))
	if err != nil {
		return 0, 0, err.Error()
	}
	req.ContentLength = body.length(size)
	req.Header.Set("Content-Type", body.contentType)
	if t.auth != "" {
		req.Header.Set("Authorization", t.auth)
	}
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, time.Since(began), err.Error()
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	took := time.Since(began)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, took, strconv.Itoa(resp.StatusCode) + " " + truncate(string(got), 300)
	}
	var rec struct {
		Big string `json:"big"`
	}
	if err := json.Unmarshal(got, &rec); err != nil || rec.Big == "" {
		// Counted apart from the 200s: a record without its file.
		return statusWithoutFile, took, "200 without a stored file in big: " + truncate(string(got), 300)
	}
	return resp.StatusCode, took, ""
}

// filesSelected reports whether a file scenario is among names.
func filesSelected(names []string) bool {
	for _, name := range names {
		if s, ok := scenarioByName(name); ok && s.files {
			return true
		}
	}
	return false
}
