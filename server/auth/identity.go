package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// SuperusersCollection is the auth collection of superusers.
const SuperusersCollection = collections.SuperusersName

// Identity is the authenticated caller of a request; nil is a guest.
type Identity struct {
	Record *collections.Record
	// Refreshable is false for tokens that may not be exchanged for new
	// ones (impersonation tokens).
	Refreshable bool
	// Expires is when the token stops being valid.
	Expires time.Time
}

// Superuser reports whether the caller is a superuser.
func (id *Identity) Superuser() bool {
	return id != nil && id.Record.Collection.Name == SuperusersCollection
}

// Authenticator resolves tokens to identities. Verified tokens are kept for
// a moment (CacheTTL) so that a busy client does not cost a database round
// trip and a signature check per request. A change to an auth record
// (password, token key) forgets its tokens: at once when made through this
// node, when the change log brings it otherwise (Forget, from the node's
// tailer), and within CacheTTL in any case.
type Authenticator struct {
	svc    *collections.Service
	issuer *Issuer
	now    func() time.Time

	mu       sync.Mutex
	tokens   map[string]cachedToken
	changed  map[string]time.Time         // record key -> when it last changed here
	watchers map[string]map[*watcher]bool // record key -> who wants to know of a change
}

type watcher struct{ fn func() }

// CacheTTL is how long a verified token is trusted without reloading its record.
const CacheTTL = time.Second

// maxCachedTokens bounds the cache; it is emptied when full.
const maxCachedTokens = 10_000

type cachedToken struct {
	rec         *collections.Record
	refreshable bool
	expires     time.Time // the token's own expiry
	checked     time.Time
}

// NewAuthenticator returns an Authenticator.
// now is the clock of the cache's ages (time.Now when nil).
func NewAuthenticator(svc *collections.Service, issuer *Issuer, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	return &Authenticator{svc: svc, issuer: issuer, now: now, tokens: map[string]cachedToken{},
		changed: map[string]time.Time{}, watchers: map[string]map[*watcher]bool{}}
}

func recordKey(collectionID, id string) string { return collectionID + "/" + id }

// Forget drops cached tokens of a record that changed or was deleted, and
// tells those watching it (Watch).
func (a *Authenticator) Forget(collectionID, id string) {
	now := a.now()
	key := recordKey(collectionID, id)
	a.mu.Lock()
	a.changed[key] = now
	for k, t := range a.changed { // keep only what can still matter
		if now.Sub(t) > CacheTTL {
			delete(a.changed, k)
		}
	}
	var tell []func()
	for w := range a.watchers[key] {
		tell = append(tell, w.fn)
	}
	a.mu.Unlock()
	for _, fn := range tell {
		go fn()
	}
}

// Watch calls fn, on a goroutine of its own, each time the auth record
// changes (Forget): a long-lived connection checks its token again then.
// The returned function stops the calls.
func (a *Authenticator) Watch(collectionID, id string, fn func()) (stop func()) {
	key := recordKey(collectionID, id)
	w := &watcher{fn: fn}
	a.mu.Lock()
	if a.watchers[key] == nil {
		a.watchers[key] = map[*watcher]bool{}
	}
	a.watchers[key][w] = true
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		delete(a.watchers[key], w)
		if len(a.watchers[key]) == 0 {
			delete(a.watchers, key)
		}
		a.mu.Unlock()
	}
}

func (a *Authenticator) cached(token string, now time.Time) (*Identity, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.tokens[token]
	if !ok {
		return nil, false
	}
	stale := now.Sub(e.checked) > CacheTTL || !now.Before(e.expires)
	if t, changed := a.changed[recordKey(e.rec.Collection.ID, e.rec.ID())]; stale || (changed && !t.Before(e.checked)) {
		delete(a.tokens, token)
		return nil, false
	}
	return &Identity{Record: e.rec, Refreshable: e.refreshable, Expires: e.expires}, true
}

func (a *Authenticator) remember(token string, id *Identity, expires, checked time.Time) {
	rec := id.Record
	a.mu.Lock()
	defer a.mu.Unlock()
	if t, changed := a.changed[recordKey(rec.Collection.ID, rec.ID())]; changed && !t.Before(checked) {
		return // changed while we were loading it
	}
	if len(a.tokens) >= maxCachedTokens {
		a.tokens = make(map[string]cachedToken, maxCachedTokens)
	}
	a.tokens[token] = cachedToken{rec: rec, refreshable: id.Refreshable, expires: expires, checked: checked}
}

// Identify checks an Authorization header value (a bare token, as the
// PocketBase SDK sends it, or "Bearer <token>"). An empty header is a guest
// (nil, nil); a token that fails any check is EUNAUTHORIZED.
func (a *Authenticator) Identify(ctx context.Context, header string) (*Identity, error) {
	token := strings.TrimSpace(header)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		return nil, nil
	}
	now := a.now()
	if id, ok := a.cached(token, now); ok {
		return id, nil
	}
	rec, claims, err := a.Resolve(ctx, token, TypeAuth)
	if err != nil {
		if errors.Is(err, ErrInvalidToken) {
			return nil, collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid record authorization token.")
		}
		return nil, err
	}
	id := &Identity{Record: rec, Refreshable: claims.Refreshable, Expires: claims.ExpiresAt.Time}
	// The header may live in a buffer the HTTP server reuses: keep a copy.
	a.remember(strings.Clone(token), id, claims.ExpiresAt.Time, now)
	return id, nil
}

// Resolve finds the auth record a token of type typ was issued for and
// verifies the token against it. Any failed check is ErrInvalidToken.
func (a *Authenticator) Resolve(ctx context.Context, token, typ string) (*collections.Record, *Claims, error) {
	peeked, err := Peek(token)
	if err != nil || peeked.Type != typ || peeked.ID == "" || peeked.ExpiresAt == nil {
		return nil, nil, ErrInvalidToken
	}
	c, ok := a.svc.Collection(peeked.CollectionID)
	if !ok || c.Type != collections.TypeAuth || c.ID != peeked.CollectionID {
		return nil, nil, ErrInvalidToken
	}
	rec, err := a.svc.SystemRecords().Get(ctx, c, peeked.ID)
	if err != nil {
		if collections.ErrorCode(err) == collections.ENOTFOUND {
			return nil, nil, ErrInvalidToken
		}
		return nil, nil, err
	}
	claims, err := a.issuer.VerifyClaims(token, rec, typ)
	if err != nil {
		return nil, nil, ErrInvalidToken
	}
	return rec, claims, nil
}
