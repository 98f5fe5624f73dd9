package main

import (
	"context"
	"math/rand/v2"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// target is one server under load.
type target struct {
	name     string // "lumbung", "baseline" or "pocketbase"
	addr     string
	auth     string // Authorization header, empty for none
	roleAuth string // Authorization header of role scenarios, empty for none
	// roles reports whether the target serves the role scenarios: Lumbung
	// as a role member, the baseline without any access check (the answers
	// are the same), PocketBase not at all (it has no roles).
	roles bool
	env   *scenarioEnv // its collection's records path and seeded ids
	// serverPID is the server's own process, 0 when it runs in this one;
	// postgres reports whether it uses the shared PostgreSQL.
	serverPID int
	postgres  bool
	// files is the target's files collection, nil where it stores no
	// files (the baseline) or no file scenario runs.
	files *fileSet
	// hooksDir is the folder the server reads JS hooks from, watched
	// while it runs; "" where it runs none or create-jshook is not run.
	hooksDir string
	// webhooks receives the deliveries of create-webhook's webhook; nil
	// where the server has no webhooks or the scenario is not run.
	webhooks *webhookReceiver
	client   *fasthttp.HostClient
}

func newTarget(name, addr, auth string, env *scenarioEnv, concurrency int) *target {
	return &target{name: name, addr: addr, auth: auth, env: env, client: &fasthttp.HostClient{
		Addr:         addr,
		MaxConns:     concurrency,
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
	}}
}

// supports reports whether t serves s's requests.
func (t *target) supports(s scenario) bool {
	if s.serves != nil {
		return s.serves(t)
	}
	if s.files {
		return t.files != nil
	}
	return s.roleOf == "" || t.roles
}

// authFor returns the Authorization header of s's requests to t.
func (t *target) authFor(s scenario) string {
	if s.roleOf != "" {
		return t.roleAuth
	}
	return t.auth
}

// scenario is one kind of request, built the same way for every target.
type scenario struct {
	name   string
	method string
	// roleOf, if set, names the scenario whose requests this one repeats
	// with the token of a role member (target.roleAuth) instead of the
	// superuser's.
	roleOf string
	// path returns the request URI for one request.
	path func(env *scenarioEnv, rnd *rand.Rand) string
	// body, if set, appends the JSON body of one request to buf.
	body func(rnd *rand.Rand, buf []byte) []byte

	// files marks the scenarios of the files collection: they run against
	// the targets that store files (target.files), not the baseline, and
	// are not compared before the runs.
	files bool
	// request, if set, writes the i-th request (from 0) of a run to t in
	// place of path and body: the method, URI, content type and body.
	request func(t *target, i int, req *fasthttp.Request)
	// bounds, if set, returns the bounds of the warm-up and of the run
	// against t in place of -warmup, -duration and -requests; a warm-up
	// of no time or no requests is skipped.
	bounds func(t *target, cfg config) (warm, run runBounds)
	// run, if set, measures the scenario against t in place of load (no
	// warm-up), and may report the server's memory.
	run func(ctx context.Context, t *target, cfg config) (*loadResult, *memoryReport)
	// payload, if set, returns the file bytes one request carries: the
	// report adds MB/s.
	payload func(cfg config) int64
	// serves, if set, reports whether t serves the scenario, in place of
	// the rules of the role and file scenarios.
	serves func(t *target) bool
	// prepare, if set, readies t for the scenario before its warm-up (a
	// hook file, a webhook); the fixture it returns takes it back after
	// the run. Scenarios with a fixture are not compared before the runs.
	prepare func(ctx context.Context, t *target, cfg config) (*fixture, error)
}

// fixture is what a scenario set up on a target for its run.
type fixture struct {
	// beforeRun, if set, runs between the warm-up and the measured run.
	beforeRun func(ctx context.Context) error
	// afterRun runs once the measured run is over (its load stopped at
	// end), whatever happened: it may add to the run's report and undoes
	// what was set up.
	afterRun func(ctx context.Context, res *loadResult, end time.Time, tr *targetReport) error
}

// runBounds bound one warm-up or run: whichever comes first.
type runBounds struct {
	duration time.Duration
	requests int
}

// scenarioEnv is what requests are built from.
type scenarioEnv struct {
	collection string   // the bench collection's name
	records    string   // "/api/collections/<name>/records"
	ids        []string // seeded record ids
}

// filterCategory is the category the list-filter scenario asks for.
const filterCategory = "c3"

var scenarios = []scenario{
	{name: "list", method: fasthttp.MethodGet, path: listPath},
	{name: "list-role", method: fasthttp.MethodGet, roleOf: "list", path: listPath},
	{name: "list-skipTotal", method: fasthttp.MethodGet, path: skipTotalPath},
	{name: "list-skipTotal-role", method: fasthttp.MethodGet, roleOf: "list-skipTotal", path: skipTotalPath},
	{name: "list-filter", method: fasthttp.MethodGet, path: func(e *scenarioEnv, _ *rand.Rand) string {
		return e.records + "?perPage=30&filter=" + url.QueryEscape("category='"+filterCategory+"'")
	}},
	// list-count asks for a total Lumbung has not kept: each request's
	// filter is new (and true for every record), so both targets count.
	{name: "list-count", method: fasthttp.MethodGet, path: countPath},
	{name: "list-count-role", method: fasthttp.MethodGet, roleOf: "list-count", path: countPath},
	{name: "view", method: fasthttp.MethodGet, path: viewPath},
	{name: "view-role", method: fasthttp.MethodGet, roleOf: "view", path: viewPath},
	// create runs last: it grows the table the other scenarios read.
	{name: "create", method: fasthttp.MethodPost, path: createPath, body: createBody},
	// create with a JS hook, and with a webhook (scenario_hooks.go,
	// scenario_webhook.go): the same requests.
	createJSHookScenario,
	createWebhookScenario,
	// The file scenarios (scenario_files.go) use their own collection and
	// run after the others.
	uploadScenario,
	thumbColdScenario,
	thumbCachedScenario,
	uploadMemoryScenario,
}

func listPath(e *scenarioEnv, _ *rand.Rand) string { return e.records + "?perPage=30" }

func createPath(e *scenarioEnv, _ *rand.Rand) string { return e.records }

// createBody appends the JSON of a new bench record to buf.
func createBody(rnd *rand.Rand, buf []byte) []byte {
	n := rnd.IntN(1_000_000)
	buf = append(buf, `{"title":"Created `...)
	buf = strconv.AppendInt(buf, int64(n), 10)
	buf = append(buf, `","category":"c`...)
	buf = strconv.AppendInt(buf, int64(n%categoryCount), 10)
	buf = append(buf, `","score":`...)
	buf = strconv.AppendInt(buf, int64(n%1000), 10)
	buf = append(buf, `,"published":`...)
	buf = strconv.AppendBool(buf, n%2 == 0)
	return append(buf, '}')
}

func countPath(e *scenarioEnv, rnd *rand.Rand) string {
	return e.records + "?perPage=30&filter=" + url.QueryEscape("title!='none "+strconv.FormatUint(rnd.Uint64(), 36)+"'")
}

func viewPath(e *scenarioEnv, rnd *rand.Rand) string {
	return e.records + "/" + e.ids[rnd.IntN(len(e.ids))]
}

// scenarioNames lists the scenarios in the order they run.
func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

func scenarioByName(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// loadResult is what one bounded run of one scenario against one target saw.
type loadResult struct {
	sent      int             // requests that got an answer or a transport error
	ok        int             // answered 200
	statuses  map[int]int     // other statuses; 0 counts transport errors
	firstErr  string          // the first unexpected answer
	latencies []time.Duration // of the 200 answers, sorted
	elapsed   time.Duration
}

// errors counts requests that did not get 200.
func (r *loadResult) errors() int { return r.sent - r.ok }

// load sends s to t from concurrency workers until duration has passed, limit
// requests were sent or ctx ends, and returns what came back.
func load(ctx context.Context, t *target, s scenario, concurrency int, duration time.Duration, limit int) *loadResult {
	runtime.GC() // garbage from the previous run is not this run's cost
	var (
		issued   atomic.Int64
		mu       sync.Mutex
		wg       sync.WaitGroup
		res      = &loadResult{statuses: map[int]int{}}
		start    = time.Now()
		deadline = start.Add(duration)
		seed     = uint64(start.UnixNano())
		auth     = t.authFor(s)
	)
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(w)))
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			var body []byte
			lat := make([]time.Duration, 0, 1024)
			sent, ok := 0, 0
			statuses := map[int]int{}
			firstErr := ""
			for ctx.Err() == nil && time.Now().Before(deadline) {
				i := issued.Add(1)
				if i > int64(limit) {
					break
				}
				req.Reset()
				if s.request != nil {
					s.request(t, int(i-1), req)
				} else {
					req.Header.SetMethod(s.method)
					req.SetRequestURI(s.path(t.env, rnd))
				}
				req.Header.SetHost(t.addr)
				if auth != "" {
					req.Header.Set(fasthttp.HeaderAuthorization, auth)
				}
				if s.body != nil {
					body = s.body(rnd, body[:0])
					req.Header.SetContentType("application/json")
					req.SetBodyRaw(body)
				}
				began := time.Now()
				err := t.client.DoTimeout(req, resp, 30*time.Second)
				took := time.Since(began)
				sent++
				switch {
				case err != nil:
					statuses[0]++
					if firstErr == "" {
						firstErr = s.method + " " + string(req.RequestURI()) + ": " + err.Error()
					}
				case resp.StatusCode() != fasthttp.StatusOK:
					statuses[resp.StatusCode()]++
					if firstErr == "" {
						firstErr = s.method + " " + string(req.RequestURI()) + ": " + strconv.Itoa(resp.StatusCode()) + " " + truncate(string(resp.Body()), 300)
					}
				default:
					ok++
					lat = append(lat, took)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.sent += sent
			res.ok += ok
			res.latencies = append(res.latencies, lat...)
			for k, v := range statuses {
				res.statuses[k] += v
			}
			if res.firstErr == "" {
				res.firstErr = firstErr
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func skipTotalPath(e *scenarioEnv, _ *rand.Rand) string {
	return e.records + "?perPage=30&skipTotal=true"
}
