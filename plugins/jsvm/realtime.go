package jsvm

import (
	"context"
	"slices"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/realtime"
)

// realtimeConnectHook binds onRealtimeConnectRequest when a realtime
// client connects: e.client (its id), e.auth; a handler refuses the
// connection by throwing or by not calling e.next().
func realtimeConnectHook(r *runner, name string) func() {
	h := r.host.Hooks().Realtime.OnRealtimeConnect()
	id := h.BindFunc(func(e *realtime.ConnectEvent) error {
		called := false
		next := func() error { called = true; return e.Next() }
		err := r.dispatch(name, nil, context.Background(), nil, next, func(st *vmState, ev *goja.Object) error {
			st.realtimeFields(ev, e.Client, e.Caller)
			return nil
		})
		if err == nil && !called {
			err = collections.Errorf(collections.EFORBIDDEN, "The realtime connection was refused.")
		}
		return err
	})
	return func() { h.Unbind(id) }
}

// realtimeSubscribeHook binds onRealtimeSubscribeRequest when a client
// subscribes to a collection's records: e.subscriptions holds the topic
// ("posts/*", "posts/<id>"), e.collection, e.client, e.auth; a handler
// refuses the subscription by throwing, by taking the topic out of
// e.subscriptions or by not calling e.next().
func realtimeSubscribeHook(r *runner, name string) func() {
	th := r.host.Hooks().Realtime.OnRealtimeSubscribe()
	id := th.BindFunc(func(e *realtime.SubscribeEvent) error {
		var ev *goja.Object
		called := false
		next := func() error {
			called = true
			subs, _ := exportValue(ev.Get("subscriptions")).([]any)
			if !slices.Contains(subs, any(e.Options.Topic)) {
				return refusedSubscription(e.Options.Topic)
			}
			return e.Next()
		}
		err := r.dispatch(name, e.Tags(), e.Context, nil, next, func(st *vmState, event *goja.Object) error {
			ev = event
			st.realtimeFields(ev, e.Client, e.Caller)
			ev.Set("subscriptions", st.vm.NewArray(e.Options.Topic))
			st.setCollection(ev, e.Collection)
			return nil
		})
		if err == nil && !called {
			err = refusedSubscription(e.Options.Topic)
		}
		return err
	})
	return func() { th.Unbind(id) }
}

func refusedSubscription(topic string) error {
	return collections.Errorf(collections.EFORBIDDEN, "The subscription to %q was refused.", topic)
}

// realtimeFields adds a realtime event's e.client ({id}) and e.auth (the
// record the client signed in as, read when a script first reads it;
// null for a guest).
func (st *vmState) realtimeFields(ev *goja.Object, c *realtime.Client, caller collections.Caller) {
	client := st.vm.NewObject()
	client.Set("id", c.ID)
	ev.Set("client", client)
	var auth goja.Value
	get := st.vm.ToValue(func(goja.FunctionCall) goja.Value {
		if auth == nil {
			auth = goja.Null()
			if rec := st.callerRecord(caller); rec != nil {
				auth = st.recordObject(newRef(rec))
			}
		}
		return auth
	})
	if err := ev.DefineAccessorProperty("auth", get, nil, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		st.throw(err)
	}
}

// callerRecord is the record caller signed in as, nil for a guest.
func (st *vmState) callerRecord(caller collections.Caller) *collections.Record {
	switch c := caller.(type) {
	case interface{ Record() *collections.Record }:
		return c.Record()
	case collections.Unrestricted:
		id, _ := c.AuthRecord["id"].(string)
		col, ok := st.gen.r.host.Collection(collections.SuperusersName)
		if id == "" || !ok {
			return nil
		}
		rec, err := st.gen.r.host.Records(collections.System).Get(st.context(), col, id)
		if err != nil {
			return nil
		}
		return rec
	}
	return nil
}
