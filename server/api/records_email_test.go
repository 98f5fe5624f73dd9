package api_test

import (
	"strings"
	"testing"
)

// TestEmailTakeoverByUpdate: a stolen session cannot take an account over
// by pointing its email elsewhere with a record update and then resetting
// the password: only the request-email-change flow changes a user's own
// email.
func TestEmailTakeoverByUpdate(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	var ada struct{ ID string }
	e.MustJSON("POST", "/api/collections/users/records", "",
		`{"email": "ada@example.com", "password": "ada password", "verified": true}`, 200, &ada)
	stolen := MustSignIn(t, e.env, "users", "ada@example.com", "ada password")
	own := "/api/collections/users/records/" + ada.ID
	mismatch := `"email":{"code":"validation_values_mismatch","message":"Values don't match."}`
	e.Run(t, []scenario{
		{Name: "a plain update cannot change the email", Method: "PATCH", URL: own, Token: stolen,
			Body: `{"email": "attacker@example.com"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"status":400`, `"message":"Failed to update record."`, mismatch}},
		{Name: "nor its case", Method: "PATCH", URL: own, Token: stolen,
			Body: `{"email": "ADA@example.com"}`, ExpectedStatus: 400, ExpectedContent: []string{mismatch}},
		{Name: "nor alongside other changes", Method: "PATCH", URL: own, Token: stolen,
			Body: `{"name": "Eve", "email": "attacker@example.com"}`, ExpectedStatus: 400, ExpectedContent: []string{mismatch}},
		{Name: "nor through a batch", Method: "POST", URL: "/api/batch", Token: stolen,
			Body:           `{"requests": [{"method": "PATCH", "url": "` + own + `", "body": {"email": "attacker@example.com"}}]}`,
			ExpectedStatus: 400, ExpectedContent: []string{`validation_values_mismatch`}},
		{Name: "nor through a batch upsert", Method: "POST", URL: "/api/batch", Token: stolen,
			Body:           `{"requests": [{"method": "PUT", "url": "/api/collections/users/records", "body": {"id": "` + ada.ID + `", "email": "attacker@example.com"}}]}`,
			ExpectedStatus: 400, ExpectedContent: []string{`validation_values_mismatch`}},
		{Name: "email and verified unchanged", Method: "GET", URL: own, ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"ada@example.com"`, `"verified":true`}},
		{Name: "a reset to the attacker's address finds no account", Method: "POST", URL: "/api/collections/users/request-password-reset", Token: "-",
			Body: `{"email": "attacker@example.com"}`, ExpectedStatus: 204},
		{Name: "the attacker cannot sign in under the address", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: `{"identity": "attacker@example.com", "password": "ada password"}`, ExpectedStatus: 400},
		{Name: "sending the same email is no change", Method: "PATCH", URL: own, Token: stolen,
			Body: `{"email": "ada@example.com", "name": "Ada"}`, ExpectedStatus: 200, ExpectedContent: []string{`"name":"Ada"`}},
		{Name: "signing up with an email is still allowed", Method: "POST", URL: "/api/collections/users/records", Token: "-",
			Body:           `{"email": "new@example.com", "password": "new password", "passwordConfirm": "new password"}`,
			ExpectedStatus: 200},
	})
	MustSignIn(t, e.env, "users", "new@example.com", "new password")
	// Mail goes out in the background: a later message proves no reset
	// link went to the attacker.
	e.MustJSON("POST", "/api/collections/users/request-password-reset", "-", `{"email": "ada@example.com"}`, 204, nil)
	if m := e.sink.Next(t); len(m.To) != 1 || m.To[0] != "ada@example.com" {
		t.Fatalf("reset mail to %v", m.To)
	}
	for _, m := range e.sink.Received() {
		if strings.Contains(strings.Join(m.To, ","), "attacker") {
			t.Fatalf("mail went to %v", m.To)
		}
	}
}

// TestEmailChangeByManager: superusers and callers for whom the
// collection's manageRule holds on the record may set an email directly;
// the address then needs verifying again (unless verified is set too) and
// the sessions under the old address end.
func TestEmailChangeByManager(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	// Every signed-in user may update users; managers may manage those
	// not named "Protected".
	e.MustJSON("PATCH", "/api/collections/users", "",
		`{"updateRule": "@request.auth.id != ''", "manageRule": "@request.auth.name = 'Manager' && name != 'Protected'"}`, 200, nil)
	e.Run(t, []scenario{{Name: "a manageRule is checked when saved", Method: "PATCH", URL: "/api/collections/users",
		Body: `{"manageRule": "nosuchfield = 1"}`, ExpectedStatus: 400, ExpectedContent: []string{`"manageRule":{"code":"validation_invalid_rule"`}}})
	ids := map[string]string{}
	tokens := map[string]string{}
	for _, u := range []struct{ key, name string }{{"mgr", "Manager"}, {"ada", "Ada"}, {"bob", "Bob"}, {"pat", "Protected"}, {"cy", "Cy"}} {
		var rec struct{ ID string }
		e.MustJSON("POST", "/api/collections/users/records", "",
			`{"email": "`+u.key+`@example.com", "password": "long password", "name": "`+u.name+`", "verified": true}`, 200, &rec)
		ids[u.key] = rec.ID
		tokens[u.key] = MustSignIn(t, e.env, "users", u.key+"@example.com", "long password")
	}
	rec := func(key string) string { return "/api/collections/users/records/" + ids[key] }
	refresh := "/api/collections/users/auth-refresh"
	mismatch := `"email":{"code":"validation_values_mismatch"`
	e.Run(t, []scenario{
		{Name: "the update rule lets a user change another's name", Method: "PATCH", URL: rec("ada"), Token: tokens["bob"],
			Body: `{"name": "Ada L"}`, ExpectedStatus: 200},
		{Name: "but not the email: not a manager", Method: "PATCH", URL: rec("ada"), Token: tokens["bob"],
			Body: `{"email": "bob-owns@example.com"}`, ExpectedStatus: 400, ExpectedContent: []string{mismatch}},
		{Name: "a manager, where the rule does not hold on the record", Method: "PATCH", URL: rec("pat"), Token: tokens["mgr"],
			Body: `{"email": "pat@new.test"}`, ExpectedStatus: 400, ExpectedContent: []string{mismatch}},
		{Name: "a manager changes the email", Method: "PATCH", URL: rec("ada"), Token: tokens["mgr"],
			Body: `{"email": "ada@new.test"}`, ExpectedStatus: 200},
		{Name: "the new address is not verified", Method: "GET", URL: rec("ada"), ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"ada@new.test"`, `"verified":false`}},
		{Name: "the old session ends", Method: "POST", URL: refresh, Token: tokens["ada"], ExpectedStatus: 401},
		{Name: "the manager's own session goes on", Method: "POST", URL: refresh, Token: tokens["mgr"], ExpectedStatus: 200},
		{Name: "a superuser changes the email", Method: "PATCH", URL: rec("bob"), Body: `{"email": "bob@new.test"}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"email":"bob@new.test"`, `"verified":false`}},
		{Name: "bob's old session ends", Method: "POST", URL: refresh, Token: tokens["bob"], ExpectedStatus: 401},
		{Name: "a superuser changes the email and keeps it verified", Method: "PATCH", URL: rec("pat"),
			Body: `{"email": "pat@new.test", "verified": true}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"pat@new.test"`, `"verified":true`}},
		{Name: "pat's old session ends", Method: "POST", URL: refresh, Token: tokens["pat"], ExpectedStatus: 401},
		{Name: "an unchanged email keeps sessions and verification", Method: "PATCH", URL: rec("mgr"),
			Body: `{"email": "mgr@example.com", "name": "Manager"}`, ExpectedStatus: 200, ExpectedContent: []string{`"verified":true`}},
		{Name: "so the manager is still signed in", Method: "POST", URL: refresh, Token: tokens["mgr"], ExpectedStatus: 200},
		{Name: "a manager sets verified", Method: "PATCH", URL: rec("ada"), Token: tokens["mgr"],
			Body: `{"verified": true}`, ExpectedStatus: 200, ExpectedContent: []string{`"verified":true`}},
		{Name: "where the manage rule does not hold, it may not", Method: "PATCH", URL: rec("pat"), Token: tokens["mgr"],
			Body: `{"verified": false}`, ExpectedStatus: 403, ExpectedContent: []string{`"verified":{"code":"validation_forbidden_field"`}},
		{Name: "nor may a user who is not a manager", Method: "PATCH", URL: rec("mgr"), Token: tokens["cy"],
			Body: `{"verified": false}`, ExpectedStatus: 403},
	})
	MustSignIn(t, e.env, "users", "ada@new.test", "long password")
	MustSignIn(t, e.env, "users", "bob@new.test", "long password")
}
