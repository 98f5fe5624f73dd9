package collections

import (
	"context"
	"fmt"
)

// Origin is where a write comes from, as the change log records it: who
// made it and the request that carried it. The write path passes it to
// the store in the context; the store sets it inside the write's
// transaction for the capture trigger to copy into _events.
type Origin struct {
	// Actor names who wrote: "user:<collectionId>:<id>", "superuser:<id>",
	// "system", "plugin:<id>" or "guest". Empty until the first write
	// stamps it from its caller; the log of a plain-SQL write has none.
	Actor string
	// RequestID is the id of the HTTP request (its X-Request-Id), if any.
	RequestID string
	// IP is the client's address, if the write came with a request.
	IP string
}

type originKey struct{}

// WithOrigin returns ctx carrying o: the HTTP layer sets the request id
// and address, and the first write stamps the actor.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginOf returns the origin ctx carries (the zero Origin if none).
func OriginOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// WithActor returns ctx whose writes are recorded as made by actor (a
// plugin's own work: "plugin:<id>"), keeping its request id and address.
func WithActor(ctx context.Context, actor string) context.Context {
	o := OriginOf(ctx)
	o.Actor = actor
	return WithOrigin(ctx, o)
}

// Actors name themselves: a Caller may implement it (auth.Caller does);
// Unrestricted callers are superusers or the system.
type actorNamer interface{ Actor() string }

// ActorOf names the actor of caller's writes.
func ActorOf(caller Caller) string {
	switch c := caller.(type) {
	case actorNamer:
		return c.Actor()
	case Unrestricted:
		if c.AuthRecord == nil {
			return "system"
		}
		return fmt.Sprintf("superuser:%v", c.AuthRecord["id"])
	}
	return "guest"
}

// stamp returns ctx with the origin of r's writes: the actor ctx already
// carries (that of the write whose hook is running, or one set with
// WithActor), else r's own, else its caller's.
func (r *Records) stamp(ctx context.Context) context.Context {
	o := OriginOf(ctx)
	if o.Actor != "" {
		return ctx
	}
	o.Actor = r.actor
	if o.Actor == "" {
		o.Actor = ActorOf(r.caller)
	}
	return WithOrigin(ctx, o)
}

// WithActor returns r whose writes are recorded as made by actor (unless
// they run inside another write, which keeps its own): a plugin's
// records say "plugin:<id>".
func (r *Records) WithActor(actor string) *Records {
	out := *r
	out.actor = actor
	return &out
}
