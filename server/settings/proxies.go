package settings

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// TrustedProxy name the proxies (load balancers, reverse proxies) whose
// word about the client's address is believed, and the header they write
// it in. With no proxies, the client is whoever opened the connection and
// every such header is ignored.
type TrustedProxy struct {
	// Proxies are addresses ("10.0.0.7", "::1") or CIDR ranges
	// ("10.0.0.0/8") of the proxies.
	Proxies []string `json:"proxies"`
	// Header is where they put the client's address: "X-Forwarded-For"
	// (the default) or "X-Real-IP" (or another header holding one address,
	// such as "CF-Connecting-IP").
	Header string `json:"header"`
}

// DefaultProxyHeader is the header read from trusted proxies unless
// another is configured.
const DefaultProxyHeader = "X-Forwarded-For"

// Proxies are parsed trusted proxy settings.
type Proxies struct {
	ranges []netip.Prefix
	header string
}

// ParseProxies parses trusted proxy settings; the error names the first
// entry that is neither an address nor a CIDR range.
func ParseProxies(s TrustedProxy) (*Proxies, error) {
	p := &Proxies{header: s.Header}
	if p.header == "" {
		p.header = DefaultProxyHeader
	}
	for _, entry := range s.Proxies {
		r, err := parseRange(entry)
		if err != nil {
			return nil, err
		}
		p.ranges = append(p.ranges, r)
	}
	return p, nil
}

// parseRange reads "10.0.0.7" as 10.0.0.7/32 and "10.0.0.0/8" as itself.
func parseRange(entry string) (netip.Prefix, error) {
	entry = strings.TrimSpace(entry)
	if strings.Contains(entry, "/") {
		r, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8", entry)
		}
		if r.Addr().Is4In6() {
			return netip.Prefix{}, fmt.Errorf("%q: write IPv4 ranges in IPv4 form", entry)
		}
		return r.Masked(), nil
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or a CIDR range", entry)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Header returns the header the trusted proxies write the client's
// address in, or "" when no proxy is trusted (p is nil or empty): then no
// header needs to be read.
func (p *Proxies) Header() string {
	if p == nil || len(p.ranges) == 0 {
		return ""
	}
	return p.header
}

// trusts reports whether a is one of the proxies.
func (p *Proxies) trusts(a netip.Addr) bool {
	for _, r := range p.ranges {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the address of the client behind a request that came
// from remote with the given values of the proxy header (each header line
// in order). A sender that is not a trusted proxy is the client, whatever
// it wrote in headers. From a trusted proxy, the header's addresses are
// read right to left — each hop appends the address it saw — skipping
// trusted proxies: the first address that is not one is the client. An
// entry that is not an address ends the walk at the last trusted hop, and
// a chain of trusted proxies only ends at its left-most one.
func (p *Proxies) Client(remote netip.Addr, header [][]byte) netip.Addr {
	remote = remote.Unmap().WithZone("")
	if p == nil || len(p.ranges) == 0 || !p.trusts(remote) {
		return remote
	}
	client := remote
	for i := len(header) - 1; i >= 0; i-- {
		line := header[i]
		for len(line) > 0 {
			var entry []byte
			if j := bytes.LastIndexByte(line, ','); j >= 0 {
				line, entry = line[:j], line[j+1:]
			} else {
				line, entry = nil, line
			}
			entry = bytes.TrimSpace(entry)
			if len(entry) == 0 {
				continue
			}
			a, ok := parseHop(string(entry))
			if !ok {
				return client
			}
			client = a
			if !p.trusts(a) {
				return a
			}
		}
	}
	return client
}

// parseHop reads one address of a proxy header: "1.2.3.4", "2001:db8::1",
// and the forms with a port some proxies write ("1.2.3.4:5678",
// "[2001:db8::1]:5678").
func parseHop(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}
