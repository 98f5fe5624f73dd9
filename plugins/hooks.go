package plugins

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins/hook"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/realtime"
)

// Hooks are the server's hook points, gathered from the packages that
// trigger them: records and collections (OnRecordCreate, … promoted from
// the embedded collections.Hooks), sign-ins (API.OnRecordAuth), realtime
// (Realtime.OnRealtimeConnect, Realtime.OnRealtimeSubscribe), mail
// (Mail.OnMailSend), and the server's own start and stop (OnServe,
// OnTerminate).
type Hooks struct {
	*collections.Hooks
	API      *api.Hooks
	Realtime *realtime.Hooks
	Mail     *mail.Hooks

	serve     hook.Hook[*ServeEvent]
	terminate hook.Hook[*TerminateEvent]
}

// ServeEvent is the server about to accept connections.
type ServeEvent struct {
	hook.Event
	Context context.Context
	// App is the HTTP application: a hook may add middleware or routes
	// outside /api (routes under /api are added with Host.Route).
	App *fiber.App
	// Addr is the address the server listens on.
	Addr string
}

// TerminateEvent is the server shutting down: in-flight requests have
// finished.
type TerminateEvent struct {
	hook.Event
	Context context.Context
}

// OnServe runs once the server listens, before it accepts connections.
// Returning an error stops the server.
func (h *Hooks) OnServe() *hook.Hook[*ServeEvent] { return &h.serve }

// OnTerminate runs when the server shuts down.
func (h *Hooks) OnTerminate() *hook.Hook[*TerminateEvent] { return &h.terminate }
