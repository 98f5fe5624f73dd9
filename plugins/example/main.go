// Command example is Lumbung with a plugin of its own: the lumbung
// command (serve, superuser, migrate, ...) plus a route that greets the
// caller, GET /api/example/hello, a hook that refuses records whose
// title contains "spam" in any collection with a title field, and a
// daily cron job.
//
//	go run ./plugins/example serve
package main

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/command"
)

func init() { plugins.Register(hello{}) }

func main() { command.Main() } // serve, superuser, migrate, ... as lumbung

// hello is the example plugin.
type hello struct{}

func (hello) ID() string { return "example" }

func (hello) Register(host plugins.Host) error {
	host.Route(api.Route{Method: "GET", Path: "/example/hello", Access: api.Public,
		Summary: "Greet the caller.", Handler: func(c *fiber.Ctx) error {
			name := "guest"
			if rec := api.AuthRecordOf(c); rec != nil {
				name, _ = rec.Data["email"].(string)
			}
			return c.JSON(fiber.Map{"message": "hello " + name})
		}})
	host.Hooks().OnRecordCreate().BindFunc(func(e *collections.RecordEvent) error {
		if title, _ := e.Record.Data["title"].(string); strings.Contains(strings.ToLower(title), "spam") {
			return collections.Invalid("Failed to create record.", map[string]collections.FieldError{
				"title": {Code: "validation_spam", Message: "Titles cannot contain spam."}})
		}
		return e.Next()
	})
	// Daily at midnight UTC, once across the nodes (GET /api/crons lists it).
	return host.Cron().Add("example.daily", "@daily", func(ctx context.Context) error {
		host.Logger().InfoContext(ctx, "a day went by")
		return nil
	})
}
