package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/auth"
)

// setupParam is the _params key of the first-run link: its token and when
// it was made. Creating a superuser, by any path, deletes it (burns the
// link).
const setupParam = "setupToken"

// SetupLinkTTL is how long a first-run link works. A server started later,
// while still no superuser exists, prints a new one.
const SetupLinkTTL = time.Hour

// setupLink is the stored first-run link.
type setupLink struct {
	Token   string    `json:"token"`
	Created time.Time `json:"created"`
}

// setup creates the first superuser through the dashboard's first-run
// link. Every node reads the same link, so it works on any of them.
type setup struct {
	svc    *collections.Service
	params *postgres.ParamStore
	now    func() time.Time
}

// errSetupLink is the one answer for a link that is unknown, expired or
// burned: it tells nothing about which.
func errSetupLink() error {
	return collections.Errorf(collections.EFORBIDDEN, "The setup link is not valid: it is unknown, expired or used already. Sign in, or create a superuser with `lumbung superuser upsert`.")
}

// burn retires the first-run link: a superuser exists.
func (s *setup) burn(ctx context.Context) error {
	return s.params.Delete(ctx, setupParam)
}

// load returns the stored link and its JSON; ok is false when there is
// none or it cannot be read (as an earlier version's plain token).
func (s *setup) load(ctx context.Context) (link setupLink, raw json.RawMessage, ok bool, err error) {
	err = s.params.Get(ctx, setupParam, &raw)
	if collections.ErrorCode(err) == collections.ENOTFOUND {
		return link, nil, false, nil
	}
	if err != nil {
		return link, nil, false, err
	}
	if json.Unmarshal(raw, &link) != nil || link.Token == "" {
		return link, raw, false, nil
	}
	return link, raw, true, nil
}

// live reports whether the link has not expired at now.
func (l setupLink) live(now time.Time) bool { return now.Before(l.Created.Add(SetupLinkTTL)) }

// token returns the token of the first-run link while no superuser exists,
// making a new link when there is none or it expired; "" once a superuser
// exists (burning a link left behind).
func (s *setup) token(ctx context.Context) (string, error) {
	exists, err := s.anySuperuser(ctx)
	if err != nil {
		return "", err
	}
	if exists {
		return "", s.burn(ctx)
	}
	link, raw, ok, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	if ok && link.live(s.now()) {
		return link.Token, nil
	}
	if raw != nil {
		// Of nodes replacing the same old link, one deletes it and all
		// read the one stored next.
		if _, err := s.params.DeleteIf(ctx, setupParam, raw); err != nil {
			return "", err
		}
	}
	err = s.params.Ensure(ctx, setupParam, setupLink{Token: randomHex(32), Created: s.now().UTC()}, &link)
	return link.Token, err
}

func (s *setup) anySuperuser(ctx context.Context) (bool, error) {
	col, err := s.svc.MustCollection(auth.SuperusersCollection)
	if err != nil {
		return false, err
	}
	page, err := s.svc.SystemRecords().List(ctx, col, collections.Query{PerPage: 1, SkipTotal: true})
	if err != nil {
		return false, err
	}
	return len(page.Items) > 0, nil
}

// CreateFirstSuperuser creates the first superuser when token is the live
// first-run link's, which it burns. An unknown, expired or burned link all
// get the same answer.
func (s *setup) CreateFirstSuperuser(ctx context.Context, token, email, password string) (*collections.Record, error) {
	link, raw, ok, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	if !ok || !link.live(s.now()) || subtle.ConstantTimeCompare([]byte(token), []byte(link.Token)) != 1 {
		return nil, errSetupLink()
	}
	if exists, err := s.anySuperuser(ctx); err != nil {
		return nil, err
	} else if exists {
		if err := s.burn(ctx); err != nil {
			return nil, err
		}
		return nil, errSetupLink()
	}
	col, err := s.svc.MustCollection(auth.SuperusersCollection)
	if err != nil {
		return nil, err
	}
	// Take the link first: of concurrent requests with it, one goes on.
	if taken, err := s.params.DeleteIf(ctx, setupParam, raw); err != nil {
		return nil, err
	} else if !taken {
		return nil, errSetupLink()
	}
	rec, err := s.svc.SystemRecords().Create(ctx, col, map[string]any{"email": email, "password": password, "verified": true})
	if err != nil {
		if collections.ErrorCode(err) == collections.EINVALID {
			// A rejected email or password leaves the link to try again.
			var kept json.RawMessage
			if rerr := s.params.Ensure(ctx, setupParam, raw, &kept); rerr != nil {
				return nil, rerr
			}
		}
		return nil, err
	}
	return rec, nil
}

// SetupLink returns the dashboard's first-run link for a server listening
// on addr while no superuser exists, "" once one does. Anyone with the
// link can create the first superuser within SetupLinkTTL: show it to the
// operator only.
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
