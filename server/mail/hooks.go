package mail

import (
	"context"

	"github.com/lumbunghq/lumbung/plugins/hook"
)

// SendEvent is an email about to be sent. A hook may change Message,
// refuse to send it (returning an error), or deliver it another way (not
// calling Next).
type SendEvent struct {
	hook.Event
	Context context.Context
	Message *Message
}

// Hooks are the mail hook points.
type Hooks struct {
	send hook.Hook[*SendEvent]
}

// OnMailSend runs before every email the server sends.
func (h *Hooks) OnMailSend() *hook.Hook[*SendEvent] { return &h.send }

// Mailer returns m sending through the OnMailSend hooks.
func (h *Hooks) Mailer(m Mailer) Mailer { return hooked{m: m, h: h} }

type hooked struct {
	m Mailer
	h *Hooks
}

func (x hooked) Send(ctx context.Context, msg *Message) error {
	return x.h.send.Trigger(&SendEvent{Context: ctx, Message: msg}, func(e *SendEvent) error {
		return x.m.Send(e.Context, e.Message)
	})
}
