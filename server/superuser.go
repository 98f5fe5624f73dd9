package server

import (
	"context"
	"fmt"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// UpsertSuperuser creates the superuser with email, or sets its password.
// It works whether or not a server runs on the same data directory: it
// attaches to that server's private PostgreSQL instead of starting another.
func UpsertSuperuser(ctx context.Context, cfg Config, email, password string) (created bool, err error) {
	cfg.defaults()
	s, err := open(ctx, cfg, true)
	if err != nil {
		return false, err
	}
	defer s.Close(context.WithoutCancel(ctx))
	col, err := s.svc.MustCollection(auth.SuperusersCollection)
	if err != nil {
		return false, err
	}
	recs := s.svc.SystemRecords()
	existing, err := recs.FindByEmail(ctx, col, email)
	switch {
	case err == nil:
		_, err = recs.Update(ctx, col, existing.ID(), map[string]any{"password": password})
		return false, err
	case collections.ErrorCode(err) == collections.ENOTFOUND:
		_, err = recs.Create(ctx, col, map[string]any{"email": email, "password": password, "verified": true})
		return err == nil, err
	}
	return false, err
}

// DeleteSuperuser removes the superuser with email.
func DeleteSuperuser(ctx context.Context, cfg Config, email string) error {
	cfg.defaults()
	s, err := open(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer s.Close(context.WithoutCancel(ctx))
	col, err := s.svc.MustCollection(auth.SuperusersCollection)
	if err != nil {
		return err
	}
	rec, err := s.svc.SystemRecords().FindByEmail(ctx, col, email)
	if err != nil {
		if collections.ErrorCode(err) == collections.ENOTFOUND {
			return fmt.Errorf("no superuser with email %q", email)
		}
		return err
	}
	return s.svc.SystemRecords().Delete(ctx, col, rec.ID())
}
