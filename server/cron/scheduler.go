package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// Func is the work of a job. Its context ends at shutdown; its error is
// recorded as the run's result.
type Func func(ctx context.Context) error

// Run is one run of a job, as recorded in Runs.
type Run struct {
	Job string
	// Scheduled is the minute the run was due (for a manual run, the
	// time it was asked for).
	Scheduled time.Time
	// Manual runs were asked for (Scheduler.RunNow), not scheduled.
	Manual  bool
	Node    string // the node that ran it
	Started time.Time
	// Finished is zero while the run goes on (or when its node stopped
	// before recording its end).
	Finished time.Time
	// Error is the run's error or recovered panic; "" when it succeeded.
	Error string
}

// Duration is how long the finished run took (0 while it goes on).
func (r Run) Duration() time.Duration {
	if r.Finished.IsZero() {
		return 0
	}
	return r.Finished.Sub(r.Started)
}

// Runs records the runs of jobs where every node sees them (the
// PostgreSQL implementation is in package cron/postgres).
type Runs interface {
	// Claim records that r starts; false when that run (Job, Scheduled,
	// Manual) was claimed already, by this node or another.
	Claim(ctx context.Context, r Run) (bool, error)
	// Finish records the end of the claimed run r.
	Finish(ctx context.Context, r Run) error
	// Last returns the latest started run of each job that has one.
	Last(ctx context.Context) (map[string]Run, error)
	// Prune deletes the runs started before before, except the latest
	// of each job.
	Prune(ctx context.Context, before time.Time) (int64, error)
}

// Config configures a Scheduler.
type Config struct {
	Runs Runs   // required
	Node string // this node's id, recorded with its runs
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// After waits on the clock, as time.After (the default) does.
	After  func(d time.Duration) <-chan time.Time
	Logger *slog.Logger // slog.Default() when nil
	// Keep is how long runs other than each job's latest are kept
	// (7 days when 0).
	Keep time.Duration
	// Observe, when set, is told of each run this node made once it
	// ended (for metrics).
	Observe func(r Run)
}

// Job is a job as the scheduler lists it.
type Job struct {
	ID         string `json:"id"`
	Expression string `json:"expression"`
	// LastRun is the job's latest run on any node, nil before its first.
	LastRun *Run `json:"-"`
}

type job struct {
	id    string
	sched *Schedule
	fn    Func
}

// Scheduler runs jobs at the minutes their schedules say, each scheduled
// minute of a job once across every node sharing its Runs.
type Scheduler struct {
	cfg  Config
	mu   sync.Mutex
	jobs map[string]*job
	ctx  context.Context // the jobs' context, ended by Stop
	stop context.CancelFunc
	runs sync.WaitGroup // runs under way
}

// CleanupJob is the id of the server's own job that runs Cleanup
// hourly. Ids starting with "__" are the server's, listed after the
// others, as PocketBase lists its own.
const CleanupJob = "__lumbungCronRunsCleanup__"

// Cleanup deletes the runs older than Config.Keep, except the latest of
// each job.
func (s *Scheduler) Cleanup(ctx context.Context) error {
	_, err := s.cfg.Runs.Prune(ctx, s.cfg.Now().Add(-s.cfg.Keep))
	return err
}

// New returns a scheduler without jobs.
func New(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 7 * 24 * time.Hour
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Scheduler{cfg: cfg, jobs: map[string]*job{}, ctx: ctx, stop: stop}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,100}$`)

// Add schedules fn under id at the minutes expr says. It refuses a
// malformed id or expression and an id already added.
func (s *Scheduler) Add(id, expr string, fn Func) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("cron job %q: an id is 1 to 100 letters, digits, '_', '.', ':' or '-'", id)
	}
	if fn == nil {
		return fmt.Errorf("cron job %q: no function", id)
	}
	sched, err := Parse(expr)
	if err != nil {
		return fmt.Errorf("cron job %q: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[id]; dup {
		return fmt.Errorf("cron job %q is added already", id)
	}
	s.jobs[id] = &job{id: id, sched: sched, fn: fn}
	return nil
}

// Remove unschedules the job id (a run under way goes on); it reports
// whether there was one.
func (s *Scheduler) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.jobs[id]
	delete(s.jobs, id)
	return ok
}

// Jobs returns the jobs in id order, the server's own ("__…") last, with
// their latest runs.
func (s *Scheduler) Jobs(ctx context.Context) ([]Job, error) {
	last, err := s.cfg.Runs.Last(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	out := make([]Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		item := Job{ID: j.id, Expression: j.sched.String()}
		if r, ok := last[j.id]; ok {
			item.LastRun = &r
		}
		out = append(out, item)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Job) int {
		if sa, sb := strings.HasPrefix(a.ID, "__"), strings.HasPrefix(b.ID, "__"); sa != sb {
			if sa {
				return 1
			}
			return -1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RunNow runs the job id at once, in the background, whatever its
// schedule (on this node, and recorded as a manual run). An unknown id is
// a not-found error.
func (s *Scheduler) RunNow(id string) error {
	s.mu.Lock()
	j, ok := s.jobs[id]
	s.mu.Unlock()
	if !ok {
		return collections.Errorf(collections.ENOTFOUND, "Missing or invalid cron job.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return errors.New("cron: the scheduler is stopped")
	}
	s.runs.Go(func() { s.run(s.ctx, j, s.cfg.Now(), true) })
	return nil
}

// Tick runs every job due at the minute of t (each once across the
// nodes sharing Runs) and returns when those runs ended. Run calls it
// each minute; tests call it with the minutes they choose.
func (s *Scheduler) Tick(t time.Time) {
	minute := t.UTC().Truncate(time.Minute)
	s.mu.Lock()
	var due []*job
	for _, j := range s.jobs {
		if j.sched.Due(minute) {
			due = append(due, j)
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, j := range due {
		wg.Go(func() { s.run(s.ctx, j, minute, false) })
	}
	wg.Wait()
}

// Run ticks at the start of every minute of the clock until ctx ends,
// then ends the jobs' context and waits for the runs under way.
func (s *Scheduler) Run(ctx context.Context) error {
	defer s.Stop()
	for {
		now := s.cfg.Now()
		next := now.Truncate(time.Minute).Add(time.Minute)
		select {
		case <-ctx.Done():
			return nil
		case <-s.cfg.After(next.Sub(now)):
		}
		s.runs.Go(func() { s.Tick(next) })
	}
}

// Stop ends the jobs' context and waits for the runs under way; later
// runs are refused.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.stop()
	s.mu.Unlock()
	s.runs.Wait()
}

// run claims the run of j at (a minute, or the time of a manual run),
// runs it if the claim is this node's, and records its end.
func (s *Scheduler) run(ctx context.Context, j *job, at time.Time, manual bool) {
	r := Run{Job: j.id, Scheduled: at, Manual: manual, Node: s.cfg.Node, Started: s.cfg.Now()}
	log := s.cfg.Logger.With("job", j.id, "scheduled", at, "manual", manual)
	ok, err := s.cfg.Runs.Claim(ctx, r)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("cron: claim run", "err", err)
		}
		return
	}
	if !ok {
		return // another node runs it
	}
	err = call(ctx, j.fn)
	r.Finished = s.cfg.Now()
	if err != nil {
		r.Error = err.Error()
		var p *panicError
		if errors.As(err, &p) {
			log.Error("cron job panicked", "err", err, "stack", string(p.stack))
		} else {
			log.Error("cron job failed", "err", err, "took", r.Duration())
		}
	} else {
		log.Debug("cron job done", "took", r.Duration())
	}
	if err := s.cfg.Runs.Finish(context.WithoutCancel(ctx), r); err != nil {
		log.Error("cron: record run", "err", err)
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(r)
	}
}

// call runs fn, turning a panic into an error that keeps its stack.
func call(ctx context.Context, fn Func) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}

// panicError is a job's recovered panic.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }
