package filter

import (
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// Env is what a filter is compiled against: the collection it filters, the
// schema for following relations, the clock for macros, the caller's
// identity for @request.auth.* and the caller's read permissions.
type Env struct {
	// Root is the collection whose records are filtered.
	Root *collections.Collection
	// Schema resolves relation targets and back-relations. Without it only
	// the root's own fields can be used.
	Schema collections.Lookup
	// Now is the instant the macros (@now, @todayStart, ...) are taken
	// from, in UTC. The zero value means time.Now().
	Now time.Time
	// Auth holds the @request.auth.* values of the signed-in record (id,
	// collectionId, collectionName, email, ... and its fields), as
	// canonical Go values. Nil means a guest: every @request.auth.* value
	// is null. A path through a relation of the auth record
	// (@request.auth.org.name) reads the related rows through Schema.
	Auth map[string]any
	// Request holds the other @request.* values: context, method, query,
	// headers and body. Nil: every one is null (and :isset false).
	Request *collections.RequestInfo
	// Stored holds the fields of the record an update changes as they were
	// before it: @request.body.<field>:changed compares the body with them.
	// Nil: with the filtered row itself (a list, an update before it is
	// made, a create).
	Stored map[string]any
	// CanRead reports whether the caller may read a field of a collection.
	// A filter or sort that references an unreadable field is rejected
	// (EINVALID), so that it cannot be used to probe values the caller
	// cannot see. It is asked about every field a path touches, relation
	// fields included. Nil means every field except hidden ones
	// (Field.Hidden: passwords, token keys); a CanRead that returns true
	// allows hidden fields too.
	CanRead func(c *collections.Collection, field string) bool
	// Visible limits the rows that relation paths, back-relations and
	// @collection references reach to those the caller may view: it
	// returns the caller's view conditions of c (a row qualifies when any
	// holds; they compile without Visible, CanRead or HideEmails, as
	// access rules do), or all when every row of c may be viewed. No
	// conditions and not all: no row. A hop into a hidden record then
	// reads as a hop into a missing one. Nil means every row of every
	// collection: the system, superusers, and access conditions.
	Visible func(c *collections.Collection) (conds []Expr, all bool, err error)
	// HideEmails makes the email of an auth record read as '' unless its
	// emailVisibility is set or it is the caller's own record (Auth's id
	// and collectionId): the email a caller that is not a superuser would
	// not get back cannot be compared or sorted on either.
	HideEmails bool
}

// Limits on what one filter may ask of the database.
const (
	// MaxRelationDepth is how many relations a path may follow.
	MaxRelationDepth = 6
	// maxAuthItems bounds list values taken from Env.Auth.
	maxAuthItems = 100
	// maxAtoms bounds the comparisons a filter expands to (a comparison
	// with a list value becomes one comparison per item).
	maxAtoms = 4096
)
