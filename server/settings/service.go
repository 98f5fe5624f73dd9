package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// Store keeps settings as JSON values by key (postgres.ParamStore).
type Store interface {
	// Get reads the value stored under key into out; a missing key is
	// ENOTFOUND.
	Get(ctx context.Context, key string, out any) error
	// Set stores value under key, replacing what was there.
	Set(ctx context.Context, key string, value any) error
}

// key is the Store key the settings are kept under.
const key = "settings"

// TTL is how long a node trusts its copy of the settings when it is not
// told of a change (Forget); a change made on another node is seen within
// it even if the notification is lost.
const TTL = 5 * time.Second

// Service reads and writes the settings, keeping a copy for TTL so that
// the rate limiter does not read the database on every request. It is
// safe for concurrent use.
type Service struct {
	store    Store // nil keeps settings in memory only
	defaults Settings
	now      func() time.Time
	log      *slog.Logger
	node     Node

	mu     sync.Mutex
	cur    Settings
	loaded time.Time
	valid  bool
	// parsed are the origins and proxies of cur with node applied, worked
	// out once per change rather than per request.
	parsed *parsed
}

type parsed struct {
	origins *Origins
	proxies *Proxies
}

// New returns a Service on store (nil: memory only) whose settings are
// defaults until others are saved. now is its clock (time.Now when nil)
// and log where it reports settings it cannot read (slog.Default when
// nil).
func New(store Store, defaults Settings, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, defaults: defaults, now: now, log: log}
}

// Fix makes the settings node names override the stored ones on this
// node. Call it before serving.
func (s *Service) Fix(node Node) {
	s.mu.Lock()
	s.node, s.parsed = node, nil
	s.mu.Unlock()
}

// Node returns the settings fixed on this node (see Fix).
func (s *Service) Node() Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.node
}

// Effective returns the settings in force on this node: the cached ones
// (see Cached) with those fixed on the node applied.
func (s *Service) Effective(ctx context.Context) Settings {
	st := s.Cached(ctx)
	return s.Node().Apply(st)
}

// parse returns the parsed origins and proxies in force.
func (s *Service) parse(ctx context.Context) *parsed {
	st := s.Effective(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.parsed != nil {
		return s.parsed
	}
	p := &parsed{}
	var err error
	if p.origins, err = ParseOrigins(st.CORS.Origins); err != nil {
		s.log.Error("cors settings", "err", err)
		p.origins = AnyOrigin
	}
	if p.proxies, err = ParseProxies(st.TrustedProxy); err != nil {
		s.log.Error("trusted proxy settings", "err", err)
		p.proxies = nil
	}
	s.parsed = p
	return p
}

// Origins returns the origins allowed in force on this node, parsed once
// per change of the settings. Origins that do not parse allow any origin
// (and are logged).
func (s *Service) Origins(ctx context.Context) *Origins { return s.parse(ctx).origins }

// Proxies returns the trusted proxies in force on this node, parsed once
// per change of the settings. Proxies that do not parse are none (nil,
// and logged).
func (s *Service) Proxies(ctx context.Context) *Proxies { return s.parse(ctx).proxies }

// Get returns the current settings: the copy when it is younger than TTL,
// else those read from the store merged over the defaults (the defaults
// when none are stored). Callers must not modify the returned slices.
func (s *Service) Get(ctx context.Context) (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.valid && (s.store == nil || now.Sub(s.loaded) < TTL) {
		return s.cur, nil
	}
	if s.store == nil {
		s.cur, s.valid, s.parsed = s.defaults, true, nil
		return s.cur, nil
	}
	var raw json.RawMessage
	err := s.store.Get(ctx, key, &raw)
	cur := s.defaults
	switch {
	case err == nil:
		if cur, err = Merge(s.defaults, raw); err != nil {
			return Settings{}, fmt.Errorf("stored settings: %w", err)
		}
	case collections.ErrorCode(err) != collections.ENOTFOUND:
		return Settings{}, err
	}
	s.cur, s.loaded, s.valid, s.parsed = cur, now, true, nil
	return cur, nil
}

// Cached returns the last settings read without touching the store more
// than once per TTL; on a read failure it logs and keeps the previous (or
// default) settings.
func (s *Service) Cached(ctx context.Context) Settings {
	st, err := s.Get(ctx)
	if err != nil {
		s.log.Error("read settings", "err", err)
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.valid {
			s.cur, s.valid, s.parsed = s.defaults, true, nil
		}
		s.loaded = s.now() // retry after TTL, not on every request
		return s.cur
	}
	return st
}

// Save stores new settings, which the caller has validated (see
// Settings.Validate), and makes them the copy of this node. Other nodes
// see them after Forget or within TTL.
func (s *Service) Save(ctx context.Context, st Settings) error {
	if s.store != nil {
		if err := s.store.Set(ctx, key, st); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.cur, s.loaded, s.valid, s.parsed = st, s.now(), true, nil
	s.mu.Unlock()
	return nil
}

// Forget drops the copy of the settings: the next Get reads them again.
// The node calls it when another node announces a change.
func (s *Service) Forget() {
	s.mu.Lock()
	s.valid = false
	s.mu.Unlock()
}
