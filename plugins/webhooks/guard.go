package webhooks

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/lumbunghq/lumbung/server/egress"
)

// newClient returns the HTTP client of the deliveries: every connection's
// address is checked by the egress guard once its name is resolved;
// redirects are not followed (a 3xx answer is a failure); no proxy from
// the environment; each request ends after timeout.
func newClient(allow []netip.Prefix, timeout time.Duration) *http.Client {
	dialer := egress.Dialer(timeout, allow, "webhooks")
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
