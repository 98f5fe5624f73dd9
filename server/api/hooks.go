package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins/hook"
)

// AuthEvent is a record about to receive an auth token: a sign-in (with
// a password, OAuth2 or a one-time password), a refresh, the first
// superuser's setup or an impersonation.
type AuthEvent struct {
	hook.Event
	Ctx        *fiber.Ctx
	Collection *collections.Collection
	Record     *collections.Record
	// Method is how the record signs in ("password", "oauth2", "otp"),
	// or "" for a refresh, a setup or an impersonation.
	Method string
}

// Tags implements hook.Tagger: the collection's id and name.
func (e *AuthEvent) Tags() []string { return []string{e.Collection.ID, e.Collection.Name} }

// Hooks are the hook points of the HTTP API.
type Hooks struct {
	recordAuth hook.Hook[*AuthEvent]
}

// OnRecordAuth runs before a token is issued to a record; returning an
// error refuses the sign-in with it (a domain error such as
// collections.Errorf(collections.EFORBIDDEN, …) answers as it says).
func (h *Hooks) OnRecordAuth(tags ...string) *hook.TaggedHook[*AuthEvent] {
	return hook.NewTaggedHook(&h.recordAuth, tags...)
}

// authMethod is the sign-in method of a request, "" for other auth
// answers.
func authMethod(c *fiber.Ctx) string {
	if ctx := contextOf(c); ctx != collections.ContextDefault {
		return ctx
	}
	return ""
}
