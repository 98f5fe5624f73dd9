package collections

import (
	"encoding/json"
	"strings"
	"testing"
)

type noCollections struct{}

func (noCollections) Collection(string) (*Collection, bool) { return nil, false }

func TestAuthOptionsJSON(t *testing.T) {
	var c Collection
	if err := json.Unmarshal([]byte(`{"name": "users", "type": "auth", "authToken": {"duration": 100}, "passwordAuth": {"identityFields": ["email"]}}`), &c); err != nil {
		t.Fatal(err)
	}
	if err := Normalize(noCollections{}, nil, &c); err != nil {
		t.Fatal(err)
	}
	o := c.Auth
	if o.AuthToken.Duration != 100 || o.PasswordResetToken.Duration != DefaultPasswordResetTokenDuration || !o.PasswordAuth.Enabled {
		t.Fatalf("options %+v", o)
	}
	if o.AuthRule == nil || *o.AuthRule != "" || o.ManageRule != nil {
		t.Fatalf("rules %v %v", o.AuthRule, o.ManageRule)
	}
	if !hasUniqueIndex(&c, "email") || !hasUniqueIndex(&c, "tokenKey") {
		t.Fatalf("indexes %v", c.Indexes)
	}
	if f, _ := c.Field("email"); !f.Required {
		t.Fatal("email of a new auth collection is not required")
	}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"authToken":{"duration":100}`, `"verificationTemplate":{"subject":"Verify your {APP_NAME} email"`, `"authRule":""`, `"manageRule":null`, `"listRule":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	// A stored definition reads back the same.
	var back Collection
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Auth.AuthToken.Duration != 100 || back.Auth.VerificationTemplate != o.VerificationTemplate {
		t.Fatalf("round trip: %+v", back.Auth)
	}
}

func TestBaseCollectionHasNoAuthOptions(t *testing.T) {
	var c Collection
	if err := json.Unmarshal([]byte(`{"name": "posts", "authToken": {"duration": 100}}`), &c); err != nil {
		t.Fatal(err)
	}
	if err := Normalize(noCollections{}, nil, &c); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(&c)
	if c.Auth != nil || strings.Contains(string(b), "authToken") {
		t.Fatalf("base collection with auth options: %s", b)
	}
}

func TestCloneSharesNothingAPatchWrites(t *testing.T) {
	rule := "a = 1"
	c := &Collection{Name: "users", Type: TypeAuth, ListRule: &rule, Auth: DefaultAuthOptions("users")}
	n := c.Clone()
	if err := json.Unmarshal([]byte(`{"listRule": "b = 2", "authRule": "verified = true", "authToken": {"duration": 50}, "passwordAuth": {"identityFields": ["x"]}}`), n); err != nil {
		t.Fatal(err)
	}
	if *c.ListRule != "a = 1" || *c.Auth.AuthRule != "" || c.Auth.AuthToken.Duration != DefaultAuthTokenDuration || c.Auth.PasswordAuth.IdentityFields[0] != "email" {
		t.Fatalf("patching the clone changed the original: %v %+v", *c.ListRule, c.Auth)
	}
	if *n.ListRule != "b = 2" || *n.Auth.AuthRule != "verified = true" || n.Auth.AuthToken.Duration != 50 {
		t.Fatalf("clone not patched: %+v", n.Auth)
	}
}
