package collections

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AllowsSignIn reports whether the collection's authRule lets rec sign in:
// a nil rule (superusers only) lets no record in, "" every record, and any
// other rule the records matching it, with @request.auth being the record.
func (r *Records) AllowsSignIn(ctx context.Context, c *Collection, rec *Record) (bool, error) {
	if c.Auth == nil || c.Auth.AuthRule == nil {
		return c.Auth == nil, nil
	}
	rule := strings.TrimSpace(*c.Auth.AuthRule)
	if rule == "" {
		return true, nil
	}
	return r.matchesSelf(ctx, c, rec, rule)
}

// matchesSelf reports whether the filter rule holds on auth record rec,
// with rec as @request.auth.
func (r *Records) matchesSelf(ctx context.Context, c *Collection, rec *Record, rule string) (bool, error) {
	auth := map[string]any{"collectionId": c.ID, "collectionName": c.Name}
	for _, f := range c.Fields {
		if !f.Secret(c) {
			auth[f.Name] = rec.Data[f.Name]
		}
	}
	scope := &Scope{Conditions: []string{rule}, Auth: auth, Request: r.req, Now: time.Now().UTC()}
	ids, err := r.store.Matching(ctx, r.svc, c, []string{rec.ID()}, scope, false)
	return len(ids) == 1, err
}

// manages reports whether the caller manages auth record id of c: the
// system and superusers always; anyone else when the collection's
// manageRule holds on the record, with the caller as @request.auth. A
// missing or empty manageRule leaves managing to superusers, and a guest
// manages nothing, as in PocketBase.
func (r *Records) manages(ctx context.Context, c *Collection, id string, now time.Time) (bool, error) {
	if r.unrestricted() {
		return true, nil
	}
	if c.Auth == nil || c.Auth.ManageRule == nil {
		return false, nil
	}
	rule := strings.TrimSpace(*c.Auth.ManageRule)
	if rule == "" {
		return false, nil
	}
	auth := r.caller.Auth()
	if auth == nil {
		return false, nil
	}
	scope := &Scope{Conditions: []string{rule}, Auth: auth, Request: r.req, Now: now}
	ids, err := r.store.Matching(ctx, r.svc, c, []string{id}, scope, false)
	return len(ids) == 1, err
}

// checkManaged refuses an update that changes an auth record's email
// unless the caller manages the record: everyone else changes their email
// through request-email-change, which proves the new address first (a
// stolen session must not redirect the account's mail). A direct change
// rotates the token key, ending the sessions signed in under the old
// address, and leaves the new address unverified unless the input sets
// verified too. It also refuses a change of verified by a caller that
// does not manage the record. old is nil on create, where anyone may give
// an email.
func (r *Records) checkManaged(ctx context.Context, c *Collection, rec, old *Record, input map[string]any, errs map[string]FieldError, now time.Time) error {
	if old == nil {
		return nil
	}
	if _, set := input["verified"]; set && !r.unrestricted() {
		// As in PocketBase, managers of the record may set verified.
		ok, err := r.manages(ctx, c, old.ID(), now)
		if err != nil {
			return err
		}
		if !ok {
			return errVerified
		}
	}
	if _, failed := errs["email"]; failed {
		return nil
	}
	email, _ := rec.Data["email"].(string)
	was, _ := old.Data["email"].(string)
	if email == was {
		return nil
	}
	ok, err := r.manages(ctx, c, old.ID(), now)
	if err != nil {
		return err
	}
	if !ok {
		// PocketBase's answer to the same update.
		errs["email"] = FieldError{Code: "validation_values_mismatch", Message: "Values don't match."}
		return nil
	}
	rec.Data["tokenKey"] = randomString(50)
	if _, set := input["verified"]; !set {
		rec.Data["verified"] = false
	}
	return nil
}

// The operations below change auth records on behalf of the auth flows
// (verification, password reset, email change). They are the system's, not
// a caller's: the flows have checked a token or password first, and they
// set what record updates may not (verified, the token key).

// MarkVerified marks auth record id of c verified.
func (r *Records) MarkVerified(ctx context.Context, c *Collection, id string) error {
	return r.updateAuth(ctx, c, id, func(rec *Record) error {
		rec.Data["verified"] = true
		return nil
	})
}

// ResetPassword sets a new password (checked by the password field, then
// hashed) and a new token key, ending every session, and marks the record
// verified: the reset link reached its address.
func (r *Records) ResetPassword(ctx context.Context, c *Collection, id, password string) error {
	v, err := prepareRequired(c, "password", password, "Failed to reset the password.")
	if err != nil {
		return err
	}
	if r.svc.hash == nil {
		return fmt.Errorf("collections: no password hasher configured")
	}
	hash, err := r.svc.hash(v.(string))
	if err != nil {
		return err
	}
	return r.updateAuth(ctx, c, id, func(rec *Record) error {
		rec.Data["password"], rec.Data["tokenKey"], rec.Data["verified"] = hash, randomString(50), true
		return nil
	})
}

// ChangeEmail sets a confirmed new email (checked by the email field) and
// a new token key, ending the sessions signed in under the old address.
func (r *Records) ChangeEmail(ctx context.Context, c *Collection, id, email string) error {
	v, err := prepareRequired(c, "email", email, "Failed to change the email.")
	if err != nil {
		return err
	}
	return r.updateAuth(ctx, c, id, func(rec *Record) error {
		rec.Data["email"], rec.Data["tokenKey"], rec.Data["verified"] = v, randomString(50), true
		return nil
	})
}

// prepareRequired checks a non-empty value for field name of c with the
// field's own rules, failing with message and the field's error.
func prepareRequired(c *Collection, name string, value any, message string) (any, error) {
	f, ok := c.Field(name)
	if !ok {
		return nil, Errorf(EINVALID, "%q has no %s field.", c.Name, name)
	}
	v, ferr := f.Prepare(value)
	if ferr == nil && IsEmpty(v) {
		ferr = &FieldError{Code: "validation_required", Message: "Cannot be blank."}
	}
	if ferr != nil {
		return nil, Invalid(message, map[string]FieldError{name: *ferr})
	}
	return v, nil
}

// updateAuth applies change to auth record id in one transaction, bumping
// the autodate fields that follow updates.
func (r *Records) updateAuth(ctx context.Context, c *Collection, id string, change func(*Record) error) error {
	if c.Type != TypeAuth {
		return Errorf(EINVALID, "%q is not an auth collection.", c.Name)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	return r.InTx(ctx, func(tx *Records) error {
		old, err := tx.store.Get(ctx, r.svc, c, id, nil)
		if err != nil {
			return err
		}
		rec := old.copy()
		if err := change(rec); err != nil {
			return err
		}
		rec.touch(now)
		return tx.save(ctx, rec, old)
	})
}
