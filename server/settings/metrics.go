package settings

import (
	"crypto/subtle"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
)

// Metrics decide who may read GET /metrics, the node's Prometheus
// metrics: nobody while disabled (the endpoint answers 404), and once
// enabled a request that carries "Authorization: Bearer <Token>" or
// comes from one of AllowedAddresses (the client's address as the
// trusted proxy settings make it).
type Metrics struct {
	Enabled bool `json:"enabled"`
	// Token is the bearer token a scraper sends ("" accepts none). It is
	// stored but never sent back.
	Token string `json:"token"`
	// AllowedAddresses are addresses ("10.0.0.7") or CIDR ranges
	// ("10.0.0.0/8") allowed without a token.
	AllowedAddresses []string `json:"allowedAddresses"`
}

// MinMetricsToken is the shortest bearer token accepted for GET /metrics.
const MinMetricsToken = 16

// DefaultMetrics are the metrics settings of a new installation: disabled.
func DefaultMetrics() Metrics {
	return Metrics{AllowedAddresses: []string{}}
}

// Authorized reports whether m let a request from the client at addr with
// the given Authorization header read the metrics. The token is compared
// in constant time.
func (m Metrics) Authorized(addr netip.Addr, authorization string) bool {
	if !m.Enabled {
		return false
	}
	if m.Token != "" {
		scheme, token, ok := strings.Cut(authorization, " ")
		if ok && strings.EqualFold(scheme, "Bearer") &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(m.Token)) == 1 {
			return true
		}
	}
	addr = addr.Unmap().WithZone("")
	for _, entry := range m.AllowedAddresses {
		if r, err := parseRange(entry); err == nil && r.Contains(addr) {
			return true
		}
	}
	return false
}

// validate reports the metrics settings that are not valid into fail: a
// token must be at least MinMetricsToken printable characters without
// spaces, each allowed address an address or a CIDR range, and enabled
// metrics need a token or an allowed address, or nobody could read them.
func (m Metrics) validate(fail func(key, code, msg string)) {
	if m.Token != "" && (len(m.Token) < MinMetricsToken || strings.IndexFunc(m.Token, func(r rune) bool {
		return r > unicode.MaxASCII || !unicode.IsGraphic(r) || unicode.IsSpace(r)
	}) >= 0) {
		fail("metrics.token", "validation_invalid_token",
			fmt.Sprintf("Must be at least %d printable ASCII characters without spaces.", MinMetricsToken))
	}
	for i, a := range m.AllowedAddresses {
		if _, err := parseRange(a); err != nil {
			fail(fmt.Sprintf("metrics.allowedAddresses.%d", i), "validation_invalid_address", err.Error())
		}
	}
	if m.Enabled && m.Token == "" && len(m.AllowedAddresses) == 0 {
		fail("metrics.token", "validation_required", "Set a token or allowed addresses to enable the metrics.")
	}
}
