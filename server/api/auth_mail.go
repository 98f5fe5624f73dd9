package api

import (
	"context"
	"fmt"
	"html"
	"net/mail"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/settings"
)

// mailTimeout bounds one background delivery.
const mailTimeout = time.Minute

// mailer returns the SMTP mailer of the settings, or EINVALID when mail is
// not set up.
func (h *handlers) mailer(st settings.Settings) (lmail.Mailer, error) {
	if !st.SMTP.Enabled {
		return nil, collections.Errorf(collections.EINVALID, "Email delivery is not configured: enable SMTP in the settings.")
	}
	return h.MailHooks.Mailer(&lmail.SMTP{Config: st.SMTP.Config()}), nil
}

// composeMail fills a template for rec and addresses it to `to`. The
// placeholders are PocketBase's: {APP_NAME}, {APP_URL}, {TOKEN} and
// {RECORD:<field>} for fields that are not secret, and the pairs of
// placeholder and value in extra. Values are escaped in the HTML body.
func composeMail(st settings.Settings, tpl collections.EmailTemplate, rec *collections.Record, to, token string, extra ...string) *lmail.Message {
	vars := append([]string{"{APP_NAME}", st.Meta.AppName, "{APP_URL}", st.Meta.AppURL, "{TOKEN}", token}, extra...)
	for _, f := range rec.Collection.Fields {
		if f.Secret(rec.Collection) {
			continue
		}
		vars = append(vars, "{RECORD:"+f.Name+"}", placeholderValue(rec.Data[f.Name]))
	}
	escaped := append([]string(nil), vars...)
	for i := 1; i < len(escaped); i += 2 {
		escaped[i] = html.EscapeString(escaped[i])
	}
	subject := strings.Join(strings.Fields(strings.NewReplacer(vars...).Replace(tpl.Subject)), " ")
	return &lmail.Message{
		From:    mail.Address{Name: st.Meta.SenderName, Address: st.Meta.SenderAddress},
		To:      []mail.Address{{Address: to}},
		Subject: subject,
		HTML:    strings.NewReplacer(escaped...).Replace(tpl.Body),
	}
}

func placeholderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return collections.FormatDate(x)
	case []string:
		return strings.Join(x, ", ")
	}
	return fmt.Sprint(v)
}

// sendLater delivers a templated email in the background, so that the
// request answers at once and in the same time whether or not the address
// belongs to a record. Failures are logged without the token or any
// credential. extra are more placeholders and their values.
func (h *handlers) sendLater(ctx context.Context, kind string, tpl collections.EmailTemplate, rec *collections.Record, to, token string, extra ...string) {
	collection, id := rec.Collection.Name, rec.ID()
	st, err := h.Settings.Get(ctx)
	var mailer lmail.Mailer
	if err == nil {
		mailer, err = h.mailer(st)
	}
	if err != nil {
		h.Logger.Warn("email not sent", "kind", kind, "collection", collection, "record", id, "reason", err)
		return
	}
	msg := composeMail(st, tpl, rec, to, token, extra...)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), mailTimeout)
		defer cancel()
		if err := mailer.Send(ctx, msg); err != nil {
			h.Logger.Error("send email", "kind", kind, "collection", collection, "record", id, "err", err)
		}
	}()
}

// mailProblem shortens a delivery error for a superuser's eyes.
func mailProblem(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
