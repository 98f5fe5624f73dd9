package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	lmail "github.com/lumbunghq/lumbung/server/mail"
)

func (h *handlers) settingsRoutes(r fiber.Router) {
	r.Get("/settings", superusersOnly, h.getSettings)
	r.Patch("/settings", superusersOnly, h.patchSettings)
	r.Post("/settings/test/email", superusersOnly, h.testEmail)
}

// Settings are the application settings, in PocketBase's shape (a subset:
// meta, smtp, rateLimits, trustedProxy — with the proxies' addresses —
// and cors, which PocketBase sets with a flag only). The SMTP password is
// stored but never sent back.
type Settings struct {
	Meta         MetaSettings         `json:"meta"`
	SMTP         SMTPSettings         `json:"smtp"`
	RateLimits   RateLimitSettings    `json:"rateLimits"`
	TrustedProxy TrustedProxySettings `json:"trustedProxy"`
	CORS         CORSSettings         `json:"cors"`
	Batch        BatchSettings        `json:"batch"`
}

// MetaSettings name the application in emails and links.
type MetaSettings struct {
	AppName       string `json:"appName"`
	AppURL        string `json:"appURL"`
	SenderName    string `json:"senderName"`
	SenderAddress string `json:"senderAddress"`
	HideControls  bool   `json:"hideControls"`
}

// SMTPSettings are how mail leaves the server.
type SMTPSettings struct {
	Enabled    bool   `json:"enabled"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	AuthMethod string `json:"authMethod"`
	// TLSMode is "none", "starttls" or "tls" (see server/mail).
	TLSMode string `json:"tlsMode"`
}

// RateLimitSettings are request limits per client address, as PocketBase's
// rateLimits settings.
type RateLimitSettings struct {
	Enabled bool            `json:"enabled"`
	Rules   []RateLimitRule `json:"rules"`
}

// RateLimitRule allows MaxRequests requests per Duration seconds from one
// client address to what Label names: a tag "<collection>:<action>" or
// "*:<action>" (actions as PocketBase names them: auth, authWithPassword,
// requestPasswordReset, create, list, …), an exact path "/api/x" or a path
// prefix "/api/" (both optionally after a method: "POST /api/batch").
// Audience narrows the rule to "@guest" or "@auth" callers ("" for all).
type RateLimitRule struct {
	Label       string `json:"label"`
	Audience    string `json:"audience"`
	Duration    int64  `json:"duration"`
	MaxRequests int    `json:"maxRequests"`
}

// DefaultSettings are the settings of a new installation: mail off, and
// rate limits on for sign-in and for the endpoints that send email.
func DefaultSettings(appURL string) Settings {
	if appURL == "" {
		appURL = "http://127.0.0.1:8090"
	}
	return Settings{
		Meta: MetaSettings{AppName: "Lumbung", AppURL: appURL, SenderName: "Support", SenderAddress: "support@example.com"},
		SMTP: SMTPSettings{Port: 587, TLSMode: lmail.TLSStartTLS},
		RateLimits: RateLimitSettings{Enabled: true, Rules: []RateLimitRule{
			{Label: "*:auth", Duration: 10, MaxRequests: 20},
			{Label: "*:requestVerification", Duration: 60, MaxRequests: 5},
			{Label: "*:requestPasswordReset", Duration: 60, MaxRequests: 5},
			{Label: "*:requestEmailChange", Duration: 60, MaxRequests: 5},
			{Label: "*:confirmEmailChange", Duration: 60, MaxRequests: 10},
		}},
		TrustedProxy: TrustedProxySettings{Proxies: []string{}, Header: DefaultProxyHeader},
		CORS:         CORSSettings{Origins: []string{"*"}},
		Batch:        DefaultBatchSettings(),
	}
}

// NodeSettings are settings fixed on one node by its command-line flags
// (or their environment variables). Each one that is set overrides the
// stored setting on that node; the stored one still applies on nodes
// without the flag, and again here once the flag is gone.
type NodeSettings struct {
	// Origins fix cors.origins (--origins).
	Origins []string
	// TrustedProxies fix trustedProxy.proxies (--trusted-proxies).
	TrustedProxies []string
	// ProxyHeader fixes trustedProxy.header (--proxy-header).
	ProxyHeader string
}

// Check reports the first value that is not valid, naming its flag.
func (n NodeSettings) Check() error {
	if _, err := ParseOrigins(n.Origins); err != nil {
		return fmt.Errorf("--origins: %w", err)
	}
	if _, err := ParseProxies(TrustedProxySettings{Proxies: n.TrustedProxies}); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if n.ProxyHeader != "" && !headerNameRe.MatchString(n.ProxyHeader) {
		return fmt.Errorf("--proxy-header: %q is not a header name", n.ProxyHeader)
	}
	return nil
}

// flags names the settings n fixes and the flags that fix them.
func (n NodeSettings) flags() map[string]string {
	m := map[string]string{}
	if len(n.Origins) > 0 {
		m["cors.origins"] = "--origins"
	}
	if len(n.TrustedProxies) > 0 {
		m["trustedProxy.proxies"] = "--trusted-proxies"
	}
	if n.ProxyHeader != "" {
		m["trustedProxy.header"] = "--proxy-header"
	}
	return m
}

// apply returns s with the settings n fixes.
func (n NodeSettings) apply(s Settings) Settings {
	if len(n.Origins) > 0 {
		s.CORS.Origins = n.Origins
	}
	if len(n.TrustedProxies) > 0 {
		s.TrustedProxy.Proxies = n.TrustedProxies
	}
	if n.ProxyHeader != "" {
		s.TrustedProxy.Header = n.ProxyHeader
	}
	return s
}

// SettingsStore keeps settings as JSON values by key (postgres.ParamStore).
type SettingsStore interface {
	Get(ctx context.Context, key string, out any) error
	Set(ctx context.Context, key string, value any) error
}

const settingsKey = "settings"

// SettingsTTL is how long a node trusts its copy of the settings when it
// is not told of a change (Forget); a change made on another node is seen
// within it even if the notification is lost.
const SettingsTTL = 5 * time.Second

// SettingsService reads and writes the settings, keeping a copy for
// SettingsTTL so that the rate limiter does not read the database on every
// request.
type SettingsService struct {
	store    SettingsStore // nil keeps settings in memory only
	defaults Settings
	now      func() time.Time
	log      *slog.Logger
	node     NodeSettings

	mu     sync.Mutex
	cur    Settings
	loaded time.Time
	valid  bool
	// parsed are the origins and proxies of cur with node applied, worked
	// out once per change rather than per request.
	parsed *parsedSettings
}

type parsedSettings struct {
	origins *Origins
	proxies *Proxies
}

// NewSettingsService returns a SettingsService on store (nil: memory only).
func NewSettingsService(store SettingsStore, defaults Settings, now func() time.Time, log *slog.Logger) *SettingsService {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &SettingsService{store: store, defaults: defaults, now: now, log: log}
}

// Fix makes the settings node names override the stored ones on this
// node. Call it before serving.
func (s *SettingsService) Fix(node NodeSettings) {
	s.mu.Lock()
	s.node, s.parsed = node, nil
	s.mu.Unlock()
}

// effective returns the settings in force on this node: cached ones with
// those fixed by flags applied.
func (s *SettingsService) effective(ctx context.Context) Settings {
	return s.node.apply(s.cached(ctx))
}

// parse returns the parsed origins and proxies in force.
func (s *SettingsService) parse(ctx context.Context) *parsedSettings {
	st := s.effective(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parsed != nil {
		return s.parsed
	}
	p := &parsedSettings{}
	var err error
	if p.origins, err = ParseOrigins(st.CORS.Origins); err != nil {
		s.log.Error("cors settings", "err", err)
		p.origins = AnyOrigin
	}
	if p.proxies, err = ParseProxies(st.TrustedProxy); err != nil {
		s.log.Error("trusted proxy settings", "err", err)
		p.proxies = nil
	}
	s.parsed = p
	return p
}

// origins returns the origins allowed in force.
func (s *SettingsService) origins(ctx context.Context) *Origins { return s.parse(ctx).origins }

// proxies returns the trusted proxies in force.
func (s *SettingsService) proxies(ctx context.Context) *Proxies { return s.parse(ctx).proxies }

// Get returns the current settings. Callers must not modify the rules slice.
func (s *SettingsService) Get(ctx context.Context) (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.valid && (s.store == nil || now.Sub(s.loaded) < SettingsTTL) {
		return s.cur, nil
	}
	if s.store == nil {
		s.cur, s.valid, s.parsed = s.defaults, true, nil
		return s.cur, nil
	}
	var raw json.RawMessage
	err := s.store.Get(ctx, settingsKey, &raw)
	cur := s.defaults
	switch {
	case err == nil:
		if cur, err = mergeSettings(s.defaults, raw); err != nil {
			return Settings{}, fmt.Errorf("stored settings: %w", err)
		}
	case collections.ErrorCode(err) != collections.ENOTFOUND:
		return Settings{}, err
	}
	s.cur, s.loaded, s.valid, s.parsed = cur, now, true, nil
	return cur, nil
}

// cached returns the last settings read without touching the database
// more than once per SettingsTTL; on a read failure it logs and keeps
// the previous (or default) settings.
func (s *SettingsService) cached(ctx context.Context) Settings {
	st, err := s.Get(ctx)
	if err != nil {
		s.log.Error("read settings", "err", err)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.valid {
			s.cur, s.valid, s.parsed = s.defaults, true, nil
		}
		s.loaded = s.now() // retry after SettingsTTL, not on every request
		return s.cur
	}
	return st
}

// Save stores new settings.
func (s *SettingsService) Save(ctx context.Context, st Settings) error {
	if s.store != nil {
		if err := s.store.Set(ctx, settingsKey, st); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.cur, s.loaded, s.valid, s.parsed = st, s.now(), true, nil
	s.mu.Unlock()
	return nil
}

// Forget drops the copy of the settings: the next Get reads them again.
// The node calls it when another node announces a change.
func (s *SettingsService) Forget() {
	s.mu.Lock()
	s.valid = false
	s.mu.Unlock()
}

// mergeSettings decodes raw over base. Lists in raw replace those of base.
func mergeSettings(base Settings, raw []byte) (Settings, error) {
	out := base
	out.RateLimits.Rules = append([]RateLimitRule(nil), base.RateLimits.Rules...)
	// Decoding into a slice writes into its array: base keeps its own.
	out.CORS.Origins = slices.Clone(base.CORS.Origins)
	out.TrustedProxy.Proxies = slices.Clone(base.TrustedProxy.Proxies)
	var probe struct {
		RateLimits *struct {
			Rules json.RawMessage `json:"rules"`
		} `json:"rateLimits"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return out, err
	}
	if probe.RateLimits != nil && probe.RateLimits.Rules != nil {
		out.RateLimits.Rules = nil // decoding into a slice would reuse old elements
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, err
	}
	if out.RateLimits.Rules == nil {
		out.RateLimits.Rules = []RateLimitRule{}
	}
	if out.TrustedProxy.Proxies == nil {
		out.TrustedProxy.Proxies = []string{}
	}
	if out.CORS.Origins == nil {
		out.CORS.Origins = []string{}
	}
	return out, nil
}

// settingsView is what clients see: the SMTP password only as set or not,
// PocketBase's boolean "tls" beside the TLS mode, and the settings in
// force on the node that answers (with those its flags fix).
type settingsView struct {
	Meta         MetaSettings         `json:"meta"`
	SMTP         smtpView             `json:"smtp"`
	RateLimits   RateLimitSettings    `json:"rateLimits"`
	TrustedProxy TrustedProxySettings `json:"trustedProxy"`
	CORS         CORSSettings         `json:"cors"`
	Batch        BatchSettings        `json:"batch"`
	// Realtime is read-only: set per node with serve's flags.
	Realtime realtimeView `json:"realtime"`
	// NodeFlags name the settings the answering node's flags fix, and the
	// flags: there, saved values of them do not apply.
	NodeFlags map[string]string `json:"nodeFlags"`
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

func (h *handlers) viewOf(s Settings) settingsView {
	node := h.Settings.node
	s = node.apply(s)
	return settingsView{
		TrustedProxy: s.TrustedProxy,
		CORS:         s.CORS,
		NodeFlags:    node.flags(),
		Realtime:     realtimeView{RetentionSeconds: int64(h.RealtimeRetention / time.Second)},
		Meta:         s.Meta,
		SMTP: smtpView{
			Enabled: s.SMTP.Enabled, Host: s.SMTP.Host, Port: s.SMTP.Port, Username: s.SMTP.Username,
			PasswordSet: s.SMTP.Password != "", AuthMethod: s.SMTP.AuthMethod,
			TLS: s.SMTP.TLSMode == lmail.TLSImplicit, TLSMode: s.SMTP.TLSMode,
		},
		RateLimits: s.RateLimits,
		Batch:      s.Batch,
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
// "starttls" (false).
func (h *handlers) patchSettings(c *fiber.Ctx) error {
	cur, err := h.Settings.Get(c.UserContext())
	if err != nil {
		return err
	}
	body := c.Body()
	var probe struct {
		SMTP map[string]json.RawMessage `json:"smtp"`
	}
	if err := decodeJSON(body, &probe); err != nil {
		return err
	}
	next, err := mergeSettings(cur, body)
	if err != nil {
		return jsonError(err)
	}
	if pw, ok := probe.SMTP["password"]; !ok || string(pw) == `""` {
		next.SMTP.Password = cur.SMTP.Password
	} else if string(pw) == "null" {
		next.SMTP.Password = ""
	}
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
	if err := validateSettings(&next); err != nil {
		return err
	}
	if err := h.Settings.Save(c.UserContext(), next); err != nil {
		return err
	}
	return c.JSON(h.viewOf(next))
}

// headerNameRe matches HTTP header names (RFC 9110 tokens).
var headerNameRe = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

func validateSettings(s *Settings) error {
	errs := map[string]collections.FieldError{}
	fail := func(key, code, msg string) { errs[key] = collections.FieldError{Code: code, Message: msg} }
	m := &s.Meta
	m.AppName, m.AppURL = strings.TrimSpace(m.AppName), strings.TrimRight(strings.TrimSpace(m.AppURL), "/")
	if m.AppName == "" || len(m.AppName) > 255 {
		fail("meta.appName", "validation_required", "Must be between 1 and 255 characters.")
	}
	if u, err := url.Parse(m.AppURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("meta.appURL", "validation_is_url", "Must be an http or https URL.")
	}
	if len(m.SenderName) > 255 || strings.ContainsAny(m.SenderName, "\r\n") {
		fail("meta.senderName", "validation_invalid_value", "Must be one line of at most 255 characters.")
	}
	if a, err := mail.ParseAddress(m.SenderAddress); err != nil || a.Address != m.SenderAddress {
		fail("meta.senderAddress", "validation_is_email", "Must be a valid email address.")
	}
	sm := &s.SMTP
	sm.Host = strings.TrimSpace(sm.Host)
	switch sm.TLSMode {
	case lmail.TLSNone, lmail.TLSStartTLS, lmail.TLSImplicit:
	case "":
		sm.TLSMode = lmail.TLSStartTLS
	default:
		fail("smtp.tlsMode", "validation_in_invalid", `Must be "none", "starttls" or "tls".`)
	}
	switch strings.ToUpper(sm.AuthMethod) {
	case "", "PLAIN", "LOGIN":
		sm.AuthMethod = strings.ToUpper(sm.AuthMethod)
	default:
		fail("smtp.authMethod", "validation_in_invalid", `Must be "PLAIN" or "LOGIN".`)
	}
	if sm.Enabled && (sm.Host == "" || strings.ContainsAny(sm.Host, " /\r\n")) {
		fail("smtp.host", "validation_required", "Must be a host name or address.")
	}
	if sm.Enabled && (sm.Port < 1 || sm.Port > 65535) {
		fail("smtp.port", "validation_out_of_range", "Must be between 1 and 65535.")
	}
	for i, o := range s.CORS.Origins {
		if _, err := ParseOrigins([]string{o}); err != nil {
			fail(fmt.Sprintf("cors.origins.%d", i), "validation_invalid_origin", err.Error())
		}
	}
	for i, p := range s.TrustedProxy.Proxies {
		if _, err := parseRange(p); err != nil {
			fail(fmt.Sprintf("trustedProxy.proxies.%d", i), "validation_invalid_proxy", err.Error())
		}
	}
	tp := &s.TrustedProxy
	if tp.Header = strings.TrimSpace(tp.Header); tp.Header == "" {
		tp.Header = DefaultProxyHeader
	} else if !headerNameRe.MatchString(tp.Header) {
		fail("trustedProxy.header", "validation_invalid_header", `Must be a header name such as "X-Forwarded-For" or "X-Real-IP".`)
	}
	s.Batch.validate(fail)
	seen := map[string]int{}
	for i, r := range s.RateLimits.Rules {
		key := fmt.Sprintf("rateLimits.rules.%d", i)
		if msg := checkRateLimitLabel(r.Label); msg != "" {
			fail(key+".label", "validation_invalid_label", msg)
		}
		switch r.Audience {
		case "", audienceGuest, audienceAuth:
		default:
			fail(key+".audience", "validation_in_invalid", `Must be "", "@guest" or "@auth".`)
		}
		if r.Duration < 1 || r.Duration > 86400 {
			fail(key+".duration", "validation_out_of_range", "Must be between 1 and 86400 seconds.")
		}
		if r.MaxRequests < 1 {
			fail(key+".maxRequests", "validation_out_of_range", "Must be at least 1.")
		}
		id := r.Label + "\x00" + r.Audience
		if j, dup := seen[id]; dup {
			fail(key+".label", "validation_duplicated_rule", fmt.Sprintf("Same label and audience as rule %d.", j))
		}
		seen[id] = i
	}
	if len(errs) > 0 {
		return collections.Invalid("An error occurred while validating the submitted data.", errs)
	}
	return nil
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
