package webhooks

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"syscall"
	"time"
)

// refused reports why a webhook may not reach ip ("" when it may): an
// address of this machine or of private networks, unless allow lists it.
func refused(ip netip.Addr, allow []netip.Prefix) string {
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

// refusedError is a connection the guard refused.
type refusedError struct {
	addr netip.Addr
	kind string
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("the target resolves to %s, a %s address, which webhooks may not reach unless the plugin's settings allow it", e.addr, e.kind)
}

// newClient returns the HTTP client of the deliveries: the address of
// every connection is checked once the name is resolved, where the
// connection is made (so a name that resolves to a public address when
// checked and to a private one when used cannot pass); redirects are not
// followed (a 3xx answer is a failure); no proxy from the environment;
// each request ends after timeout.
func newClient(allow []netip.Prefix, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhooks: unexpected address %q", address)
		}
		if kind := refused(ap.Addr(), allow); kind != "" {
			return &refusedError{addr: ap.Addr().Unmap(), kind: kind}
		}
		return nil
	}}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
