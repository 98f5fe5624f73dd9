package server

import (
	"context"
	"fmt"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/auth"
)

// bootstrap creates the collections a new database starts with: the
// superusers and, as in PocketBase, a "users" auth collection, in one
// transaction, with PocketBase's ids for them. A database that has superusers is not new: a "users"
// collection deleted since is not brought back. Nodes starting together
// race safely: the loser's transaction fails and it reads the winner's.
// Then _externalAuths is created when missing (on every start, so
// databases made before it existed get it too).
func bootstrap(ctx context.Context, svc *collections.Service) error {
	if _, ok := svc.Collection(auth.SuperusersCollection); !ok {
		superusers := &collections.Collection{ID: collections.WellKnownID(auth.SuperusersCollection), Name: auth.SuperusersCollection, Type: collections.TypeAuth, System: true}
		defs := []*collections.Collection{superusers}
		if _, taken := svc.Collection("users"); !taken {
			defs = append(defs, newUsersCollection())
		}
		if _, err := svc.Import(ctx, defs, false, collections.SaveOptions{Actor: "system"}); err != nil {
			// Another node may have created them first.
			if rerr := svc.Reload(ctx); rerr != nil {
				return fmt.Errorf("create %s: %w", auth.SuperusersCollection, err)
			}
			if _, ok := svc.Collection(auth.SuperusersCollection); !ok {
				return fmt.Errorf("create %s: %w", auth.SuperusersCollection, err)
			}
		}
	}
	return ensureCollection(ctx, svc, newExternalAuthsCollection())
}

// ensureCollection creates c unless a collection of its name exists.
func ensureCollection(ctx context.Context, svc *collections.Service, c *collections.Collection) error {
	if _, ok := svc.Collection(c.Name); ok {
		return nil
	}
	if _, err := svc.CreateCollection(ctx, c, collections.SaveOptions{Actor: "system"}); err != nil {
		if rerr := svc.Reload(ctx); rerr == nil {
			if _, ok := svc.Collection(c.Name); ok {
				return nil
			}
		}
		return fmt.Errorf("create %s: %w", c.Name, err)
	}
	return nil
}

// newExternalAuthsCollection links auth records to OAuth2 identities; a
// user may see and remove its own links.
func newExternalAuthsCollection() *collections.Collection {
	rule := func(s string) *string { return &s }
	own := `@request.auth.id != "" && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId`
	var fields []*collections.Field
	for _, name := range []string{"collectionRef", "recordRef", "provider", "providerId"} {
		f, _ := collections.NewField(name, "text")
		f.System, f.Required = true, true
		fields = append(fields, f)
	}
	return &collections.Collection{
		ID:     collections.WellKnownID(api.ExternalAuthsCollection),
		Name:   api.ExternalAuthsCollection,
		Type:   collections.TypeBase,
		System: true,
		Fields: fields,
		Indexes: []string{
			"CREATE UNIQUE INDEX idx_externalAuths_record_provider ON _externalAuths (collectionRef, recordRef, provider)",
			"CREATE UNIQUE INDEX idx_externalAuths_collection_provider ON _externalAuths (collectionRef, provider, providerId)",
		},
		ListRule:   rule(own),
		ViewRule:   rule(own),
		DeleteRule: rule(own),
	}
}

// newUsersCollection is PocketBase's default "users" collection, with its
// id (_pb_users_auth_, which exports of PocketBase apps relate to): the
// auth fields, a name, an avatar image, and rules that let anyone sign up
// and each user see and change only their own record.
func newUsersCollection() *collections.Collection {
	rule := func(s string) *string { return &s }
	name, _ := collections.NewField("name", "text")
	name.Options.(*collections.TextOptions).Max = 255
	avatar, _ := collections.NewField("avatar", "file")
	avatar.Options.(*collections.FileOptions).MimeTypes = []string{"image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"}
	opts := collections.DefaultAuthOptions("users")
	// OAuth2 sign-ups fill the name and download the avatar, as in PocketBase.
	opts.OAuth2.MappedFields.Name, opts.OAuth2.MappedFields.AvatarURL = "name", "avatar"
	return &collections.Collection{
		Auth:       opts,
		ID:         collections.WellKnownID("users"),
		Name:       "users",
		Type:       collections.TypeAuth,
		Fields:     []*collections.Field{name, avatar},
		ListRule:   rule("id = @request.auth.id"),
		ViewRule:   rule("id = @request.auth.id"),
		CreateRule: rule(""),
		UpdateRule: rule("id = @request.auth.id"),
		DeleteRule: rule("id = @request.auth.id"),
	}
}
