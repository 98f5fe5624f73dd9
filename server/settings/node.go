package settings

import "fmt"

// Node are settings fixed on one node by its command-line flags (or their
// environment variables). Each one that is set overrides the stored
// setting on that node; the stored one still applies on nodes without the
// flag, and again here once the flag is gone.
type Node struct {
	// Origins fix cors.origins (--origins).
	Origins []string
	// TrustedProxies fix trustedProxy.proxies (--trusted-proxies).
	TrustedProxies []string
	// ProxyHeader fixes trustedProxy.header (--proxy-header).
	ProxyHeader string
}

// Check reports the first value that is not valid, naming its flag.
func (n Node) Check() error {
	if _, err := ParseOrigins(n.Origins); err != nil {
		return fmt.Errorf("--origins: %w", err)
	}
	if _, err := ParseProxies(TrustedProxy{Proxies: n.TrustedProxies}); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if n.ProxyHeader != "" && !headerNameRe.MatchString(n.ProxyHeader) {
		return fmt.Errorf("--proxy-header: %q is not a header name", n.ProxyHeader)
	}
	return nil
}

// Flags names the settings n fixes ("cors.origins", …) and the flags that
// fix them ("--origins", …); it is empty, not nil, when n fixes none.
func (n Node) Flags() map[string]string {
	m := map[string]string{}
	if len(n.Origins) > 0 {
		m["cors.origins"] = "--origins"
	}
	if len(n.TrustedProxies) > 0 {
		m["trustedProxy.proxies"] = "--trusted-proxies"
	}
	if n.ProxyHeader != "" {
		m["trustedProxy.header"] = "--proxy-header"
	}
	return m
}

// Apply returns s with the settings n fixes.
func (n Node) Apply(s Settings) Settings {
	if len(n.Origins) > 0 {
		s.CORS.Origins = n.Origins
	}
	if len(n.TrustedProxies) > 0 {
		s.TrustedProxy.Proxies = n.TrustedProxies
	}
	if n.ProxyHeader != "" {
		s.TrustedProxy.Header = n.ProxyHeader
	}
	return s
}
