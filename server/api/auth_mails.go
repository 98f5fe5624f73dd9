package api

import (
	"context"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/settings"
)

// AuthMails sends the emails of the auth flows for a record, as the API
// sends them (the collection's templates, a fresh token): PocketBase's
// $mails, for plugins and JS hooks. Unlike the API's, they are sent at
// once and their failure is returned.
type AuthMails struct {
	Settings *settings.Service
	Issuer   *auth.Issuer
	Hooks    *lmail.Hooks
}

// SendVerification mails rec a link to verify its email address.
func (m *AuthMails) SendVerification(ctx context.Context, rec *collections.Record) error {
	opts := authOptions(rec.Collection)
	return m.send(ctx, rec, opts.VerificationTemplate, auth.TypeVerification, seconds(opts.VerificationToken.Duration), "")
}

// SendPasswordReset mails rec a link to set a new password.
func (m *AuthMails) SendPasswordReset(ctx context.Context, rec *collections.Record) error {
	opts := authOptions(rec.Collection)
	return m.send(ctx, rec, opts.ResetPasswordTemplate, auth.TypePasswordReset, seconds(opts.PasswordResetToken.Duration), "")
}

// SendEmailChange mails newEmail a link confirming it as rec's address.
func (m *AuthMails) SendEmailChange(ctx context.Context, rec *collections.Record, newEmail string) error {
	opts := authOptions(rec.Collection)
	return m.send(ctx, rec, opts.ConfirmEmailChangeTemplate, auth.TypeEmailChange, seconds(opts.EmailChangeToken.Duration), newEmail)
}

// SendOTP mails rec the one-time password code of the OTP otpID, with
// the collection's OTP template ({OTP} and {OTP_ID}).
func (m *AuthMails) SendOTP(ctx context.Context, rec *collections.Record, otpID, code string) error {
	return m.mail(ctx, rec, authOptions(rec.Collection).OTP.EmailTemplate, "", func(string) (string, error) { return "", nil },
		"{OTP}", code, "{OTP_ID}", otpID)
}

func (m *AuthMails) send(ctx context.Context, rec *collections.Record, tpl collections.EmailTemplate, typ string, ttl time.Duration, newEmail string) error {
	return m.mail(ctx, rec, tpl, newEmail, func(email string) (string, error) {
		return m.Issuer.IssueClaims(rec, auth.Claims{Type: typ, Email: email, NewEmail: newEmail}, ttl)
	})
}

// mail sends rec's email of template tpl, to newEmail when set, else to
// rec's address, with the token token makes for that address and the
// extra placeholders.
func (m *AuthMails) mail(ctx context.Context, rec *collections.Record, tpl collections.EmailTemplate, newEmail string,
	token func(email string) (string, error), extra ...string) error {
	if rec.Collection.Type != collections.TypeAuth {
		return collections.Errorf(collections.EINVALID, "%s is not an auth collection.", rec.Collection.Name)
	}
	email, _ := rec.Data["email"].(string)
	to := email
	if newEmail != "" {
		to = newEmail
	}
	if to == "" {
		return collections.Errorf(collections.EINVALID, "The record has no email address.")
	}
	st := m.Settings.Effective(ctx)
	if !st.SMTP.Enabled {
		return collections.Errorf(collections.EINVALID, "Email delivery is not configured: enable SMTP in the settings.")
	}
	tok, err := token(email)
	if err != nil {
		return err
	}
	return m.Hooks.Mailer(&lmail.SMTP{Config: st.SMTP.Config()}).Send(ctx, composeMail(st, tpl, rec, to, tok, extra...))
}
