package api

import (
	"encoding/json"
	"net/mail"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/settings"
)

func (h *handlers) settingsRoutes() []Route {
	return []Route{
		{"GET", "/settings", Superusers, h.hooked(RequestSettingsList, h.getSettings), "Return the settings (secrets left out)."},
		{"PATCH", "/settings", Superusers, h.hooked(RequestSettingsUpdate, h.patchSettings), "Change the settings."},
		{"POST", "/settings/test/email", Superusers, h.testEmail, "Send a test email."},
		{"POST", "/settings/test/s3", Superusers, h.testS3, "Write, read and delete a test file with the saved S3 settings."},
	}
}

// settingsView is what clients see: the SMTP password only as set or not,
// PocketBase's boolean "tls" beside the TLS mode, and the settings in
// force on the node that answers (with those its flags fix).
type settingsView struct {
	Meta         settings.Meta         `json:"meta"`
	SMTP         smtpView              `json:"smtp"`
	RateLimits   settings.RateLimits   `json:"rateLimits"`
	TrustedProxy settings.TrustedProxy `json:"trustedProxy"`
	CORS         settings.CORS         `json:"cors"`
	Batch        settings.Batch        `json:"batch"`
	Logs         settings.Logs         `json:"logs"`
	Metrics      metricsView           `json:"metrics"`
	S3           s3View                `json:"s3"`
	Backups      backupsView           `json:"backups"`
	Audit        settings.Audit        `json:"audit"`
	// Realtime is read-only: set per node with serve's flags.
	Realtime realtimeView `json:"realtime"`
	// NodeFlags name the settings the answering node's flags fix, and the
	// flags: there, saved values of them do not apply.
	NodeFlags map[string]string `json:"nodeFlags"`
}

// metricsView shows the metrics token only as set or not, as the SMTP
// password.
type metricsView struct {
	Enabled          bool     `json:"enabled"`
	TokenSet         bool     `json:"tokenSet"`
	AllowedAddresses []string `json:"allowedAddresses"`
}

// backupsView shows the backups' S3 secret only as set or not.
type backupsView struct {
	Cron        string `json:"cron"`
	CronMaxKeep int    `json:"cronMaxKeep"`
	S3          s3View `json:"s3"`
}

type realtimeView struct {
	// RetentionSeconds is how long changes are kept for resuming.
	RetentionSeconds int64 `json:"retentionSeconds"`
}

type smtpView struct {
	Enabled     bool   `json:"enabled"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Username    string `json:"username"`
	PasswordSet bool   `json:"passwordSet"`
	AuthMethod  string `json:"authMethod"`
	TLS         bool   `json:"tls"`
	TLSMode     string `json:"tlsMode"`
}

func (h *handlers) viewOf(s settings.Settings) settingsView {
	node := h.Settings.Node()
	s = node.Apply(s)
	return settingsView{
		TrustedProxy: s.TrustedProxy,
		CORS:         s.CORS,
		NodeFlags:    node.Flags(),
		Realtime:     realtimeView{RetentionSeconds: int64(h.RealtimeRetention / time.Second)},
		Meta:         s.Meta,
		SMTP: smtpView{
			Enabled: s.SMTP.Enabled, Host: s.SMTP.Host, Port: s.SMTP.Port, Username: s.SMTP.Username,
			PasswordSet: s.SMTP.Password != "", AuthMethod: s.SMTP.AuthMethod,
			TLS: s.SMTP.TLSMode == lmail.TLSImplicit, TLSMode: s.SMTP.TLSMode,
		},
		RateLimits: s.RateLimits,
		Batch:      s.Batch,
		Logs:       s.Logs,
		Metrics: metricsView{Enabled: s.Metrics.Enabled, TokenSet: s.Metrics.Token != "",
			AllowedAddresses: s.Metrics.AllowedAddresses},
		S3:      viewS3(s.S3),
		Backups: backupsView{Cron: s.Backups.Cron, CronMaxKeep: s.Backups.CronMaxKeep, S3: viewS3(s.Backups.S3)},
		Audit:   s.Audit,
	}
}

func (h *handlers) getSettings(c *fiber.Ctx) error {
	st, err := h.Settings.Get(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(h.viewOf(st))
}

// patchSettings merges a partial settings object into the current ones.
// smtp.password: a non-empty string sets it, null clears it, and "" or no
// key keeps it (so a form that never saw the password can be sent back).
// Without smtp.tlsMode, PocketBase's smtp.tls picks "tls" (true) or
// "starttls" (false). metrics.token, s3.secret and backups.s3.secret are
// kept, set or cleared as smtp.password is.
func (h *handlers) patchSettings(c *fiber.Ctx) error {
	cur, err := h.Settings.Get(c.UserContext())
	if err != nil {
		return err
	}
	body := c.Body()
	var probe struct {
		SMTP    map[string]json.RawMessage `json:"smtp"`
		Metrics map[string]json.RawMessage `json:"metrics"`
		S3      map[string]json.RawMessage `json:"s3"`
		Backups struct {
			S3 map[string]json.RawMessage `json:"s3"`
		} `json:"backups"`
	}
	if err := decodeJSON(body, &probe); err != nil {
		return err
	}
	next, err := settings.Merge(cur, body)
	if err != nil {
		return jsonError(err)
	}
	if pw, ok := probe.SMTP["password"]; !ok || string(pw) == `""` {
		next.SMTP.Password = cur.SMTP.Password
	} else if string(pw) == "null" {
		next.SMTP.Password = ""
	}
	if tok, ok := probe.Metrics["token"]; !ok || string(tok) == `""` {
		next.Metrics.Token = cur.Metrics.Token
	} else if string(tok) == "null" {
		next.Metrics.Token = ""
	}
	next.S3.Secret = keptSecret(probe.S3, "secret", cur.S3.Secret, next.S3.Secret)
	next.Backups.S3.Secret = keptSecret(probe.Backups.S3, "secret", cur.Backups.S3.Secret, next.Backups.S3.Secret)
	if _, ok := probe.SMTP["tlsMode"]; !ok {
		if raw, ok := probe.SMTP["tls"]; ok {
			switch string(raw) {
			case "true":
				next.SMTP.TLSMode = lmail.TLSImplicit
			case "false":
				if cur.SMTP.TLSMode == lmail.TLSImplicit || cur.SMTP.TLSMode == "" {
					next.SMTP.TLSMode = lmail.TLSStartTLS
				}
			}
		}
	}
	if err := next.Validate(); err != nil {
		return err
	}
	if err := h.Settings.Save(c.UserContext(), next); err != nil {
		return err
	}
	return c.JSON(h.viewOf(next))
}

// testEmail sends a sample of one of a collection's emails, as the SDK's
// settings.testEmail(collection, email, template) asks.
func (h *handlers) testEmail(c *fiber.Ctx) error {
	var in struct {
		Email      string `json:"email"`
		Template   string `json:"template"`
		Collection string `json:"collection"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		errs["email"] = collections.FieldError{Code: "validation_is_email", Message: "Must be a valid email address."}
	}
	if in.Collection == "" {
		in.Collection = collections.SuperusersName
	}
	col, ok := h.Collections.Collection(in.Collection)
	if !ok || col.Type != collections.TypeAuth {
		errs["collection"] = collections.FieldError{Code: "validation_invalid_collection", Message: "Must be an auth collection."}
	}
	var tpl collections.EmailTemplate
	if col != nil && col.Auth != nil {
		switch in.Template {
		case "verification":
			tpl = col.Auth.VerificationTemplate
		case "password-reset":
			tpl = col.Auth.ResetPasswordTemplate
		case "email-change":
			tpl = col.Auth.ConfirmEmailChangeTemplate
		default:
			errs["template"] = collections.FieldError{Code: "validation_in_invalid", Message: `Must be "verification", "password-reset" or "email-change".`}
		}
	}
	if len(errs) > 0 {
		return collections.Invalid("An error occurred while validating the submitted data.", errs)
	}
	st, err := h.Settings.Get(c.UserContext())
	if err != nil {
		return err
	}
	sample := collections.NewRecord(col)
	sample.Data["id"], sample.Data["email"] = "test00000000000", in.Email
	msg := composeMail(st, tpl, sample, in.Email, "TEST_TOKEN")
	mailer, err := h.mailer(st)
	if err != nil {
		return err
	}
	if err := mailer.Send(c.UserContext(), msg); err != nil {
		h.Logger.Warn("test email failed", "requestId", requestID(c), "err", err)
		return collections.Errorf(collections.EINVALID, "Failed to send the test email: %s", mailProblem(err))
	}
	return c.SendStatus(fiber.StatusNoContent)
}
