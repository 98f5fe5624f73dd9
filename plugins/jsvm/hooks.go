package jsvm

import (
	"context"
	"slices"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/plugins/hook"
	"github.com/lumbunghq/lumbung/server/api"
	lmail "github.com/lumbunghq/lumbung/server/mail"
)

// binder binds the dispatcher of one JS hook name on the server's hooks
// and returns its unbinding.
type binder func(r *runner, name string) (unbind func())

// hookBinders are the PocketBase hooks scripts may bind, by their JS
// name, onto Lumbung's hook points. PocketBase's *Execute hooks run
// right before the write, as Lumbung's before-hooks do: both names bind
// there.
var hookBinders = map[string]binder{
	"onRecordCreate":             recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordCreate() }),
	"onRecordCreateExecute":      recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordCreate() }),
	"onRecordUpdate":             recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordUpdate() }),
	"onRecordUpdateExecute":      recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordUpdate() }),
	"onRecordDelete":             recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordDelete() }),
	"onRecordDeleteExecute":      recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordDelete() }),
	"onRecordAfterCreateSuccess": recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordAfterCreate() }),
	"onRecordAfterUpdateSuccess": recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordAfterUpdate() }),
	"onRecordAfterDeleteSuccess": recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordAfterDelete() }),
	"onRecordAfterCreateError":   recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordAfterCreateError() }),
	"onRecordAfterUpdateError":   recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordAfterUpdateError() }),
	"onRecordAfterDeleteError":   recordHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent] { return h.OnRecordAfterDeleteError() }),
	"onRecordEnrich":             enrichHook,
	"onRecordAuthRequest":        authHook,
	"onRecordsListRequest":       requestHook(func(h *plugins.Hooks) *hook.TaggedHook[*api.RecordRequestEvent] { return h.API.OnRecordsListRequest() }),
	"onRecordViewRequest":        requestHook(func(h *plugins.Hooks) *hook.TaggedHook[*api.RecordRequestEvent] { return h.API.OnRecordViewRequest() }),
	"onRecordCreateRequest":      requestHook(func(h *plugins.Hooks) *hook.TaggedHook[*api.RecordRequestEvent] { return h.API.OnRecordCreateRequest() }),
	"onRecordUpdateRequest":      requestHook(func(h *plugins.Hooks) *hook.TaggedHook[*api.RecordRequestEvent] { return h.API.OnRecordUpdateRequest() }),
	"onRecordDeleteRequest":      requestHook(func(h *plugins.Hooks) *hook.TaggedHook[*api.RecordRequestEvent] { return h.API.OnRecordDeleteRequest() }),
	"onRecordValidate":           validateHook,
	"onCollectionCreate":         collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] { return h.OnCollectionCreate() }),
	"onCollectionCreateExecute":  collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] { return h.OnCollectionCreate() }),
	"onCollectionUpdate":         collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] { return h.OnCollectionUpdate() }),
	"onCollectionUpdateExecute":  collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] { return h.OnCollectionUpdate() }),
	"onCollectionDelete":         collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] { return h.OnCollectionDelete() }),
	"onCollectionDeleteExecute":  collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] { return h.OnCollectionDelete() }),
	"onCollectionAfterCreateSuccess": collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] {
		return h.OnCollectionAfterCreate()
	}),
	"onCollectionAfterUpdateSuccess": collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] {
		return h.OnCollectionAfterUpdate()
	}),
	"onCollectionAfterDeleteSuccess": collectionHook(func(h *plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent] {
		return h.OnCollectionAfterDelete()
	}),
	"onMailerSend":               mailerSendHook,
	"onTerminate":                terminateHook,
	"onRealtimeConnectRequest":   realtimeConnectHook,
	"onRealtimeSubscribeRequest": realtimeSubscribeHook,
	"onBootstrap":                func(*runner, string) func() { return func() {} }, // run by the runner when scripts load
}

// requestHooks are the API's requests with a PocketBase request hook
// (on<Name>Request) beside the records API's.
var requestHooks = []string{
	api.RequestAuthWithPassword,
	api.RequestAuthWithOAuth2,
	api.RequestAuthWithOTP,
	api.RequestAuthRefresh,
	api.RequestOTP,
	api.RequestVerification,
	api.RequestConfirmVerification,
	api.RequestPasswordReset,
	api.RequestConfirmPasswordReset,
	api.RequestEmailChange,
	api.RequestConfirmEmailChange,
	api.RequestFileDownload,
	api.RequestFileToken,
	api.RequestCollectionsList,
	api.RequestCollectionView,
	api.RequestCollectionCreate,
	api.RequestCollectionUpdate,
	api.RequestCollectionDelete,
	api.RequestCollectionsImport,
	api.RequestSettingsList,
	api.RequestSettingsUpdate,
	api.RequestBatch,
}

func init() {
	for _, name := range requestHooks {
		hookBinders["on"+name+"Request"] = requestNameHook(name)
		hookNames = append(hookNames, "on"+name+"Request")
	}
}

// hookNames are the names of hookBinders (which refer to the code that
// declares them).
var hookNames = []string{
	"onRecordCreate", "onRecordCreateExecute", "onRecordUpdate", "onRecordUpdateExecute",
	"onRecordDelete", "onRecordDeleteExecute", "onRecordAfterCreateSuccess", "onRecordAfterUpdateSuccess",
	"onRecordAfterDeleteSuccess", "onRecordAfterCreateError", "onRecordAfterUpdateError", "onRecordAfterDeleteError", "onRecordEnrich", "onRecordAuthRequest",
	"onRecordsListRequest", "onRecordViewRequest", "onRecordCreateRequest", "onRecordUpdateRequest", "onRecordDeleteRequest",
	"onRecordValidate", "onMailerSend", "onTerminate", "onBootstrap", "onRealtimeConnectRequest", "onRealtimeSubscribeRequest",
	"onCollectionCreate", "onCollectionCreateExecute", "onCollectionUpdate", "onCollectionUpdateExecute",
	"onCollectionDelete", "onCollectionDeleteExecute", "onCollectionAfterCreateSuccess",
	"onCollectionAfterUpdateSuccess", "onCollectionAfterDeleteSuccess",
}

// unsupportedHooks are PocketBase hooks Lumbung has no point for: a
// script binding one loads, with a warning, and the handler never runs.
var unsupportedHooks = []string{
	"onServe", "onBackupCreate", "onBackupRestore",
	"onModelValidate", "onModelCreate", "onModelCreateExecute", "onModelAfterCreateSuccess", "onModelAfterCreateError",
	"onModelUpdate", "onModelUpdateExecute", "onModelAfterUpdateSuccess", "onModelAfterUpdateError",
	"onModelDelete", "onModelDeleteExecute", "onModelAfterDeleteSuccess", "onModelAfterDeleteError",
	"onCollectionValidate", "onCollectionAfterCreateError", "onCollectionAfterUpdateError", "onCollectionAfterDeleteError",
	"onMailerRecordAuthAlertSend", "onMailerRecordPasswordResetSend", "onMailerRecordVerificationSend",
	"onMailerRecordEmailChangeSend", "onMailerRecordOTPSend",
	"onRealtimeMessageSend", "onSettingsReload",
}

// bindHook binds the dispatcher of hook name.
func bindHook(r *runner, name string) func() { return hookBinders[name](r, name) }

// bindHooks adds on<Hook>(handler, ...tags) for every hook: a handler of
// a supported one is declared (tags are collection names or ids), one of
// an unsupported one is ignored with a warning.
func (st *vmState) bindHooks() {
	for _, name := range hookNames {
		st.vm.Set(name, func(call goja.FunctionCall) goja.Value {
			st.declaring(name)
			fn, ok := goja.AssertFunction(call.Argument(0))
			if !ok {
				panic(st.vm.NewTypeError("%s: the handler must be a function", name))
			}
			var tags []string
			for _, a := range call.Arguments[1:] {
				tags = append(tags, a.String())
			}
			st.regs.hooks = append(st.regs.hooks, jsHook{name: name, tags: tags, fn: fn})
			return goja.Undefined()
		})
	}
	for _, name := range unsupportedHooks {
		if slices.Contains(hookNames, name) {
			continue
		}
		st.vm.Set(name, func(call goja.FunctionCall) goja.Value {
			st.warn(name, "JS hook not supported by Lumbung: its handler never runs", "hook", name, "at", st.caller())
			return goja.Undefined()
		})
	}
}

func recordHook(get func(*plugins.Hooks) *hook.TaggedHook[*collections.RecordEvent]) binder {
	return func(r *runner, name string) func() {
		th := get(r.host.Hooks())
		id := th.BindFunc(func(e *collections.RecordEvent) error { return r.onRecord(name, e) })
		return func() { th.Unbind(id) }
	}
}

// collectionHook binds the dispatcher of a collection hook: e.collection
// is the collection as it will be (as it was, for a delete), to read;
// a before-hook's throw refuses the change, and its $app writes in the
// schema change's transaction.
func collectionHook(get func(*plugins.Hooks) *hook.TaggedHook[*collections.CollectionEvent]) binder {
	return func(r *runner, name string) func() {
		th := get(r.host.Hooks())
		id := th.BindFunc(func(e *collections.CollectionEvent) error {
			return r.dispatch(name, e.Tags(), e.Context, e.Records, e.Next, func(st *vmState, ev *goja.Object) error {
				st.setCollection(ev, e.Collection)
				return nil
			})
		})
		return func() { th.Unbind(id) }
	}
}

// validateHook binds onRecordValidate before the write of a create and
// of an update, where Lumbung has checked the record's values: a handler
// refuses the record by throwing (a BadRequestError, with ValidationErrors of fields in its data,
// answers 400).
func validateHook(r *runner, name string) func() {
	h := r.host.Hooks()
	creates := h.OnRecordCreate().BindFunc(func(e *collections.RecordEvent) error { return r.onRecord(name, e) })
	updates := h.OnRecordUpdate().BindFunc(func(e *collections.RecordEvent) error { return r.onRecord(name, e) })
	return func() {
		h.OnRecordCreate().Unbind(creates)
		h.OnRecordUpdate().Unbind(updates)
	}
}

// mailerSendHook binds onMailerSend before every email the server sends:
// e.message holds the email as MailerMessage's fields (from, to,
// subject, html, text, headers); e.next() sends what the handlers left
// in it, and a handler that does not call it sends nothing.
func mailerSendHook(r *runner, name string) func() {
	h := r.host.Hooks().Mail.OnMailSend()
	id := h.BindFunc(func(e *lmail.SendEvent) error {
		var ev *goja.Object
		next := func() error {
			msg, err := mailMessage(ev.Get("message").Export())
			if err != nil {
				return collections.Errorf(collections.EINVALID, "onMailerSend: %v", err)
			}
			e.Message = msg
			return e.Next()
		}
		return r.dispatch(name, nil, e.Context, nil, next, func(st *vmState, event *goja.Object) error {
			ev = event
			ev.Set("message", st.toJSValue(messageFields(e.Message)))
			return nil
		})
	})
	return func() { h.Unbind(id) }
}

// requestNameHook binds the on<Name>Request hook of one of the API's
// requests (api.OnRequest): e.collection (when the URL names one),
// e.auth, e.request, e.requestInfo(), the answers (e.json, …), and for a
// sign-in with a password e.identity, e.identityField and e.password; a
// handler refuses the request by throwing, or answers it itself instead
// of calling e.next().
func requestNameHook(name string) binder {
	return func(r *runner, hookName string) func() {
		th := r.host.Hooks().API.OnRequest()
		id := th.BindFunc(func(e *api.RequestEvent) error {
			if e.Name != name {
				return e.Next()
			}
			return r.dispatch(hookName, e.Tags(), e.Ctx.UserContext(), nil, e.Next, func(st *vmState, ev *goja.Object) error {
				st.requestFields(ev, e.Ctx, "", nil)
				st.responseFields(ev, e.Ctx)
				if e.Collection != nil {
					st.setCollection(ev, e.Collection)
				}
				if name == api.RequestAuthWithPassword {
					body := requestBody(e.Ctx)
					ev.Set("identity", toString(body["identity"]))
					ev.Set("identityField", toString(body["identityField"]))
					ev.Set("password", toString(body["password"]))
				}
				return nil
			})
		})
		return func() { th.Unbind(id) }
	}
}

// terminateHook binds onTerminate when the server shuts down.
func terminateHook(r *runner, name string) func() {
	h := r.host.Hooks().OnTerminate()
	id := h.BindFunc(func(e *plugins.TerminateEvent) error {
		return r.dispatch(name, nil, e.Context, nil, e.Next, func(*vmState, *goja.Object) error { return nil })
	})
	return func() { h.Unbind(id) }
}

func enrichHook(r *runner, name string) func() {
	th := r.host.Hooks().OnRecordEnrich()
	id := th.BindFunc(func(e *collections.EnrichEvent) error {
		return r.dispatch(name, e.Tags(), e.Context, nil, e.Next, func(st *vmState, ev *goja.Object) error {
			ev.Set("record", st.recordObject(newRef(e.Record)))
			return nil
		})
	})
	return func() { th.Unbind(id) }
}

func authHook(r *runner, name string) func() {
	th := r.host.Hooks().API.OnRecordAuth()
	id := th.BindFunc(func(e *api.AuthEvent) error {
		return r.dispatch(name, e.Tags(), e.Ctx.UserContext(), nil, e.Next, func(st *vmState, ev *goja.Object) error {
			ev.Set("record", st.recordObject(newRef(e.Record)))
			st.setCollection(ev, e.Collection)
			ev.Set("authMethod", e.Method)
			st.requestFields(ev, e.Ctx, "", nil)
			return nil
		})
	})
	return func() { th.Unbind(id) }
}

// setCollection gives ev a "collection" property that builds the
// collection's object when a script first reads it: most hooks never do,
// and building it (the collection's JSON) costs more than a trivial hook.
func (st *vmState) setCollection(ev *goja.Object, c *collections.Collection) {
	var obj goja.Value
	get := st.vm.ToValue(func(goja.FunctionCall) goja.Value {
		if obj == nil {
			obj = st.collectionObject(c)
		}
		return obj
	})
	if err := ev.DefineAccessorProperty("collection", get, nil, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		st.throw(err)
	}
}

// onRecord runs the handlers of a record hook for e.
// Files set on the record here would skip the checks of uploads (they
// ran before the hooks): a handler that sets one fails the write.
func (r *runner) onRecord(name string, e *collections.RecordEvent) error {
	var ref *recordRef
	next := func() error {
		if ref != nil && len(ref.uploads) > 0 {
			return collections.Errorf(collections.EINVALID, "%s cannot add files to the record: set them in the records request hooks or save a record with $app.save.", name)
		}
		return e.Next()
	}
	return r.dispatch(name, e.Tags(), e.Context, e.Records, next, func(st *vmState, ev *goja.Object) error {
		ref = &recordRef{rec: e.Record, original: e.Old}
		switch name {
		case "onRecordCreate", "onRecordCreateExecute":
			ref.isNew = true
		case "onRecordValidate":
			ref.isNew = e.Old == nil // bound on creates and updates only
		default:
			if ref.original == nil {
				ref.original = copyRecord(e.Record)
			}
		}
		ev.Set("record", st.recordObject(ref))
		st.setCollection(ev, e.Collection)
		if e.Err != nil {
			ev.Set("error", st.errorObject(e.Err))
		}
		return nil
	})
}

// dispatch runs the JS handlers of hook name that match tags, as one
// chain ending with next, on a VM of the current generation; build fills
// the event. records are the hook's record operations ($app and e.app),
// nil for the system's outside a transaction.
func (r *runner) dispatch(name string, tags []string, ctx context.Context, records *collections.Records, next func() error, build func(st *vmState, ev *goja.Object) error) error {
	g := r.current()
	if len(g.shape.matching(name, tags)) == 0 {
		return next()
	}
	if records == nil {
		records = r.host.Records(collections.System)
	}
	return g.run(ctx, func(st *vmState) error {
		app := lazyApp(st, records)
		ev := st.vm.NewObject()
		getApp := st.vm.ToValue(func(goja.FunctionCall) goja.Value { return app() })
		if err := ev.DefineAccessorProperty("app", getApp, nil, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
			return err
		}
		if err := build(st, ev); err != nil {
			return err
		}
		var steps []step
		for _, h := range st.regs.matching(name, tags) {
			steps = append(steps, st.jsStep(h.fn))
		}
		return st.withApp(app, func() error { return st.chain(ev, steps, next) })
	})
}

// step is one handler of a chain: it calls next to go on.
type step func(e *goja.Object, next func() error) error

// jsStep is a script handler as a step: e.next() inside it runs the
// rest of the chain, and throws what the rest failed with.
func (st *vmState) jsStep(fn goja.Callable) step {
	return func(e *goja.Object, next func() error) error {
		done := false
		var res error
		prev := e.Get("next")
		e.Set("next", func(goja.FunctionCall) goja.Value {
			if !done {
				done, res = true, next()
			}
			if res != nil {
				st.rethrow(res)
			}
			return goja.Undefined()
		})
		defer e.Set("next", prev)
		_, err := fn(goja.Undefined(), e)
		return err
	}
}

// chain runs steps in order, each going on by its next, then last (with
// the time limit paused: it is the server's work, not the script's).
func (st *vmState) chain(e *goja.Object, steps []step, last func() error) error {
	var at func(i int) error
	at = func(i int) error {
		if i == len(steps) {
			st.budget.pause()
			defer st.budget.resume()
			return last()
		}
		return steps[i](e, func() error { return at(i + 1) })
	}
	return at(0)
}
