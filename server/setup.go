package server

import (
	"context"
	"crypto/subtle"
	"net"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/auth"
)

// setupParam is the _params key of the token of the first-run link. It
// holds "" once the link was used.
const setupParam = "setupToken"

// setup creates the first superuser through the dashboard's first-run
// link. Every node reads the same token, so the link works on any of them.
type setup struct {
	svc    *collections.Service
	params *postgres.ParamStore
}

// token returns the token of the first-run link while no superuser exists
// (creating it on first use), "" after.
func (s *setup) token(ctx context.Context) (string, error) {
	if exists, err := s.anySuperuser(ctx); err != nil || exists {
		return "", err
	}
	var tok string
	err := s.params.Ensure(ctx, setupParam, randomHex(32), &tok)
	return tok, err
}

func (s *setup) anySuperuser(ctx context.Context) (bool, error) {
	col, err := s.svc.MustCollection(auth.SuperusersCollection)
	if err != nil {
		return false, err
	}
	page, err := s.svc.Records().List(ctx, col, collections.Query{PerPage: 1, SkipTotal: true})
	if err != nil {
		return false, err
	}
	return len(page.Items) > 0, nil
}

// CreateFirstSuperuser creates the first superuser when token is the
// first-run link's, and retires the link.
func (s *setup) CreateFirstSuperuser(ctx context.Context, token, email, password string) (*collections.Record, error) {
	var want string
	if err := s.params.Get(ctx, setupParam, &want); err != nil && collections.ErrorCode(err) != collections.ENOTFOUND {
		return nil, err
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(token), []byte(want)) != 1 {
		return nil, collections.Errorf(collections.EFORBIDDEN, "The setup link is not valid or was used already: sign in, or create a superuser with `lumbung superuser upsert`.")
	}
	if exists, err := s.anySuperuser(ctx); err != nil || exists {
		if err == nil {
			err = collections.Errorf(collections.EFORBIDDEN, "A superuser exists already: sign in.")
		}
		return nil, err
	}
	col, err := s.svc.MustCollection(auth.SuperusersCollection)
	if err != nil {
		return nil, err
	}
	rec, err := s.svc.Records().Create(ctx, col, map[string]any{"email": email, "password": password, "verified": true})
	if err != nil {
		return nil, err
	}
	return rec, s.params.Set(ctx, setupParam, "")
}

// SetupLink returns the dashboard's first-run link for a server listening
// on addr while no superuser exists, "" once one does. Anyone with the
// link can create the first superuser: show it to the operator only.
func (s *Server) SetupLink(ctx context.Context, addr string) (string, error) {
	tok, err := s.setup.token(ctx)
	if err != nil || tok == "" {
		return "", err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/_/#/setup/" + tok, nil
}
