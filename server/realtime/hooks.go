package realtime

import (
	"context"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins/hook"
)

// ConnectEvent is a realtime client connecting; a hook returning an
// error refuses it.
type ConnectEvent struct {
	hook.Event
	Client *Client
	Caller collections.Caller
}

// SubscribeEvent is a client subscribing to a collection's records. A
// hook may change Options (narrow its filter, say) before calling Next,
// or refuse the subscription with an error.
type SubscribeEvent struct {
	hook.Event
	Context    context.Context
	Client     *Client
	Caller     collections.Caller
	Collection *collections.Collection
	Options    *SubscribeOptions
}

// Tags implements hook.Tagger: the collection's id and name.
func (e *SubscribeEvent) Tags() []string { return []string{e.Collection.ID, e.Collection.Name} }

// Hooks are the realtime hook points.
type Hooks struct {
	connect   hook.Hook[*ConnectEvent]
	subscribe hook.Hook[*SubscribeEvent]
}

// OnRealtimeConnect runs when a client connects, before it is registered.
func (h *Hooks) OnRealtimeConnect() *hook.Hook[*ConnectEvent] { return &h.connect }

// OnRealtimeSubscribe runs when a client subscribes to records of a
// collection, before access to them is checked.
func (h *Hooks) OnRealtimeSubscribe(tags ...string) *hook.TaggedHook[*SubscribeEvent] {
	return hook.NewTaggedHook(&h.subscribe, tags...)
}
