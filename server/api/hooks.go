package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins/hook"
	"github.com/lumbunghq/lumbung/server/auth"
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
	request    hook.Hook[*RequestEvent]

	recordsListRequest, recordViewRequest                         hook.Hook[*RecordRequestEvent]
	recordCreateRequest, recordUpdateRequest, recordDeleteRequest hook.Hook[*RecordRequestEvent]
}

// OnRecordAuth runs before a token is issued to a record; returning an
// error refuses the sign-in with it (a domain error such as
// collections.Errorf(collections.EFORBIDDEN, …) answers as it says).
func (h *Hooks) OnRecordAuth(tags ...string) *hook.TaggedHook[*AuthEvent] {
	return hook.NewTaggedHook(&h.recordAuth, tags...)
}

// The requests PocketBase gives request hooks beside the records API's,
// by the names of those hooks (on<Name>Request): the auth flows, files,
// collections, settings and batches.
const (
	RequestAuthWithPassword     = "RecordAuthWithPassword"
	RequestAuthWithOAuth2       = "RecordAuthWithOAuth2"
	RequestAuthWithOTP          = "RecordAuthWithOTP"
	RequestAuthRefresh          = "RecordAuthRefresh"
	RequestOTP                  = "RecordRequestOTP"
	RequestVerification         = "RecordRequestVerification"
	RequestConfirmVerification  = "RecordConfirmVerification"
	RequestPasswordReset        = "RecordRequestPasswordReset"
	RequestConfirmPasswordReset = "RecordConfirmPasswordReset"
	RequestEmailChange          = "RecordRequestEmailChange"
	RequestConfirmEmailChange   = "RecordConfirmEmailChange"
	RequestFileDownload         = "FileDownload"
	RequestFileToken            = "FileToken"
	RequestCollectionsList      = "CollectionsList"
	RequestCollectionView       = "CollectionView"
	RequestCollectionCreate     = "CollectionCreate"
	RequestCollectionUpdate     = "CollectionUpdate"
	RequestCollectionDelete     = "CollectionDelete"
	RequestCollectionsImport    = "CollectionsImport"
	RequestSettingsList         = "SettingsList"
	RequestSettingsUpdate       = "SettingsUpdate"
	RequestBatch                = "Batch"
)

// RequestEvent is a request of one of those routes before Lumbung acts on
// it. A handler may refuse it by returning an error, or answer it itself
// instead of calling Next; Next does the route's work and answers.
type RequestEvent struct {
	hook.Event
	Ctx *fiber.Ctx
	// Name is which request it is: one of the Request… names.
	Name string
	// Collection is the collection the URL names, if it names one that
	// exists.
	Collection *collections.Collection
}

// Tags implements hook.Tagger: the collection's id and name, if any.
func (e *RequestEvent) Tags() []string {
	if e.Collection == nil {
		return nil
	}
	return []string{e.Collection.ID, e.Collection.Name}
}

// OnRequest runs before the requests named by the Request… names are
// handled; tags name collections (of the requests whose URL names one).
func (h *Hooks) OnRequest(tags ...string) *hook.TaggedHook[*RequestEvent] {
	return hook.NewTaggedHook(&h.request, tags...)
}

// hooked is handler run through the request hook as name, when it has
// handlers.
func (h *handlers) hooked(name string, handler fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if h.Hooks.request.Length() == 0 {
			return handler(c)
		}
		e := &RequestEvent{Ctx: c, Name: name}
		if p := c.Params("collection"); p != "" {
			e.Collection, _ = h.Collections.Collection(p)
		}
		return h.Hooks.request.Trigger(e, func(*RequestEvent) error { return handler(c) })
	}
}

// authMethod is the sign-in method of a request, "" for other auth
// answers.
func authMethod(c *fiber.Ctx) string {
	if ctx := contextOf(c); ctx != collections.ContextDefault {
		return ctx
	}
	return ""
}

// RecordRequestEvent is a request of the records API before Lumbung acts
// on it: a list, a view, a create, an update or a delete, also each
// create, update and delete of a batch (POST /api/batch). A handler may
// change the event, refuse the request by returning an error, or answer
// it itself instead of calling Next; Next does the rest (the read's
// answer, or the write and its answer), after which the event holds
// what was answered.
type RecordRequestEvent struct {
	hook.Event
	// Ctx is the request. A batch's sub-request has one of its own: the
	// sub-request's method, URL, headers and JSON body with the batch's
	// auth and locals, and no route parameters (read Collection and ID);
	// what a handler answers on it instead of calling Next is the
	// sub-request's result.
	Ctx        *fiber.Ctx
	Collection *collections.Collection
	// ID is the record's id of a view, an update or a delete.
	ID string
	// Record is the record a view answers with (a handler may replace
	// it), and after Next the record a create or update saved.
	Record *collections.Record
	// Records are the records of a list's page (a handler may change or
	// drop some).
	Records []*collections.Record
	// Input is the decoded body of a create or update (a handler may
	// change it before Next).
	Input map[string]any
	// Caller is who asks: the access a handler reads the record of a
	// view, update or delete with.
	Caller collections.Caller
	// Ops are the request's record operations, as the caller: in a batch
	// they are bound to its transaction and see its earlier writes.
	Ops *collections.Records
}

// Tags implements hook.Tagger: the collection's id and name.
func (e *RecordRequestEvent) Tags() []string { return []string{e.Collection.ID, e.Collection.Name} }

// OnRecordsListRequest runs when a list of records was read, before it
// is answered.
func (h *Hooks) OnRecordsListRequest(tags ...string) *hook.TaggedHook[*RecordRequestEvent] {
	return hook.NewTaggedHook(&h.recordsListRequest, tags...)
}

// OnRecordViewRequest runs when a record was read, before it is answered.
func (h *Hooks) OnRecordViewRequest(tags ...string) *hook.TaggedHook[*RecordRequestEvent] {
	return hook.NewTaggedHook(&h.recordViewRequest, tags...)
}

// OnRecordCreateRequest runs when a create's body was read, before the
// record is validated and saved.
func (h *Hooks) OnRecordCreateRequest(tags ...string) *hook.TaggedHook[*RecordRequestEvent] {
	return hook.NewTaggedHook(&h.recordCreateRequest, tags...)
}

// OnRecordUpdateRequest runs when an update's body was read, before the
// record is validated and saved.
func (h *Hooks) OnRecordUpdateRequest(tags ...string) *hook.TaggedHook[*RecordRequestEvent] {
	return hook.NewTaggedHook(&h.recordUpdateRequest, tags...)
}

// OnRecordDeleteRequest runs before a record is deleted by a request.
func (h *Hooks) OnRecordDeleteRequest(tags ...string) *hook.TaggedHook[*RecordRequestEvent] {
	return hook.NewTaggedHook(&h.recordDeleteRequest, tags...)
}

// recordRequest runs the hook of a records request with next, the
// request's work, as its last step; without handlers, next alone.
func (h *handlers) recordRequest(hk *hook.Hook[*RecordRequestEvent], e *RecordRequestEvent, next func(*RecordRequestEvent) error) error {
	if hk.Length() == 0 {
		return next(e)
	}
	e.Caller = auth.CallerFor(identity(e.Ctx), h.Decider)
	if e.Ops == nil {
		e.Ops = h.records(e.Ctx)
	}
	return hk.Trigger(e, next)
}
