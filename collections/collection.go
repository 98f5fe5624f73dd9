package collections

import (
	"crypto/rand"
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Collection types.
const (
	TypeBase = "base"
	TypeAuth = "auth"
	TypeView = "view"
)

// Collection is a user-defined table: its fields, indexes and access rules.
// The JSON form is PocketBase's collection JSON.
type Collection struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	System     bool      `json:"system"`
	Fields     []*Field  `json:"fields"`
	Indexes    []string  `json:"indexes"`
	ListRule   *string   `json:"listRule"`
	ViewRule   *string   `json:"viewRule"`
	CreateRule *string   `json:"createRule"`
	UpdateRule *string   `json:"updateRule"`
	DeleteRule *string   `json:"deleteRule"`
	ViewQuery  string    `json:"viewQuery,omitempty"`
	Created    time.Time `json:"-"`
	Updated    time.Time `json:"-"`

	// Auth holds the options of an auth collection (nil for other types);
	// they appear at the top level of the collection's JSON.
	Auth *AuthOptions `json:"-"`
}

// Lookup finds collections by id or name. The schema cache implements it;
// field types use it to resolve relation targets.
type Lookup interface {
	Collection(idOrName string) (*Collection, bool)
}

// Field returns the field with the given name.
func (c *Collection) Field(name string) (*Field, bool) {
	for _, f := range c.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// FieldByID returns the field with the given id.
func (c *Collection) FieldByID(id string) (*Field, bool) {
	for _, f := range c.Fields {
		if f.ID == id {
			return f, true
		}
	}
	return nil, false
}

// Clone returns a deep copy that can be edited without touching c.
func (c *Collection) Clone() *Collection {
	n := *c
	n.Fields = make([]*Field, len(c.Fields))
	for i, f := range c.Fields {
		cp := *f
		n.Fields[i] = &cp
	}
	n.Indexes = append([]string(nil), c.Indexes...)
	// Decoding a patch into the copy writes through non-nil pointers: the
	// rules and auth options must not be shared with c.
	n.ListRule, n.ViewRule, n.CreateRule = cloneRule(c.ListRule), cloneRule(c.ViewRule), cloneRule(c.CreateRule)
	n.UpdateRule, n.DeleteRule = cloneRule(c.UpdateRule), cloneRule(c.DeleteRule)
	n.Auth = c.Auth.clone()
	return &n
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedNames cannot name collections or fields: words the filter
// language and the API give a meaning of their own. SQL keywords are fine:
// every identifier is quoted.
var reservedNames = map[string]bool{
	"null": true, "true": true, "false": true, "expand": true,
	"collectionid": true, "collectionname": true,
}

// schemaNames cannot name collections: PostgreSQL's schemas. Fields may
// take them (a "public" date is common).
var schemaNames = map[string]bool{"pg_catalog": true, "information_schema": true, "public": true}

// CheckName validates a collection or field name: an identifier of at most 63
// characters, not a reserved word, and not starting with "_" unless system is
// set. It returns a user-facing message, or "".
func CheckName(name string, system bool) string {
	switch {
	case name == "":
		return "Cannot be blank."
	case len(name) > 63:
		return "Must be at most 63 characters."
	case !identRe.MatchString(name):
		return "Must start with a letter or underscore and contain only letters, digits and underscores."
	case strings.HasPrefix(name, "_") && !system:
		return "Names starting with an underscore are reserved for system collections and fields."
	case reservedNames[strings.ToLower(name)]:
		return "\"" + name + "\" is a reserved word."
	}
	return ""
}

var collectionIDRe = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// CheckCollectionID validates a collection id given by a client, as
// PocketBase does: 1 to 100 letters, digits and underscores, in any order
// (a quarter of PocketBase's random ids start with a digit). It returns a
// user-facing message, or "".
func CheckCollectionID(id string) string {
	switch {
	case len(id) > 100:
		return "Must be at most 100 characters."
	case !collectionIDRe.MatchString(id):
		return "Must contain only letters, digits and underscores (like pbc_2478702895 or _pb_users_auth_)."
	}
	return ""
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns a random record id: 15 characters from [a-z0-9].
func NewID() string { return randomString(15) }

// NewCollectionID returns a new collection id ("pbc_" and 10 random digits/letters).
func NewCollectionID() string { return "pbc_" + randomString(10) }

// NewFieldID returns a new field id for a field of the given type.
func NewFieldID(typ string) string { return typ + randomString(10) }

func randomString(n int) string {
	const max = 252 // largest multiple of 36 below 256: keeps the draw uniform
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		for _, b := range buf {
			if b < max && len(out) < n {
				out = append(out, idAlphabet[int(b)%len(idAlphabet)])
			}
		}
	}
	return string(out)
}

// MarshalJSON adds the created and updated dates in DateLayout, as
// PocketBase writes them.
func (c *Collection) MarshalJSON() ([]byte, error) {
	type plain Collection
	dates := struct {
		*plain
		Created string `json:"created"`
		Updated string `json:"updated"`
	}{plain: (*plain)(c)}
	if !c.Created.IsZero() {
		dates.Created, dates.Updated = FormatDate(c.Created), FormatDate(c.Updated)
	}
	b, err := json.Marshal(dates)
	if err != nil {
		return nil, err
	}
	return c.appendAuthJSON(b)
}
