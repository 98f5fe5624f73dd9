// Package settings holds the application settings: their model, the
// defaults of a new installation, validation, and a Service that keeps a
// cached copy read from a Store. The HTTP handlers that show and change
// them live in server/api; features and plugins read them from here
// without importing HTTP code.
package settings

import (
	"encoding/json"
	"maps"
	"slices"

	lmail "github.com/lumbunghq/lumbung/server/mail"
)

// Settings are the application settings, in PocketBase's shape (a subset:
// meta, smtp, rateLimits, trustedProxy — with the proxies' addresses —,
// batch, logs, and cors, which PocketBase sets with a flag only), and
// Lumbung's metrics, and s3. The SMTP password, the metrics token and the
// S3 secret are stored but never sent back.
type Settings struct {
	Meta         Meta         `json:"meta"`
	SMTP         SMTP         `json:"smtp"`
	Backups      Backups      `json:"backups"`
	RateLimits   RateLimits   `json:"rateLimits"`
	TrustedProxy TrustedProxy `json:"trustedProxy"`
	CORS         CORS         `json:"cors"`
	Batch        Batch        `json:"batch"`
	Logs         Logs         `json:"logs"`
	Audit        Audit        `json:"audit"`
	Metrics      Metrics      `json:"metrics"`
	S3           S3           `json:"s3"`
	// Plugins enable and configure the plugins of the binary by ID.
	Plugins map[string]Plugin `json:"plugins"`
}

// Meta name the application in emails and links.
type Meta struct {
	AppName       string `json:"appName"`
	AppURL        string `json:"appURL"`
	SenderName    string `json:"senderName"`
	SenderAddress string `json:"senderAddress"`
	HideControls  bool   `json:"hideControls"`
}

// SMTP are how mail leaves the server.
type SMTP struct {
	Enabled    bool   `json:"enabled"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	AuthMethod string `json:"authMethod"`
	// TLSMode is "none", "starttls" or "tls" (see server/mail).
	TLSMode string `json:"tlsMode"`
}

// RateLimits are request limits per client address, as PocketBase's
// rateLimits settings.
type RateLimits struct {
	Enabled bool            `json:"enabled"`
	Rules   []RateLimitRule `json:"rules"`
}

// RateLimitRule allows MaxRequests requests per Duration seconds from one
// client address to what Label names: a tag "<collection>:<action>" or
// "*:<action>" (actions as PocketBase names them: auth, authWithPassword,
// requestPasswordReset, create, list, …; see RateLimitActions), an exact
// path "/api/x" or a path prefix "/api/" (both optionally after a method:
// "POST /api/batch"). Audience narrows the rule to AudienceGuest or
// AudienceAuth callers ("" for all).
type RateLimitRule struct {
	Label       string `json:"label"`
	Audience    string `json:"audience"`
	Duration    int64  `json:"duration"`
	MaxRequests int    `json:"maxRequests"`
}

// Audiences of a rate limit rule.
const (
	// AudienceGuest narrows a rule to callers who are not signed in.
	AudienceGuest = "@guest"
	// AudienceAuth narrows a rule to signed-in callers.
	AudienceAuth = "@auth"
)

// Defaults are the settings of a new installation at appURL
// ("http://127.0.0.1:8090" when empty): mail off, and rate limits on for
// sign-in and for the endpoints that send email.
func Defaults(appURL string) Settings {
	if appURL == "" {
		appURL = "http://127.0.0.1:8090"
	}
	return Settings{
		Meta: Meta{AppName: "Lumbung", AppURL: appURL, SenderName: "Support", SenderAddress: "support@example.com"},
		SMTP: SMTP{Port: 587, TLSMode: lmail.TLSStartTLS},
		RateLimits: RateLimits{Enabled: true, Rules: []RateLimitRule{
			{Label: "*:auth", Duration: 10, MaxRequests: 20},
			{Label: "*:requestVerification", Duration: 60, MaxRequests: 5},
			{Label: "*:requestPasswordReset", Duration: 60, MaxRequests: 5},
			{Label: "*:requestEmailChange", Duration: 60, MaxRequests: 5},
			{Label: "*:requestOTP", Duration: 60, MaxRequests: 5},
			{Label: "*:confirmEmailChange", Duration: 60, MaxRequests: 10},
		}},
		TrustedProxy: TrustedProxy{Proxies: []string{}, Header: DefaultProxyHeader},
		CORS:         CORS{Origins: []string{"*"}},
		Batch:        DefaultBatch(),
		Backups:      DefaultBackups(),
		Logs:         DefaultLogs(),
		Audit:        DefaultAudit(),
		Metrics:      DefaultMetrics(),
		Plugins:      map[string]Plugin{},
	}
}

// Merge decodes the JSON object raw over base and returns the result;
// base is left as it was. Keys missing from raw keep base's values; lists
// in raw replace those of base (and are never nil in the result). The
// result is not validated.
func Merge(base Settings, raw []byte) (Settings, error) {
	out := base
	out.RateLimits.Rules = append([]RateLimitRule(nil), base.RateLimits.Rules...)
	// Decoding into a slice writes into its array: base keeps its own.
	out.CORS.Origins = slices.Clone(base.CORS.Origins)
	out.TrustedProxy.Proxies = slices.Clone(base.TrustedProxy.Proxies)
	out.Metrics.AllowedAddresses = slices.Clone(base.Metrics.AllowedAddresses)
	out.Plugins = maps.Clone(base.Plugins) // decoding into a map writes into it
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
	if out.Metrics.AllowedAddresses == nil {
		out.Metrics.AllowedAddresses = []string{}
	}
	if out.Plugins == nil {
		out.Plugins = map[string]Plugin{}
	}
	return out, nil
}
