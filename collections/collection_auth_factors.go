package collections

import (
	"context"
	"fmt"
	"strings"
)

// MFAOptions are PocketBase's multi-factor authentication options: with
// Enabled, a sign-in needs two different methods within Duration seconds,
// for the records Rule matches (every record when empty). See
// Records.WantsMFA.
type MFAOptions struct {
	Enabled  bool   `json:"enabled"`
	Duration int64  `json:"duration"`
	Rule     string `json:"rule"`
}

// OTPOptions are PocketBase's one-time password options: sign-in with a
// code of Length digits sent by email, valid for Duration seconds.
type OTPOptions struct {
	Enabled       bool          `json:"enabled"`
	Duration      int64         `json:"duration"`
	Length        int           `json:"length"`
	EmailTemplate EmailTemplate `json:"emailTemplate"`
}

// AuthAlertOptions are PocketBase's new-location sign-in alert options
// (enabled by default, as in PocketBase).
type AuthAlertOptions struct {
	Enabled       bool          `json:"enabled"`
	EmailTemplate EmailTemplate `json:"emailTemplate"`
}

// PocketBase's defaults for the factor options.
const (
	DefaultMFADuration = 10 * 60
	DefaultOTPDuration = 3 * 60
	DefaultOTPLength   = 8
	maxFactorDuration  = 24 * 60 * 60
)

// Default templates of the OTP email and the new-location alert, as
// PocketBase words them ({OTP} and {ALERT_INFO} are their placeholders).
var (
	DefaultOTPTemplate = EmailTemplate{
		Subject: "OTP for {APP_NAME}",
		Body: `<p>Hello,</p>
<p>Your one-time password is: <strong>{OTP}</strong></p>
<p><i>If you didn't ask for the one-time password, you can ignore this email.</i></p>
<p>
  Thanks,<br/>
  {APP_NAME} team
</p>`,
	}
	DefaultAuthAlertTemplate = EmailTemplate{
		Subject: "Login from a new location",
		Body: `<p>Hello,</p>
<p>We noticed a login to your {APP_NAME} account from a new location:</p>
<p><em>{ALERT_INFO}</em></p>
<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>
<p>If this was you, you may disregard this email.</p>
<p>
  Thanks,<br/>
  {APP_NAME} team
</p>`,
	}
)

func (o *AuthOptions) fillFactorDefaults() {
	if o.MFA.Duration == 0 {
		o.MFA.Duration = DefaultMFADuration
	}
	if o.OTP.Duration == 0 {
		o.OTP.Duration = DefaultOTPDuration
	}
	if o.OTP.Length == 0 {
		o.OTP.Length = DefaultOTPLength
	}
}

// normalizeFactors checks the factor options as PocketBase does (MFA needs
// two enabled sign-in methods).
func normalizeFactors(c *Collection, fail func(key, code, msg string)) {
	o := c.Auth
	o.MFA.Rule = strings.TrimSpace(o.MFA.Rule)
	if o.MFA.Enabled {
		if o.MFA.Duration < 10 || o.MFA.Duration > maxFactorDuration {
			fail("mfa.duration", "validation_out_of_range", fmt.Sprintf("Must be between 10 and %d seconds.", maxFactorDuration))
		}
		methods := 0
		for _, on := range []bool{o.PasswordAuth.Enabled, o.OAuth2.Enabled, o.OTP.Enabled} {
			if on {
				methods++
			}
		}
		if methods < 2 {
			fail("mfa.enabled", "validation_mfa_not_enough_auths", "MFA requires at least 2 auth methods to be enabled.")
		}
	}
	if o.OTP.Enabled {
		if o.OTP.Duration < 10 || o.OTP.Duration > maxFactorDuration {
			fail("otp.duration", "validation_out_of_range", fmt.Sprintf("Must be between 10 and %d seconds.", maxFactorDuration))
		}
		if o.OTP.Length < 4 {
			fail("otp.length", "validation_min_greater_equal_than_required", "Must be at least 4.")
		}
	}
}

// WantsMFA reports whether a sign-in of rec needs a second method: the
// collection has MFA enabled and its rule (every record when empty)
// matches rec, with rec as @request.auth.
func (r *Records) WantsMFA(ctx context.Context, c *Collection, rec *Record) (bool, error) {
	if c.Auth == nil || !c.Auth.MFA.Enabled {
		return false, nil
	}
	if rule := c.Auth.MFA.Rule; rule != "" {
		return r.matchesSelf(ctx, c, rec, rule)
	}
	return true, nil
}
