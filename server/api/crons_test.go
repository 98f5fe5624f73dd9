package api_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server"
)

// cronPlugin adds cron jobs from Register.
type cronPlugin struct{ add func(plugins.Host) error }

func (cronPlugin) ID() string                         { return "crons" }
func (p cronPlugin) Register(host plugins.Host) error { return p.add(host) }

func TestCrons(t *testing.T) {
	t.Parallel()
	ran := make(chan struct{}, 1)
	e := MustEnv(t, func(cfg *server.Config) {
		cfg.Plugins = []plugins.Plugin{cronPlugin{add: func(h plugins.Host) error {
			if err := h.Cron().Add("report", "0 3 * * MON", func(context.Context) error {
				ran <- struct{}{}
				return errors.New("no recipients")
			}); err != nil {
				return err
			}
			if err := h.Cron().Add("cleanup", "@hourly", func(context.Context) error { return nil }); err != nil {
				return err
			}
			if err := h.Cron().Add("cleanup", "@daily", func(context.Context) error { return nil }); err == nil {
				return errors.New("a duplicate id was accepted")
			}
			return nil
		}}}
	})
	MustUser(t, e, "ada@example.com", "ada password")
	user := MustSignIn(t, e, "users", "ada@example.com", "ada password")
	e.Run(t, []scenario{
		{Name: "guest list", Method: "GET", URL: "/api/crons", Token: "-", ExpectedStatus: 401},
		{Name: "user list", Method: "GET", URL: "/api/crons", Token: user, ExpectedStatus: 403},
		{Name: "guest run", Method: "POST", URL: "/api/crons/report", Token: "-", ExpectedStatus: 401},
		{Name: "user run", Method: "POST", URL: "/api/crons/report", Token: user, ExpectedStatus: 403},
		{Name: "list", Method: "GET", URL: "/api/crons", ExpectedStatus: 200, ExpectedContent: []string{
			`[{"id":"cleanup","expression":"@hourly","lastRun":null},{"id":"report","expression":"0 3 * * MON","lastRun":null},{"id":"__lumbungCronRunsCleanup__","expression":"@hourly","lastRun":null},{"id":"__lumbungFilesSweep__","expression":"@hourly","lastRun":null}]`}},
		{Name: "unknown", Method: "POST", URL: "/api/crons/nope", ExpectedStatus: 404, ExpectedContent: []string{`"message":"Missing or invalid cron job."`}},
	})
	select {
	case <-ran:
		t.Fatal("ran before it was asked")
	default:
	}
	e.MustJSON("POST", "/api/crons/report", "", "", 204, nil)
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("POST /api/crons/report did not run the job")
	}
	type job struct {
		ID      string
		LastRun *struct {
			Started, Finished, Error, Node string
			Manual                         bool
			Duration                       float64
		}
	}
	var jobs []job
	for range 200 { // until the run's end is recorded
		e.MustJSON("GET", "/api/crons", "", "", 200, &jobs)
		if len(jobs) == 3 && jobs[1].LastRun != nil && jobs[1].LastRun.Finished != "" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := jobs[1].LastRun; jobs[1].ID != "report" || r == nil || r.Error != "no recipients" || !r.Manual || r.Node == "" || r.Started == "" || r.Duration < 0 {
		t.Errorf("after the run: %+v", jobs)
	}
	if jobs[0].LastRun != nil {
		t.Errorf("cleanup ran: %+v", jobs[0].LastRun)
	}
	// The node counts its runs (told once the run is recorded).
	var runs float64
	for range 200 {
		if runs = cronRunsMetric(t, e, "report", "error"); runs == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if runs != 1 {
		t.Errorf("lumbung_cron_runs_total{job=report,result=error} = %v, want 1", runs)
	}
}

// cronRunsMetric reads lumbung_cron_runs_total of job and result from
// e's registry (0 when there is none).
func cronRunsMetric(tb testing.TB, e *env, job, result string) float64 {
	tb.Helper()
	families, err := e.srv.Registry().Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "lumbung_cron_runs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["job"] == job && labels["result"] == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
