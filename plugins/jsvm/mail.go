package jsvm

import (
	"context"
	"fmt"
	"net/mail"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
	lmail "github.com/lumbunghq/lumbung/server/mail"
)

// bindMail adds PocketBase's MailerMessage: new MailerMessage({from:
// {address, name}, to: [{address, name}], cc, bcc, subject, html, text,
// headers}), sent with $app.newMailClient().send(message); and $mails,
// the auth flows' emails of a record: sendRecordVerification(app,
// record), sendRecordPasswordReset(app, record),
// sendRecordChangeEmail(app, record, newEmail) and sendRecordOTP(app,
// record, otpId, password).
func (st *vmState) bindMail() {
	mails := st.vm.NewObject()
	send := func(name string, fn func(ctx context.Context, rec *collections.Record, call goja.FunctionCall) error) {
		mails.Set(name, func(call goja.FunctionCall) goja.Value {
			ref := st.refOf(call.Argument(1))
			if ref == nil {
				panic(st.vm.NewTypeError("$mails." + name + ": the second argument must be a record"))
			}
			if st.gen.r.host.AuthMails() == nil {
				st.fault(fmt.Errorf("$mails.%s: mails cannot be sent here", name))
			}
			if err := fn(st.context(), ref.rec, call); err != nil {
				st.fault(fmt.Errorf("$mails.%s: %w", name, err))
			}
			return goja.Undefined()
		})
	}
	send("sendRecordVerification", func(ctx context.Context, rec *collections.Record, _ goja.FunctionCall) error {
		return st.gen.r.host.AuthMails().SendVerification(ctx, rec)
	})
	send("sendRecordPasswordReset", func(ctx context.Context, rec *collections.Record, _ goja.FunctionCall) error {
		return st.gen.r.host.AuthMails().SendPasswordReset(ctx, rec)
	})
	send("sendRecordChangeEmail", func(ctx context.Context, rec *collections.Record, call goja.FunctionCall) error {
		return st.gen.r.host.AuthMails().SendEmailChange(ctx, rec, call.Argument(2).String())
	})
	send("sendRecordOTP", func(ctx context.Context, rec *collections.Record, call goja.FunctionCall) error {
		return st.gen.r.host.AuthMails().SendOTP(ctx, rec, call.Argument(2).String(), call.Argument(3).String())
	})
	st.vm.Set("$mails", mails)
	st.vm.Set("MailerMessage", func(call goja.ConstructorCall) *goja.Object {
		if arg, ok := call.Argument(0).(*goja.Object); ok {
			for _, k := range arg.Keys() {
				call.This.Set(k, arg.Get(k))
			}
		}
		return nil
	})
}

// mailClient is $app.newMailClient(): send(message) delivers a
// MailerMessage through the server's SMTP settings (and the mail hooks),
// throwing when SMTP is not enabled or the delivery fails.
func (st *vmState) mailClient() goja.Value {
	c := st.vm.NewObject()
	c.Set("send", func(call goja.FunctionCall) goja.Value {
		msg, err := mailMessage(call.Argument(0).Export())
		if err != nil {
			st.fault(fmt.Errorf("$app.newMailClient().send: %w", err))
		}
		mailer, err := st.gen.r.host.Mailer(st.context())
		if err == nil {
			err = mailer.Send(st.context(), msg)
		}
		if err != nil {
			st.fault(fmt.Errorf("$app.newMailClient().send: %w", err))
		}
		return goja.Undefined()
	})
	return c
}

// mailMessage reads a MailerMessage as the script built it.
func mailMessage(v any) (*lmail.Message, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the message must be a MailerMessage")
	}
	from, err := addresses(m["from"])
	if err != nil || len(from) != 1 {
		return nil, fmt.Errorf("the message needs one from address")
	}
	msg := &lmail.Message{From: from[0], Subject: str(m["subject"]), HTML: str(m["html"]), Text: str(m["text"])}
	for key, dst := range map[string]*[]mail.Address{"to": &msg.To, "cc": nil, "bcc": nil} {
		list, err := addresses(m[key])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		if dst != nil {
			*dst = list
		} else if len(list) > 0 {
			return nil, fmt.Errorf("%s is not supported; send to each address in to", key)
		}
	}
	if len(msg.To) == 0 {
		return nil, fmt.Errorf("the message has no to address")
	}
	if h, ok := m["headers"].(map[string]any); ok {
		msg.Headers = map[string]string{}
		for k, v := range h {
			msg.Headers[k] = str(v)
		}
	}
	return msg, nil
}

// messageFields are the fields of a MailerMessage holding msg.
func messageFields(msg *lmail.Message) map[string]any {
	to := make([]any, len(msg.To))
	for i, a := range msg.To {
		to[i] = map[string]any{"address": a.Address, "name": a.Name}
	}
	headers := map[string]any{}
	for k, v := range msg.Headers {
		headers[k] = v
	}
	return map[string]any{"from": map[string]any{"address": msg.From.Address, "name": msg.From.Name}, "to": to,
		"subject": msg.Subject, "html": msg.HTML, "text": msg.Text, "headers": headers}
}

// addresses reads {address, name}, a plain address, or a list of them.
func addresses(v any) ([]mail.Address, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		a, err := mail.ParseAddress(x)
		if err != nil {
			return nil, fmt.Errorf("invalid address %q", x)
		}
		return []mail.Address{*a}, nil
	case map[string]any:
		a, err := mail.ParseAddress(str(x["address"]))
		if err != nil {
			return nil, fmt.Errorf("invalid address %q", str(x["address"]))
		}
		a.Name = str(x["name"])
		return []mail.Address{*a}, nil
	case []any:
		var out []mail.Address
		for _, item := range x {
			list, err := addresses(item)
			if err != nil {
				return nil, err
			}
			out = append(out, list...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("an address is {address, name} or a string")
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
