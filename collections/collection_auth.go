package collections

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// SuperusersName is the auth collection of superusers.
const SuperusersName = "_superusers"

// AuthOptions are the settings of an auth collection, written in its JSON
// with PocketBase's (0.23+) names. Durations are in seconds.
type AuthOptions struct {
	// AuthRule decides who may sign in (besides having the right password);
	// ManageRule who may manage other records of the collection: set their
	// email directly (superusers always may; nil or "" leaves it to them).
	// Both are filter expressions on the record, with the caller as
	// @request.auth.
	AuthRule   *string `json:"authRule"`
	ManageRule *string `json:"manageRule"`

	PasswordAuth PasswordAuth  `json:"passwordAuth"`
	OAuth2       OAuth2Options `json:"oauth2"`

	// MFA, OTP and AuthAlert are PocketBase's options for a second sign-in
	// factor, one-time passwords and new-location alerts, kept as given
	// (see collection_auth_factors.go for what Lumbung does with them).
	MFA       MFAOptions       `json:"mfa"`
	OTP       OTPOptions       `json:"otp"`
	AuthAlert AuthAlertOptions `json:"authAlert"`

	AuthToken          TokenOptions `json:"authToken"`
	PasswordResetToken TokenOptions `json:"passwordResetToken"`
	EmailChangeToken   TokenOptions `json:"emailChangeToken"`
	VerificationToken  TokenOptions `json:"verificationToken"`
	FileToken          TokenOptions `json:"fileToken"`

	VerificationTemplate       EmailTemplate `json:"verificationTemplate"`
	ResetPasswordTemplate      EmailTemplate `json:"resetPasswordTemplate"`
	ConfirmEmailChangeTemplate EmailTemplate `json:"confirmEmailChangeTemplate"`
}

// PasswordAuth configures sign-in with an identity and a password.
type PasswordAuth struct {
	Enabled bool `json:"enabled"`
	// IdentityFields are the fields an identity is looked up by, in order.
	IdentityFields []string `json:"identityFields"`
}

// OAuth2Options configure sign-in through OAuth2 / OpenID Connect
// providers (the authorization code flow with PKCE).
type OAuth2Options struct {
	Enabled bool `json:"enabled"`
	// MappedFields name the collection fields that receive the provider's
	// user name, username and avatar URL when a record is created ("" for
	// none).
	MappedFields OAuth2MappedFields `json:"mappedFields"`
	Providers    []OAuth2Provider   `json:"providers"`
}

// OAuth2MappedFields map provider user data to collection fields.
type OAuth2MappedFields struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Username  string `json:"username"`
	AvatarURL string `json:"avatarURL"`
}

// OAuth2Provider is one OAuth2 / OpenID Connect provider: a built-in one
// by its name ("github", "google"; see OAuth2Presets), which fills in what
// is left out, or any other named by its endpoints (PocketBase's "oidc"
// provider settings).
type OAuth2Provider struct {
	Name         string `json:"name"`
	DisplayName  string `json:"displayName"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	AuthURL      string `json:"authURL"`
	TokenURL     string `json:"tokenURL"`
	UserInfoURL  string `json:"userInfoURL"`
	// PKCE sends a code challenge (on unless set to false).
	PKCE *bool `json:"pkce"`
	// Scopes asked for (the preset's, else "openid email profile", when
	// empty).
	Scopes []string `json:"scopes,omitempty"`
}

// WithPreset returns a copy of p in which the built-in provider of the same
// name, if any, fills in the display name, endpoints, scopes and PKCE
// setting p leaves out; what p sets wins.
func (p OAuth2Provider) WithPreset() OAuth2Provider {
	if p.PKCE != nil {
		v := *p.PKCE
		p.PKCE = &v
	}
	p.Scopes = slices.Clone(p.Scopes)
	pre, ok := oauth2Presets[p.Name]
	if !ok {
		return p
	}
	for _, f := range []struct {
		dst *string
		def string
	}{
		{&p.DisplayName, pre.DisplayName}, {&p.AuthURL, pre.AuthURL},
		{&p.TokenURL, pre.TokenURL}, {&p.UserInfoURL, pre.UserInfoURL},
	} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
	if len(p.Scopes) == 0 {
		p.Scopes = slices.Clone(pre.Scopes)
	}
	if p.PKCE == nil {
		v := pre.PKCE
		p.PKCE = &v
	}
	return p
}

// Provider returns the enabled provider named name.
func (o *OAuth2Options) Provider(name string) (*OAuth2Provider, bool) {
	if !o.Enabled {
		return nil, false
	}
	for i := range o.Providers {
		if o.Providers[i].Name == name {
			return &o.Providers[i], true
		}
	}
	return nil, false
}

// TokenOptions configures one kind of token.
type TokenOptions struct {
	Duration int64 `json:"duration"` // seconds
}

// EmailTemplate is the subject and HTML body of an email. Both may use the
// placeholders {APP_NAME}, {APP_URL}, {TOKEN} and {RECORD:<field>}.
type EmailTemplate struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// Token lifetimes PocketBase gives new auth collections, in seconds.
const (
	DefaultAuthTokenDuration          = 7 * 24 * 60 * 60
	DefaultSuperuserAuthTokenDuration = 24 * 60 * 60
	DefaultPasswordResetTokenDuration = 30 * 60
	DefaultEmailChangeTokenDuration   = 30 * 60
	DefaultVerificationTokenDuration  = 3 * 24 * 60 * 60
	DefaultFileTokenDuration          = 3 * 60
	minTokenDuration                  = 10
	maxTokenDuration                  = 3 * 365 * 24 * 60 * 60
	defaultSuperuserFileTokenDuration = 2 * 60
	defaultIdentityField              = "email"
)

// Default email templates, as PocketBase words them. Links point at the
// dashboard's confirmation pages, which call the confirm-* endpoints.
var (
	DefaultVerificationTemplate = EmailTemplate{
		Subject: "Verify your {APP_NAME} email",
		Body: `<p>Hello,</p>
<p>Thank you for joining us at {APP_NAME}.</p>
<p>Click on the button below to verify your email address.</p>
<p>
  <a class="btn" href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}" target="_blank" rel="noopener">Verify</a>
</p>
<p>
  Thanks,<br/>
  {APP_NAME} team
</p>`,
	}
	DefaultResetPasswordTemplate = EmailTemplate{
		Subject: "Reset your {APP_NAME} password",
		Body: `<p>Hello,</p>
<p>Click on the button below to reset your password.</p>
<p>
  <a class="btn" href="{APP_URL}/_/#/auth/confirm-password-reset/{TOKEN}" target="_blank" rel="noopener">Reset password</a>
</p>
<p><i>If you didn't ask to reset your password, you can ignore this email.</i></p>
<p>
  Thanks,<br/>
  {APP_NAME} team
</p>`,
	}
	DefaultConfirmEmailChangeTemplate = EmailTemplate{
		Subject: "Confirm your {APP_NAME} new email address",
		Body: `<p>Hello,</p>
<p>Click on the button below to confirm your new email address.</p>
<p>
  <a class="btn" href="{APP_URL}/_/#/auth/confirm-email-change/{TOKEN}" target="_blank" rel="noopener">Confirm new email</a>
</p>
<p><i>If you didn't ask to change your email address, you can ignore this email.</i></p>
<p>
  Thanks,<br/>
  {APP_NAME} team
</p>`,
	}
)

// DefaultAuthOptions returns the options of a new auth collection named
// name: password sign-in by email, anyone may sign in, PocketBase's token
// lifetimes (shorter sessions for superusers) and email templates.
func DefaultAuthOptions(name string) *AuthOptions {
	empty := ""
	o := &AuthOptions{AuthRule: &empty}
	o.PasswordAuth = PasswordAuth{Enabled: true, IdentityFields: []string{defaultIdentityField}}
	o.AuthAlert.Enabled = true // PocketBase's default
	o.fillDefaults(name)
	return o
}

// fillDefaults sets every zero duration and empty template to its default.
func (o *AuthOptions) fillDefaults(name string) {
	authTTL, fileTTL := int64(DefaultAuthTokenDuration), int64(DefaultFileTokenDuration)
	if name == SuperusersName {
		authTTL, fileTTL = DefaultSuperuserAuthTokenDuration, defaultSuperuserFileTokenDuration
	}
	for _, d := range []struct {
		dst *TokenOptions
		def int64
	}{
		{&o.AuthToken, authTTL},
		{&o.PasswordResetToken, DefaultPasswordResetTokenDuration},
		{&o.EmailChangeToken, DefaultEmailChangeTokenDuration},
		{&o.VerificationToken, DefaultVerificationTokenDuration},
		{&o.FileToken, fileTTL},
	} {
		if d.dst.Duration == 0 {
			d.dst.Duration = d.def
		}
	}
	o.fillFactorDefaults()
	for _, t := range []struct {
		dst *EmailTemplate
		def EmailTemplate
	}{
		{&o.VerificationTemplate, DefaultVerificationTemplate},
		{&o.ResetPasswordTemplate, DefaultResetPasswordTemplate},
		{&o.ConfirmEmailChangeTemplate, DefaultConfirmEmailChangeTemplate},
		{&o.OTP.EmailTemplate, DefaultOTPTemplate},
		{&o.AuthAlert.EmailTemplate, DefaultAuthAlertTemplate},
	} {
		if strings.TrimSpace(t.dst.Subject) == "" {
			t.dst.Subject = t.def.Subject
		}
		if strings.TrimSpace(t.dst.Body) == "" {
			t.dst.Body = t.def.Body
		}
	}
}

// clone returns a deep copy of o.
func (o *AuthOptions) clone() *AuthOptions {
	if o == nil {
		return nil
	}
	n := *o
	n.AuthRule, n.ManageRule = cloneRule(o.AuthRule), cloneRule(o.ManageRule)
	n.PasswordAuth.IdentityFields = append([]string(nil), o.PasswordAuth.IdentityFields...)
	n.OAuth2.Providers = make([]OAuth2Provider, len(o.OAuth2.Providers))
	for i, p := range o.OAuth2.Providers {
		if p.PKCE != nil {
			v := *p.PKCE
			p.PKCE = &v
		}
		p.Scopes = append([]string(nil), p.Scopes...)
		n.OAuth2.Providers[i] = p
	}
	return &n
}

func cloneRule(r *string) *string {
	if r == nil {
		return nil
	}
	s := *r
	return &s
}

// authKeys are the top-level keys of a collection's JSON that belong to
// AuthOptions.
var authKeys = func() map[string]bool {
	keys := map[string]bool{}
	b, _ := json.Marshal(AuthOptions{})
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m) //nolint:errcheck // marshalled just above
	for k := range m {
		keys[k] = true
	}
	return keys
}()

// UnmarshalJSON reads a collection's JSON; the auth options of an auth
// collection are merged over the current ones (defaults for a new one), so
// a partial update changes only what it names.
func (c *Collection) UnmarshalJSON(data []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err == nil && legacyForm(keys) {
		upgraded, err := upgradeLegacy(keys)
		if err != nil {
			return err
		}
		data = upgraded
	}
	type plain Collection
	aux := struct {
		*plain
		Fields json.RawMessage `json:"fields"` // decoded one by one, to key errors by position
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	if aux.Fields != nil {
		if err := c.decodeFields(aux.Fields); err != nil {
			return err
		}
	}
	if c.Type != TypeAuth && c.Auth == nil {
		return nil
	}
	if c.Auth == nil {
		c.Auth = DefaultAuthOptions(c.Name)
	}
	var probe struct {
		OAuth2 *struct {
			Providers json.RawMessage `json:"providers"`
		} `json:"oauth2"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return err
	}
	if probe.OAuth2 != nil && probe.OAuth2.Providers != nil {
		c.Auth.OAuth2.Providers = nil // a list replaces the old one, element by element decoding would merge
	}
	return json.Unmarshal(data, c.Auth)
}

// decodeFields reads the "fields" array. A field that does not decode is
// an EINVALID error keyed fields.<i> or fields.<i>.<attribute>.
func (c *Collection) decodeFields(raw json.RawMessage) error {
	if string(raw) == "null" {
		c.Fields = nil
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return Invalid("Failed to read the collection.", map[string]FieldError{
			"fields": {Code: "validation_invalid_value", Message: "Must be a list of field definitions."}})
	}
	fields := make([]*Field, len(items))
	for i, item := range items {
		f := &Field{}
		if err := json.Unmarshal(item, f); err != nil {
			key := fmt.Sprintf("fields.%d", i)
			var e *Error
			if !errors.As(err, &e) {
				return Invalid("Failed to read the collection.", map[string]FieldError{
					key: {Code: "validation_invalid_value", Message: "Must be a field definition object."}})
			}
			data := map[string]FieldError{}
			for k, fe := range e.Data {
				data[key+"."+k] = fe
			}
			if len(data) == 0 {
				data[key] = FieldError{Code: "validation_invalid_value", Message: e.Message}
			}
			return Invalid(e.Message, data)
		}
		fields[i] = f
	}
	c.Fields = fields
	return nil
}

// appendAuthJSON adds the auth options of an auth collection to its JSON
// object b.
func (c *Collection) appendAuthJSON(b []byte) ([]byte, error) {
	if c.Type != TypeAuth || c.Auth == nil {
		return b, nil
	}
	opts, err := json.Marshal(c.Auth)
	if err != nil {
		return nil, err
	}
	out := append(b[:len(b)-1:len(b)-1], ',')
	out = append(out, opts[1:]...)
	return out, nil
}

// normalizeAuth fills in and checks the options of an auth collection.
func normalizeAuth(c *Collection, fail func(key, code, msg string)) {
	if c.Type != TypeAuth {
		c.Auth = nil
		return
	}
	if c.Auth == nil {
		c.Auth = DefaultAuthOptions(c.Name)
	}
	o := c.Auth
	o.fillDefaults(c.Name)
	for key, d := range map[string]int64{
		"authToken": o.AuthToken.Duration, "passwordResetToken": o.PasswordResetToken.Duration,
		"emailChangeToken": o.EmailChangeToken.Duration, "verificationToken": o.VerificationToken.Duration,
		"fileToken": o.FileToken.Duration,
	} {
		if d < minTokenDuration || d > maxTokenDuration {
			fail(key+".duration", "validation_out_of_range", fmt.Sprintf("Must be between %d and %d seconds.", minTokenDuration, maxTokenDuration))
		}
	}
	if o.PasswordAuth.IdentityFields == nil {
		o.PasswordAuth.IdentityFields = []string{}
	}
	if o.PasswordAuth.Enabled && len(o.PasswordAuth.IdentityFields) == 0 {
		fail("passwordAuth.identityFields", "validation_required", "Password sign-in needs at least one identity field.")
	}
	normalizeOAuth2(c, fail)
	normalizeFactors(c, fail)
	seen := map[string]bool{}
	for i, name := range o.PasswordAuth.IdentityFields {
		key := fmt.Sprintf("passwordAuth.identityFields.%d", i)
		f, ok := c.Field(name)
		switch {
		case !ok:
			fail(key, "validation_missing_field", fmt.Sprintf("Unknown field %q.", name))
		case seen[name]:
			fail(key, "validation_duplicated_field", fmt.Sprintf("%q is listed twice.", name))
		case f.Type != "email" && f.Type != "text":
			fail(key, "validation_invalid_identity_field", fmt.Sprintf("%q must be a text or email field.", name))
		case !hasUniqueIndex(c, name):
			fail(key, "validation_missing_unique_index", fmt.Sprintf("%q needs a unique index to identify records.", name))
		}
		seen[name] = true
	}
}

var providerNameRe = regexp.MustCompile(`^[a-z0-9_]{1,50}$`)

func normalizeOAuth2(c *Collection, fail func(key, code, msg string)) {
	o := &c.Auth.OAuth2
	if o.Providers == nil {
		o.Providers = []OAuth2Provider{}
	}
	m := &o.MappedFields
	for key, name := range map[string]*string{"id": &m.ID, "name": &m.Name, "username": &m.Username, "avatarURL": &m.AvatarURL} {
		if *name == "" {
			continue
		}
		f, ok := c.Field(*name)
		switch {
		case !ok:
			*name = "" // as PocketBase: a mapping to a field that is gone is dropped
		case key == "avatarURL" && f.Type == "file" && !f.System:
			// PocketBase downloads the avatar into a file field; without
			// file storage Lumbung leaves it empty.
		case f.System || (f.Type != "text" && f.Type != "url" && f.Type != "editor"):
			fail("oauth2.mappedFields."+key, "validation_invalid_mapped_field", fmt.Sprintf("%q must be a text or url field of the collection.", *name))
		}
	}
	names := map[string]bool{}
	for i := range o.Providers {
		p := &o.Providers[i]
		key := fmt.Sprintf("oauth2.providers.%d", i)
		switch {
		case !providerNameRe.MatchString(p.Name):
			fail(key+".name", "validation_invalid_name", "Must be 1-50 lowercase letters, digits or underscores.")
		case names[p.Name]:
			fail(key+".name", "validation_duplicated_provider", fmt.Sprintf("Provider %q is listed twice.", p.Name))
		}
		names[p.Name] = true
		if strings.TrimSpace(p.ClientID) == "" {
			fail(key+".clientId", "validation_required", "Cannot be blank.")
		}
		pre, preset := oauth2Presets[p.Name]
		for field, v := range map[string]string{"authURL": p.AuthURL, "tokenURL": p.TokenURL, "userInfoURL": p.UserInfoURL} {
			if v == "" && preset && pre.AuthURL != "" {
				continue // the built-in endpoint (or none needed: Apple's user is in its ID token)
			}
			if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				fail(key+"."+field, "validation_is_url", "Must be an http or https URL.")
			}
		}
	}
}

// ensureAuthIndexes adds the unique indexes every auth collection has: on
// the token key, and on the non-empty emails, compared case-insensitively
// (sign-in finds an email in any case, so two may not differ by case
// alone). PocketBase's email index, case-sensitive, is made so.
func ensureAuthIndexes(c *Collection) {
	if !hasUniqueIndex(c, "tokenKey") {
		ix := Index{Name: "idx_tokenKey_" + c.ID, Unique: true, Columns: []IndexColumn{{Name: "tokenKey"}}}
		c.Indexes = append(c.Indexes, ix.String(c.Name))
	}
	if i := uniqueIndexOn(c, "email"); i >= 0 {
		ix, _ := ParseIndex(c.Indexes[i])
		ix.Columns[0].NoCase = true
		c.Indexes[i] = ix.String(c.Name)
	} else {
		ix := Index{Name: "idx_email_" + c.ID, Unique: true, Columns: []IndexColumn{{Name: "email", NoCase: true}}, NotEmpty: []string{"email"}}
		c.Indexes = append(c.Indexes, ix.String(c.Name))
	}
}

// hasUniqueIndex reports whether a unique index covers exactly field.
func hasUniqueIndex(c *Collection, field string) bool { return uniqueIndexOn(c, field) >= 0 }

// uniqueIndexOn returns the position in c.Indexes of a unique index on
// exactly field (partial or not), or -1.
func uniqueIndexOn(c *Collection, field string) int {
	for i, raw := range c.Indexes {
		ix, err := ParseIndex(raw)
		if err == nil && ix.Unique && len(ix.Columns) == 1 && ix.Columns[0].Name == field {
			return i
		}
	}
	return -1
}
