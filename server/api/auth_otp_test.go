package api_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/mail/mailtest"
)

// MustEnableOTP turns on OTP sign-in for an auth collection with a code
// length and duration.
func MustEnableOTP(tb testing.TB, e *env, collection string, length, duration int) {
	tb.Helper()
	e.MustJSON("PATCH", "/api/collections/"+collection, "", fmt.Sprintf(`{"otp": {"enabled": true, "length": %d, "duration": %d}}`, length, duration), 200, nil)
}

// MustRequestOTP asks for an OTP as a guest and returns its id.
func MustRequestOTP(tb testing.TB, e *env, collection, email string) string {
	tb.Helper()
	var out struct{ OtpID string }
	e.MustJSON("POST", "/api/collections/"+collection+"/request-otp", "-", fmt.Sprintf(`{"email": %q}`, email), 200, &out)
	if !regexp.MustCompile(`^[a-z0-9]{15}$`).MatchString(out.OtpID) {
		tb.Fatalf("otpId %q", out.OtpID)
	}
	return out.OtpID
}

var otpCodeRe = regexp.MustCompile(`<strong>(\d+)</strong>`)

// otpCode returns the code in an OTP email of the default template.
func otpCode(tb testing.TB, m mailtest.Message) string {
	tb.Helper()
	mt := otpCodeRe.FindStringSubmatch(m.HTML)
	if mt == nil {
		tb.Fatalf("no code in the OTP email:\n%s", m.HTML)
	}
	return mt[1]
}

func otpBody(otpID, code string) string {
	return fmt.Sprintf(`{"otpId": %q, "password": %q}`, otpID, code)
}

// wrongCode is a code of the same length that is not code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

const invalidOTPBody = `{"status":400,"message":"Invalid or expired OTP.","data":{}}`

func TestOTPFlow(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	id := MustUser(t, e.env, "ada@example.com", "ada password")
	e.Run(t, []scenario{
		{Name: "disabled: request", Method: "POST", URL: "/api/collections/users/request-otp", Token: "-",
			Body: `{"email": "ada@example.com"}`, ExpectedStatus: 403, ExpectedContent: []string{"The collection is not configured to allow OTP authentication."}},
		{Name: "disabled: sign-in", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: otpBody("abc", "123"), ExpectedStatus: 403},
		{Name: "disabled in auth-methods", Method: "GET", URL: "/api/collections/users/auth-methods", Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"otp":{"duration":0,"enabled":false}`}},
	})
	MustEnableOTP(t, e.env, "users", 6, 120)
	e.Run(t, []scenario{
		{Name: "auth-methods", Method: "GET", URL: "/api/collections/users/auth-methods", Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"otp":{"duration":120,"enabled":true}`}},
		{Name: "blank email", Method: "POST", URL: "/api/collections/users/request-otp", Token: "-",
			Body: `{"email": ""}`, ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_required"`}},
		{Name: "malformed email", Method: "POST", URL: "/api/collections/users/request-otp", Token: "-",
			Body: `{"email": "not an email"}`, ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_is_email"`}},
		{Name: "blank id and code", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: `{}`, ExpectedStatus: 400, ExpectedContent: []string{`"otpId":{"code":"validation_required"`, `"password":{"code":"validation_required"`}},
		{Name: "a code too long", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: otpBody("abc", strings.Repeat("1", 72)), ExpectedStatus: 400, ExpectedContent: []string{`"password":{"code":"validation_length_out_of_range"`}},
		{Name: "unknown id", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: otpBody("abcdefghijklmno", "123456"), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}},
	})
	unknown := MustRequestOTP(t, e.env, "users", "nobody@example.com")
	e.Run(t, []scenario{{Name: "the id of an unknown email leads nowhere", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
		Body: otpBody(unknown, "123456"), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}}})

	otpID := MustRequestOTP(t, e.env, "users", "Ada@Example.com")
	m := e.sink.Next(t)
	if len(m.To) != 1 || m.To[0] != "ada@example.com" || m.Subject != "OTP for Acme" {
		t.Fatalf("message to %v: %q", m.To, m.Subject)
	}
	code := otpCode(t, m)
	if len(code) != 6 {
		t.Fatalf("code %q, want 6 digits", code)
	}
	if strings.Contains(m.HTML, otpID) {
		t.Fatalf("the default template shows no id:\n%s", m.HTML)
	}
	var out struct {
		Token  string
		Record map[string]any
	}
	e.Run(t, []scenario{{Name: "a wrong code", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
		Body: otpBody(otpID, wrongCode(code)), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}}})
	e.MustJSON("POST", "/api/collections/users/auth-with-otp", "-", otpBody(otpID, code), 200, &out)
	if out.Record["id"] != id || out.Record["email"] != "ada@example.com" || out.Record["verified"] != true {
		t.Fatalf("record %v", out.Record)
	}
	if c := claims(t, out.Token); c["type"] != "auth" || c["id"] != id {
		t.Fatalf("claims %v", c)
	}
	e.Run(t, []scenario{
		{Name: "the token works", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: out.Token, ExpectedStatus: 200},
		{Name: "an OTP works once", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: otpBody(otpID, code), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}},
		{Name: "the email is verified", Method: "GET", URL: "/api/collections/users/records/" + id, ExpectedStatus: 200,
			ExpectedContent: []string{`"verified":true`}},
		// As PocketBase: proving the address by OTP replaces a password set
		// before it was proven.
		{Name: "the old password no longer signs in", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: `{"identity": "ada@example.com", "password": "ada password"}`, ExpectedStatus: 400},
	})

	// A verified record keeps its password.
	e.MustJSON("PATCH", "/api/collections/users/records/"+id, "", `{"password": "new password", "passwordConfirm": "new password"}`, 200, nil)
	e.clock.Advance(4 * time.Minute) // past the per-record attempt window
	otpID = MustRequestOTP(t, e.env, "users", "ada@example.com")
	e.MustJSON("POST", "/api/collections/users/auth-with-otp", "-", otpBody(otpID, otpCode(t, e.sink.Next(t))), 200, nil)
	MustSignIn(t, e.env, "users", "ada@example.com", "new password")
}

func TestOTPExpiresAndEndsWithTheTokenKey(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	id := MustUser(t, e.env, "ada@example.com", "ada password")
	MustEnableOTP(t, e.env, "users", 8, 60)
	otpID := MustRequestOTP(t, e.env, "users", "ada@example.com")
	code := otpCode(t, e.sink.Next(t))
	if len(code) != 8 {
		t.Fatalf("code %q, want 8 digits", code)
	}
	e.clock.Advance(61 * time.Second)
	e.Run(t, []scenario{{Name: "expired", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
		Body: otpBody(otpID, code), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}}})

	otpID = MustRequestOTP(t, e.env, "users", "ada@example.com")
	code = otpCode(t, e.sink.Next(t))
	e.clock.Advance(59 * time.Second)
	// A superuser changes the email: the token key changes, ending the
	// OTPs sent before (PocketBase deletes them).
	e.MustJSON("PATCH", "/api/collections/users/records/"+id, "", `{"email": "ada2@example.com"}`, 200, nil)
	e.Run(t, []scenario{{Name: "the token key changed", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
		Body: otpBody(otpID, code), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}}})
}

// TestOTPAttacks: an OTP is bound to its collection and record, and its
// code cannot be guessed: few attempts per OTP and per record.
func TestOTPAttacks(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	MustEnableOTP(t, e.env, "users", 6, 600)
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "otp": {"enabled": true},
		"passwordAuth": {"enabled": true, "identityFields": ["email"]}, "createRule": ""}`, 200, nil)
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "ada@example.com", "password": "ada password", "passwordConfirm": "ada password"}`, 200, nil)
	MustEnableOTP(t, e.env, "_superusers", 6, 600)

	otpID := MustRequestOTP(t, e.env, "users", "ada@example.com")
	code := otpCode(t, e.sink.Next(t))
	e.Run(t, []scenario{
		{Name: "used on another auth collection", Method: "POST", URL: "/api/collections/members/auth-with-otp", Token: "-",
			Body: otpBody(otpID, code), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}},
		{Name: "used on superusers", Method: "POST", URL: "/api/collections/_superusers/auth-with-otp", Token: "-",
			Body: otpBody(otpID, code), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}},
		{Name: "on a base collection", Method: "POST", URL: "/api/collections/nope/auth-with-otp", Token: "-",
			Body: otpBody(otpID, code), ExpectedStatus: 404},
		{Name: "an id that is no id", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: otpBody(`' OR 1=1 --`, code), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}},
		{Name: "an email with a NUL", Method: "POST", URL: "/api/collections/users/request-otp", Token: "-",
			Body: `{"email": "ada@example.com\u0000"}`, ExpectedStatus: 400},
		{Name: "an id with a NUL", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: `{"otpId": "` + otpID + `\u0000", "password": "` + code + `"}`, ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}},
		{Name: "a code of other characters", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: `{"otpId": "` + otpID + `", "password": "ü\u0000"}`, ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}},
	})
	// That took one attempt at the record's OTPs (the failures before the
	// record is known count for nothing); 4 more wrong codes reach
	// PocketBase's 5 per 3 minutes per record, and end the OTP.
	for i := 0; i < 4; i++ {
		e.Run(t, []scenario{{Name: fmt.Sprint("guess ", i), Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
			Body: otpBody(otpID, fmt.Sprintf("%06d", i)), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}}})
	}
	e.Run(t, []scenario{{Name: "the record's attempts are used up: even the right code waits", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
		Body: otpBody(otpID, code), ExpectedStatus: 429, ExpectedContent: []string{"Too many attempts, please try again later with a new OTP."}}})
	e.clock.Advance(181 * time.Second)
	e.Run(t, []scenario{{Name: "5 wrong codes ended the OTP", Method: "POST", URL: "/api/collections/users/auth-with-otp", Token: "-",
		Body: otpBody(otpID, code), ExpectedStatus: 400, ExpectedContent: []string{invalidOTPBody}}})

	// A new OTP works, and only once also when sent twice at once.
	otpID = MustRequestOTP(t, e.env, "users", "ada@example.com")
	code = otpCode(t, e.sink.Next(t))
	statuses := make(chan int, 2)
	for range 2 {
		go func() {
			s, _ := e.Do("POST", "/api/collections/users/auth-with-otp", "-", otpBody(otpID, code))
			statuses <- s
		}()
	}
	if a, b := <-statuses, <-statuses; a+b != 600 {
		t.Fatalf("two concurrent uses answered %d and %d, want one 200 and one 400", a, b)
	}
}

// TestOTPRequestsPerRecord: as PocketBase, past 10 unexpired OTPs a record
// gets the newest one's id again and no new email.
func TestOTPRequestsPerRecord(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	MustEnableOTP(t, e.env, "users", 6, 300)
	var last string
	for i := range 10 {
		if i == 5 {
			e.clock.Advance(61 * time.Second) // past the request rate limit
		}
		e.clock.Advance(time.Second)
		last = MustRequestOTP(t, e.env, "users", "ada@example.com")
		e.sink.Next(t)
	}
	e.clock.Advance(61 * time.Second)
	if again := MustRequestOTP(t, e.env, "users", "ada@example.com"); again != last {
		t.Fatalf("the 11th request answered %q, want the 10th id %q", again, last)
	}
	// A later message proves no eleventh email went out.
	e.MustJSON("POST", "/api/collections/users/request-password-reset", "-", `{"email": "ada@example.com"}`, 204, nil)
	if m := e.sink.Next(t); m.Subject != "Reset your Acme password" {
		t.Fatalf("unexpected message %q", m.Subject)
	}
}

// TestOTPRequestRateLimit: request-otp sends email, so it is limited as
// the other request-* routes are by default: 5 a minute per address.
func TestOTPRequestRateLimit(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustEnableOTP(t, e.env, "users", 6, 300)
	for range 5 {
		MustRequestOTP(t, e.env, "users", "nobody@example.com")
	}
	e.Run(t, []scenario{{Name: "the sixth in a minute", Method: "POST", URL: "/api/collections/users/request-otp", Token: "-",
		Body: `{"email": "nobody@example.com"}`, ExpectedStatus: 429}})
	e.clock.Advance(time.Minute)
	MustRequestOTP(t, e.env, "users", "nobody@example.com")
}
