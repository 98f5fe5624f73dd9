package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// parseForm parses a multipart body and returns its values and the size
// and file name of each file part.
func parseForm(contentType string, body io.Reader) (values map[string]string, sizes map[string]int64, names map[string]string, err error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" {
		return nil, nil, nil, fmt.Errorf("Content-Type %q: %v", contentType, err)
	}
	values, sizes, names = map[string]string{}, map[string]int64{}, map[string]string{}
	r := multipart.NewReader(body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return values, sizes, names, nil
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if p.FileName() == "" {
			b, _ := io.ReadAll(p)
			values[p.FormName()] = string(b)
			continue
		}
		n, err := io.Copy(io.Discard, p)
		if err != nil {
			return nil, nil, nil, err
		}
		sizes[p.FormName()], names[p.FormName()] = n, p.FileName()
	}
}

// readForm is parseForm in the test's goroutine.
func readForm(t *testing.T, contentType string, body io.Reader) (values map[string]string, sizes map[string]int64, names map[string]string) {
	t.Helper()
	values, sizes, names, err := parseForm(contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return values, sizes, names
}

func TestMultipartFile(t *testing.T) {
	m := newMultipartFile("big", "big.bin")
	const n = 3<<20 + 17 // not a multiple of the filler's block
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, m.reader(n)); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != m.length(n) {
		t.Errorf("read %d bytes, length says %d", buf.Len(), m.length(n))
	}
	values, sizes, names := readForm(t, m.contentType, &buf)
	if values["title"] != "upload" || sizes["big"] != n || names["big"] != "big.bin" || len(sizes) != 1 {
		t.Errorf("values %v, sizes %v, names %v", values, sizes, names)
	}

	body, form := uploadBody(1000)
	_, sizes, names = readForm(t, form, bytes.NewReader(body))
	if sizes["file"] != 1000 || names["file"] != "upload.bin" {
		t.Errorf("upload body: sizes %v, names %v", sizes, names)
	}
}

func TestBenchImageAndIDs(t *testing.T) {
	img, err := benchImage(thumbWidth, thumbHeight)
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil || format != "png" || cfg.Width != thumbWidth || cfg.Height != thumbHeight {
		t.Errorf("image: %s %dx%d, %v", format, cfg.Width, cfg.Height, err)
	}
	id := recordID()
	if len(id) != 15 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Errorf("id %q", id)
	}
}

func TestPlanStepsFiles(t *testing.T) {
	got := planSteps([]string{"create", "upload", "thumb-cold", "thumb-cached", "upload-memory"}, "no-fsync", []string{"durable", "no-fsync"})
	want := []step{{"create", "durable"}, {"create", "no-fsync"}, {"upload", "durable"},
		{"thumb-cold", "no-fsync"}, {"thumb-cached", "no-fsync"}, {"upload-memory", "durable"}}
	if !slices.Equal(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
	if !filesSelected([]string{"list", "thumb-cached"}) || filesSelected([]string{"list", "create"}) {
		t.Error("filesSelected")
	}
}

// TestMeasureFiles runs the file scenarios against fake servers: the
// baseline is n/a, thumb-cold asks for each thumbnail once without a
// warm-up, thumb-cached after a pass over all, and upload-memory streams
// every file to its end at once.
func TestMeasureFiles(t *testing.T) {
	const memoryMB = 2
	var mu sync.Mutex
	hits := map[string][]string{} // target: "METHOD path?query field:size" of each request
	newFake := func(name string) *target {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hit := r.Method + " " + r.URL.RequestURI()
			answer := `{}`
			if r.Method == http.MethodPost {
				_, sizes, _, err := parseForm(r.Header.Get("Content-Type"), r.Body)
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				for field, n := range sizes {
					hit += " " + field + ":" + strconv.FormatInt(n, 10)
					answer = `{"id":"x","` + field + `":"f.bin"}`
				}
			}
			mu.Lock()
			hits[name] = append(hits[name], hit)
			mu.Unlock()
			w.Write([]byte(answer))
		}))
		t.Cleanup(srv.Close)
		env := &scenarioEnv{records: "/api/collections/bench/records", ids: []string{"a"}}
		return newTarget(name, strings.TrimPrefix(srv.URL, "http://"), "su-"+name, env, 2)
	}
	lb, base, pb := newFake("lumbung"), newFake("baseline"), newFake("pocketbase")
	body, form := uploadBody(1000)
	for _, tg := range []*target{lb, pb} {
		tg.files = &fileSet{records: "/api/collections/bench_files/records", upload: body, form: form,
			thumbs: []string{"/api/files/bench_files/a/a.png?thumb=100x100", "/api/files/bench_files/b/b.png?thumb=100x100", "/api/files/bench_files/c/c.png?thumb=100x100"}}
	}
	m := &measurer{
		cfg:     config{concurrency: 2, duration: 30 * time.Millisecond, warmup: 10 * time.Millisecond, requests: 5, uploadMemoryMB: memoryMB},
		targets: []*target{lb, base, pb},
		mode:    "no-fsync",
		setMode: func(context.Context, string) error { return nil },
		say:     func(string, ...any) {},
	}
	count := func(name, prefix string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, h := range hits[name] {
			if strings.HasPrefix(h, prefix) {
				n++
			}
		}
		return n
	}

	reps, err := m.measure(context.Background(), planSteps([]string{"thumb-cold"}, "no-fsync", []string{"durable"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lumbung", "pocketbase"} {
		for _, id := range []string{"a", "b", "c"} {
			if n := count(name, "GET /api/files/bench_files/"+id+"/"); n != 1 {
				t.Errorf("thumb-cold: %s got %d requests for %s's thumbnail, want 1", name, n, id)
			}
		}
	}
	if reps[0].Lumbung.OK != 3 || reps[0].PocketBase.OK != 3 {
		t.Errorf("thumb-cold: %+v, %+v", reps[0].Lumbung, reps[0].PocketBase)
	}

	more, err := m.measure(context.Background(), planSteps([]string{"thumb-cached", "upload", "upload-memory"}, "no-fsync", []string{"durable"}))
	if err != nil {
		t.Fatal(err)
	}
	reps = append(reps, more...)
	for _, name := range []string{"lumbung", "pocketbase"} {
		// thumb-cached: a pass over the three (its warm-up), then five
		if n := count(name, "GET /api/files/"); n != 3+3+5 {
			t.Errorf("%s got %d thumbnail requests, want 11", name, n)
		}
		if n := count(name, "POST /api/collections/bench_files/records file:1000"); n != 2+5 { // a warm-up upload per client
			t.Errorf("%s got %d uploads, want 7", name, n)
		}
		if n := count(name, "POST /api/collections/bench_files/records big:"+strconv.Itoa(memoryMB<<20)); n != 2 {
			t.Errorf("%s got %d whole upload-memory files, want 2: %v", name, n, hits[name])
		}
	}
	if len(hits["baseline"]) != 0 {
		t.Errorf("the baseline got %v", hits["baseline"])
	}
	for _, r := range reps {
		if r.Baseline != nil || r.Lumbung == nil || r.PocketBase == nil || r.PocketBaseRatio == nil {
			t.Errorf("%s: baseline %+v, lumbung %+v, pocketbase %+v", r.Name, r.Baseline, r.Lumbung, r.PocketBase)
			continue
		}
		if uploads := r.Name == "upload" || r.Name == "upload-memory"; (r.Lumbung.MBPerSec != nil) != uploads {
			t.Errorf("%s: MB/s %v", r.Name, r.Lumbung.MBPerSec)
		}
		if r.Name == "upload-memory" {
			mem := r.Lumbung.Memory
			if r.Lumbung.OK != 2 || mem == nil || mem.Clients != 2 || mem.FileMB != memoryMB || mem.RSSBeforeKiB != -1 {
				t.Errorf("upload-memory: %+v, memory %+v (the fake's RSS is unknown)", r.Lumbung, mem)
			}
		}
	}
}

func TestWriteFiles(t *testing.T) {
	mb := func(v float64) *float64 { return &v }
	lb := &targetReport{Requests: 16, OK: 16, ReqPerSec: 8, MBPerSec: mb(400),
		Memory: &memoryReport{Clients: 16, FileMB: 50, RSSBeforeKiB: 40 << 10, PeakRSSKiB: 42 << 10, Samples: 100, HWMBeforeKiB: 54 << 10, HWMAfterKiB: 54 << 10}}
	pb := &targetReport{Requests: 16, OK: 16, ReqPerSec: 2, MBPerSec: mb(100),
		Memory: &memoryReport{Clients: 16, FileMB: 50, RSSBeforeKiB: 46 << 10, PeakRSSKiB: 900 << 10, Samples: 100, HWMBeforeKiB: 150 << 10, HWMAfterKiB: 1286 << 10}}
	r := &benchReport{PocketBase: pocketbaseVersion, Scenarios: []scenarioReport{newScenarioReport("upload-memory", "durable", lb, nil, pb)}}
	var buf bytes.Buffer
	r.writeTable(&buf)
	out := buf.String()
	for _, want := range []string{
		"upload-memory       | durable      |        8    0.00    0.00 |      n/a                 |        2    0.00    0.00 |   n/a  4.00",
		"upload-memory       | durable      |       8.0     400.0 |       2.0     100.0 |  4.00",
		"lumbung    |       40.0      42.0       2.0 |       54.0      54.0 |     100 | 16 of 16",
		// the uploads raised PocketBase's VmHWM above the sampled peak
		"pocketbase |       46.0     900.0    1240.0 |      150.0    1286.0 |     100 | 16 of 16",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no line\n%s\nin\n%s", want, out)
		}
	}
}
