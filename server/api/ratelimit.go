package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/settings"
)

// rateLimited returns r with the rate limiter as the first handler of
// every route registered through it, so that it runs once Fiber has
// matched the route and judges the request by that route.
func (h *handlers) rateLimited(r fiber.Router) fiber.Router {
	return limitedRouter{Router: r, limit: RateLimit(RateLimitConfig{
		Rules: func(c *fiber.Ctx) settings.RateLimits { return h.Settings.Cached(c.UserContext()).RateLimits },
		Collection: func(idOrName string) (string, bool) {
			col, ok := h.Collections.Collection(idOrName)
			if !ok {
				return "", false
			}
			return col.Name, true
		},
		Next:     func(c *fiber.Ctx) bool { return identity(c).Superuser() },
		Now:      h.Now,
		ClientIP: h.clientIP,
		Counter:  h.RateCounter,
		Logger:   h.Logger,
	})}
}

// limitedRouter registers routes with limit in front of their handlers.
type limitedRouter struct {
	fiber.Router
	limit fiber.Handler
}

func (r limitedRouter) with(handlers []fiber.Handler) []fiber.Handler {
	return append([]fiber.Handler{r.limit}, handlers...)
}

// Get registers a GET (and HEAD) route behind the limiter.
func (r limitedRouter) Get(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Get(path, r.with(handlers)...)
	return r
}

// Head registers a HEAD route behind the limiter.
func (r limitedRouter) Head(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Head(path, r.with(handlers)...)
	return r
}

// Post registers a POST route behind the limiter.
func (r limitedRouter) Post(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Post(path, r.with(handlers)...)
	return r
}

// Put registers a PUT route behind the limiter.
func (r limitedRouter) Put(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Put(path, r.with(handlers)...)
	return r
}

// Patch registers a PATCH route behind the limiter.
func (r limitedRouter) Patch(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Patch(path, r.with(handlers)...)
	return r
}

// Delete registers a DELETE route behind the limiter.
func (r limitedRouter) Delete(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Delete(path, r.with(handlers)...)
	return r
}

// Connect registers a CONNECT route behind the limiter.
func (r limitedRouter) Connect(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Connect(path, r.with(handlers)...)
	return r
}

// Options registers an OPTIONS route behind the limiter.
func (r limitedRouter) Options(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Options(path, r.with(handlers)...)
	return r
}

// Trace registers a TRACE route behind the limiter.
func (r limitedRouter) Trace(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Trace(path, r.with(handlers)...)
	return r
}

// Add registers a route for method behind the limiter.
func (r limitedRouter) Add(method, path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.Add(method, path, r.with(handlers)...)
	return r
}

// All registers a route for every method behind the limiter.
func (r limitedRouter) All(path string, handlers ...fiber.Handler) fiber.Router {
	r.Router.All(path, r.with(handlers)...)
	return r
}

// Group returns a group whose routes are behind the limiter too.
func (r limitedRouter) Group(prefix string, handlers ...fiber.Handler) fiber.Router {
	return limitedRouter{Router: r.Router.Group(prefix, handlers...), limit: r.limit}
}

// Route calls fn with a group whose routes are behind the limiter too.
func (r limitedRouter) Route(prefix string, fn func(router fiber.Router), name ...string) fiber.Router {
	g := r.Group(prefix)
	if len(name) > 0 {
		g.Name(name[0])
	}
	fn(g)
	return g
}

// RateLimitConfig configures the RateLimit middleware.
type RateLimitConfig struct {
	// Next skips the limiter for a request when it returns true.
	Next func(c *fiber.Ctx) bool
	// Rules returns the rules in force (read on every request).
	Rules func(c *fiber.Ctx) settings.RateLimits
	// Collection resolves a collection id or name in a path to its name,
	// for tag rules such as "users:auth".
	Collection func(idOrName string) (string, bool)
	// Now is the clock (time.Now when nil); tests drive it.
	Now func() time.Time
	// ClientIP is the client's address (c.IP when nil).
	ClientIP func(c *fiber.Ctx) string
	// Counter keeps the counts where every node sees them (in this node's
	// memory when nil). When it fails, this node's memory counts instead.
	Counter RateCounter
	// Logger reports a failing Counter (slog.Default when nil).
	Logger *slog.Logger
	// MaxKeys bounds the number of counters kept in memory (100,000 when
	// zero).
	MaxKeys int
}

// RateCounter counts requests in fixed windows where every node sees the
// counts (postgres.RateLimits), so that N nodes behind a balancer allow a
// client the budget of one server, not N times it.
type RateCounter interface {
	// Hit counts one request against key and returns the end of key's
	// current window and the requests counted in it, this one included.
	// When key has no window that ends after now, a new one of length
	// window starts at now.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (end time.Time, hits int, err error)
}

// counterTimeout bounds the wait for the shared counter; past it this
// node counts alone.
const counterTimeout = time.Second

// RateLimit limits requests per client address with the most specific
// matching rule, in fixed windows, answering 429 with Retry-After beyond
// the limit. The counts are the Counter's, shared by every node (one
// round trip per limited request); a key known to be over its limit is
// refused from memory until its window ends, so a flood costs the
// database one round trip per node and window. Should the Counter fail,
// the node counts in memory alone until it is back.
//
// It must be the first handler of a route, not a middleware that runs
// before routing (Use): the rule is chosen by the route Fiber matched
// (routePath), so that no spelling of a path that reaches the route —
// another letter case of the collection, a trailing slash, its id for its
// name — escapes the route's limit, and spellings that match no route
// (other cases of the fixed parts, doubled slashes, percent-encoding, dot
// segments) are 404s before they reach it.
func RateLimit(cfg RateLimitConfig) fiber.Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = 100_000
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = func(c *fiber.Ctx) string { return c.IP() }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	local := &limiter{max: cfg.MaxKeys, windows: map[string]*window{}}
	full := &limiter{max: cfg.MaxKeys, windows: map[string]*window{}}
	var lastWarned atomic.Int64
	hit := func(c *fiber.Ctx, key string, d time.Duration, now time.Time) (time.Time, int) {
		if cfg.Counter != nil {
			ctx, cancel := context.WithTimeout(c.UserContext(), counterTimeout)
			end, n, err := cfg.Counter.Hit(ctx, key, d, now)
			cancel()
			if err == nil {
				return end, n
			}
			if t := time.Now().Unix(); t-lastWarned.Load() >= 10 && lastWarned.Swap(t) != t {
				cfg.Logger.Warn("rate limits: counting on this node alone", "requestId", requestID(c), "err", err)
			}
		}
		return local.hit(key, d, now)
	}
	return func(c *fiber.Ctx) error {
		if cfg.Next != nil && cfg.Next(c) {
			return c.Next()
		}
		limits := cfg.Rules(c)
		if !limits.Enabled || len(limits.Rules) == 0 {
			return c.Next()
		}
		path := routePath(c, cfg.Collection)
		collection, tags := requestTags(c.Method(), path)
		rule, ok := matchRule(limits.Rules, c.Method(), path, collection, tags, identity(c) != nil)
		if !ok {
			return c.Next()
		}
		key := rateLimitKey(rule, cfg.ClientIP(c))
		now := cfg.Now()
		d := time.Duration(rule.Duration) * time.Second
		end, ok := full.over(key, now)
		if !ok {
			var n int
			if end, n = hit(c, key, d, now); n > rule.MaxRequests {
				full.block(key, end, now)
				ok = true
			}
		}
		if ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(auth.RetryAfterSeconds(end.Sub(now))))
			return collections.Errorf(collections.ETOOMANY, "Too many requests.")
		}
		return c.Next()
	}
}

// rateLimitKey names the counter of a rule and a client address: a hash,
// so that the shared counters hold no address in clear.
func rateLimitKey(rule settings.RateLimitRule, ip string) string {
	sum := sha256.Sum256([]byte(rule.Label + "\x00" + rule.Audience + "\x00" + strconv.FormatInt(rule.Duration, 10) + "\x00" +
		strconv.Itoa(rule.MaxRequests) + "\x00" + ip))
	return "rl:" + hex.EncodeToString(sum[:])
}

type window struct {
	end   time.Time
	count int
}

// limiter keeps fixed windows in memory: the counts of a node alone, or
// the keys known to be over their limit until their window ends.
type limiter struct {
	max     int
	mu      sync.Mutex
	windows map[string]*window
}

// hit counts one request against key and returns the end of its window
// and the requests in it, this one included.
func (l *limiter) hit(key string, d time.Duration, now time.Time) (time.Time, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[key]
	if !ok || !now.Before(w.end) {
		if !ok && len(l.windows) >= l.max {
			l.sweep(now)
		}
		w = &window{end: now.Add(d)}
		l.windows[key] = w
	}
	w.count++
	return w.end, w.count
}

// block remembers that key is over its limit until end.
func (l *limiter) block(key string, end, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.windows[key]; !ok && len(l.windows) >= l.max {
		l.sweep(now)
	}
	l.windows[key] = &window{end: end}
}

// over returns the end of key's window when key is blocked until then.
func (l *limiter) over(key string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[key]
	if !ok {
		return time.Time{}, false
	}
	if !now.Before(w.end) {
		delete(l.windows, key)
		return time.Time{}, false
	}
	return w.end, true
}

// sweep drops windows that have ended, and everything if that is not
// enough.
func (l *limiter) sweep(now time.Time) {
	for k, w := range l.windows {
		if !now.Before(w.end) {
			delete(l.windows, k)
		}
	}
	if len(l.windows) >= l.max {
		l.windows = map[string]*window{}
	}
}

// routePath is the request's path as the matched route spells it: the
// route's pattern with each parameter replaced by its value, and the
// collection parameter by the collection's name when it names one (by id,
// or by its name in another case). It is the same for every request that
// reaches the route with the same parameters.
func routePath(c *fiber.Ctx, collection func(idOrName string) (string, bool)) string {
	segs := strings.Split(c.Route().Path, "/")
	for i, seg := range segs {
		switch {
		case seg == "*" || seg == "+":
			segs[i] = c.Params(seg)
		case strings.HasPrefix(seg, ":"):
			name := strings.TrimSuffix(seg[1:], "?")
			v := c.Params(name)
			if name == "collection" && collection != nil {
				if canonical, ok := collection(v); ok {
					v = canonical
				}
			}
			segs[i] = v
		}
	}
	return strings.Join(segs, "/")
}

// requestActions are the PocketBase tags of the endpoints under
// /api/collections/{collection}/.
var requestActions = map[string][]string{
	"auth-methods":           {"listAuthMethods"},
	"auth-refresh":           {"authRefresh"},
	"auth-with-password":     {"authWithPassword", "auth"},
	"auth-with-oauth2":       {"authWithOAuth2", "auth"},
	"auth-with-otp":          {"authWithOTP", "auth"},
	"request-otp":            {"requestOTP"},
	"request-verification":   {"requestVerification"},
	"confirm-verification":   {"confirmVerification"},
	"request-password-reset": {"requestPasswordReset"},
	"confirm-password-reset": {"confirmPasswordReset"},
	"request-email-change":   {"requestEmailChange"},
	"confirm-email-change":   {"confirmEmailChange"},
}

// requestTags returns the collection (id or name, as in the path) and the
// tags of a request, most specific first.
func requestTags(method, path string) (string, []string) {
	if rest, ok := strings.CutPrefix(path, "/api/files/"); ok {
		col, _, _ := strings.Cut(rest, "/")
		return col, []string{"file"}
	}
	rest, ok := strings.CutPrefix(path, "/api/collections/")
	if !ok {
		return "", nil
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) < 2 {
		return "", nil
	}
	if parts[1] == "records" {
		switch {
		case len(parts) == 2 && method == fiber.MethodGet:
			return parts[0], []string{"list"}
		case len(parts) == 2 && method == fiber.MethodPost:
			return parts[0], []string{"create"}
		case len(parts) == 3 && method == fiber.MethodGet:
			return parts[0], []string{"view"}
		case len(parts) == 3 && method == fiber.MethodPatch:
			return parts[0], []string{"update"}
		case len(parts) == 3 && method == fiber.MethodDelete:
			return parts[0], []string{"delete"}
		}
		return parts[0], nil
	}
	if len(parts) == 2 {
		return parts[0], requestActions[parts[1]]
	}
	return parts[0], nil
}

// matchRule picks the rule for a request: "<collection>:<tag>", then
// "*:<tag>", then an exact path (with the method first), then the longest
// matching path prefix. Within a label a rule for the caller's audience
// wins over one for everyone.
func matchRule(rules []settings.RateLimitRule, method, path, collection string, tags []string, authed bool) (settings.RateLimitRule, bool) {
	var labels []string
	for _, t := range tags {
		labels = append(labels, collection+":"+t)
	}
	for _, t := range tags {
		labels = append(labels, "*:"+t)
	}
	labels = append(labels, method+" "+path, path)
	for _, label := range labels {
		if r, ok := ruleFor(rules, label, authed); ok {
			return r, true
		}
	}
	var prefixes []settings.RateLimitRule
	for _, r := range rules {
		m, p := splitPathLabel(r.Label)
		if strings.HasSuffix(p, "/") && (m == "" || m == method) && strings.HasPrefix(path+"/", p) {
			prefixes = append(prefixes, r)
		}
	}
	sort.SliceStable(prefixes, func(i, j int) bool { return len(prefixes[i].Label) > len(prefixes[j].Label) })
	for _, r := range prefixes {
		if best, ok := ruleFor(prefixes, r.Label, authed); ok {
			return best, true
		}
	}
	return settings.RateLimitRule{}, false
}

func ruleFor(rules []settings.RateLimitRule, label string, authed bool) (settings.RateLimitRule, bool) {
	want := settings.AudienceGuest
	if authed {
		want = settings.AudienceAuth
	}
	var general *settings.RateLimitRule
	for i, r := range rules {
		if r.Label != label {
			continue
		}
		switch r.Audience {
		case want:
			return r, true
		case "":
			if general == nil {
				general = &rules[i]
			}
		}
	}
	if general != nil {
		return *general, true
	}
	return settings.RateLimitRule{}, false
}

// splitPathLabel splits "POST /api/x" into method and path.
func splitPathLabel(label string) (string, string) {
	if m, p, ok := strings.Cut(label, " "); ok {
		return m, p
	}
	return "", label
}
