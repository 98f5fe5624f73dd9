package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/server/cron"
)

// Crons are the server's cron jobs, as /api/crons serves them (see
// cron.Scheduler).
type Crons interface {
	Jobs(ctx context.Context) ([]cron.Job, error)
	RunNow(id string) error
}

var _ Crons = (*cron.Scheduler)(nil)

func (h *handlers) cronRoutes() []Route {
	if h.Crons == nil {
		return nil
	}
	return []Route{
		{Method: fiber.MethodGet, Path: "/crons", Access: Superusers, Handler: h.listCrons, Summary: "List the cron jobs with their latest runs"},
		{Method: fiber.MethodPost, Path: "/crons/:id", Access: Superusers, Handler: h.runCron, Summary: "Run a cron job now, in the background"},
	}
}

// cronJSON is a job as GET /api/crons answers it: PocketBase's id and
// expression, and Lumbung's latest run (null before the first).
type cronJSON struct {
	ID         string       `json:"id"`
	Expression string       `json:"expression"`
	LastRun    *cronRunJSON `json:"lastRun"`
}

// cronRunJSON is a run of a job. Finished is "" and Duration 0 while it
// goes on; Error is "" when it succeeded.
type cronRunJSON struct {
	Scheduled string  `json:"scheduled"`
	Started   string  `json:"started"`
	Finished  string  `json:"finished"`
	Duration  float64 `json:"duration"` // milliseconds
	Error     string  `json:"error"`
	Manual    bool    `json:"manual"`
	Node      string  `json:"node"`
}

// cronTime formats t as PocketBase formats dates ("" for the zero time).
func cronTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}

// listCrons answers the jobs in id order, as PocketBase lists them.
func (h *handlers) listCrons(c *fiber.Ctx) error {
	jobs, err := h.Crons.Jobs(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]cronJSON, len(jobs))
	for i, j := range jobs {
		out[i] = cronJSON{ID: j.ID, Expression: j.Expression}
		if r := j.LastRun; r != nil {
			out[i].LastRun = &cronRunJSON{Scheduled: cronTime(r.Scheduled), Started: cronTime(r.Started), Finished: cronTime(r.Finished),
				Duration: float64(r.Duration().Microseconds()) / 1000, Error: r.Error, Manual: r.Manual, Node: r.Node}
		}
	}
	return c.JSON(out)
}

// runCron starts the job in the background and answers 204 at once; an
// unknown job is a 404.
func (h *handlers) runCron(c *fiber.Ctx) error {
	if err := h.Crons.RunNow(c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
