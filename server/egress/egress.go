// Package egress guards the requests the server makes to addresses its
// users name (a webhook's target, a JavaScript hook's $http.send): a
// connection to this machine or to a private network is refused unless
// allowed. The address is checked where the connection is made, after
// the name was resolved, so a name that resolves to a public address
// when checked and to a private one when used (DNS rebinding) cannot
// pass.
package egress

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"syscall"
	"time"
)

// ParseAllow reads a list of addresses and CIDR ranges that may be
// reached although private ("10.0.0.0/8", "::1").
func ParseAllow(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR range", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Refused reports what kind of address ip is when it may not be reached
// ("loopback", "unspecified", "link-local", "private" or "multicast"), or
// "" when it may: a public address, or one allow lists.
func Refused(ip netip.Addr, allow []netip.Prefix) string {
	ip = ip.Unmap()
	if slices.ContainsFunc(allow, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return ""
	}
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "link-local"
	case ip.IsPrivate(), sharedSpace.Contains(ip):
		return "private"
	case ip.IsMulticast():
		return "multicast"
	}
	return ""
}

// sharedSpace is the shared address space of carrier-grade NAT (RFC 6598).
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// RefusedError is a connection the guard refused.
type RefusedError struct {
	Addr netip.Addr
	Kind string // as Refused names it
	// Who names what may not reach it, for the message ("webhooks").
	Who string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s is a %s address, which %s may not reach unless the plugin's settings allow it", e.Addr, e.Kind, e.Who)
}

// Dialer returns a dialer whose connections to addresses Refused names
// fail with a *RefusedError (who names the caller in its message).
func Dialer(timeout time.Duration, allow []netip.Prefix, who string) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("unexpected address %q", address)
		}
		if kind := Refused(ap.Addr(), allow); kind != "" {
			return &RefusedError{Addr: ap.Addr().Unmap(), Kind: kind, Who: who}
		}
		return nil
	}}
}

// Client returns an HTTP client whose connections pass the guard (who
// names the caller in its refusals), ending each request after timeout,
// without proxies from the environment (the guard sees the real target).
// Redirects are followed: each new connection is checked again.
func Client(timeout time.Duration, allow []netip.Prefix, who string) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           Dialer(timeout, allow, who).DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			IdleConnTimeout:       90 * time.Second,
		},
	}
}
