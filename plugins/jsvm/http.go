package jsvm

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dop251/goja"
)

// maxResponse is the most of a response body $http.send reads.
const maxResponse = 32 << 20

// parseAllow reads the ranges of Config.HTTPAllow.
func parseAllow(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("jsvm: httpAllow: %q is not an address or CIDR range", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// guarded reports why $http.send may not reach ip ("" when it may): an
// address of this machine or its private networks, unless allowed.
func guarded(ip netip.Addr, allow []netip.Prefix) string {
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
	case ip.IsPrivate(), cgnat.Contains(ip):
		return "private"
	case ip.IsMulticast():
		return "multicast"
	}
	return ""
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// httpClient returns the client of $http.send. The address is checked
// when the connection is made, after the name was resolved, so a name
// that resolves to a private address (DNS rebinding included) is refused
// as the address itself; proxies from the environment are not used, so
// the check sees the real target.
func httpClient(allow []netip.Prefix) *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("$http.send: unexpected address %q", address)
		}
		if why := guarded(ip, allow); why != "" {
			return fmt.Errorf("$http.send: %s is a %s address, which the JS hooks may not reach (the plugin's httpAllow setting can allow it)", ip, why)
		}
		return nil
	}}
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        10,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// bindHTTP adds $http.send({url, method, headers, body, timeout}), which
// answers {statusCode, headers, cookies, raw, json}. timeout is in
// seconds (default 120); the wait does not count against the script's
// time limit.
func (st *vmState) bindHTTP() {
	vm := st.vm
	h := vm.NewObject()
	h.Set("send", func(call goja.FunctionCall) goja.Value {
		opts, _ := call.Argument(0).(*goja.Object)
		if opts == nil {
			panic(vm.NewTypeError("$http.send: missing options"))
		}
		get := func(name string) goja.Value {
			v := opts.Get(name)
			if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
				return nil
			}
			return v
		}
		method := "GET"
		if v := get("method"); v != nil {
			method = strings.ToUpper(v.String())
		}
		timeout := 120 * time.Second
		if v := get("timeout"); v != nil && v.ToInteger() > 0 {
			timeout = time.Duration(v.ToInteger()) * time.Second
		}
		var body io.Reader
		if v := get("body"); v != nil {
			if s, ok := v.Export().(string); ok {
				body = strings.NewReader(s)
			} else {
				s, err := st.stringify(v)
				if err != nil {
					st.rethrow(err)
				}
				body = strings.NewReader(s)
			}
		}
		url := ""
		if v := get("url"); v != nil {
			url = v.String()
		}
		ctx, cancel := context.WithTimeout(st.context(), timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, url, body)
		if err != nil {
			st.fault(err)
		}
		if hv, ok := get("headers").(*goja.Object); ok && hv != nil {
			for _, k := range hv.Keys() {
				req.Header.Set(k, hv.Get(k).String())
			}
		}
		st.budget.pause()
		res, raw, err := st.do(req)
		st.budget.resume()
		if err != nil {
			st.fault(err)
		}
		out := vm.NewObject()
		out.Set("statusCode", res.StatusCode)
		headers := map[string]any{}
		for k, vs := range res.Header {
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			headers[k] = list
		}
		out.Set("headers", st.toJSValue(headers))
		cookies := map[string]any{}
		for _, c := range res.Cookies() {
			cookies[c.Name] = c.Value
		}
		out.Set("cookies", st.toJSValue(cookies))
		out.Set("raw", string(raw))
		out.Set("body", string(raw))
		out.Set("json", st.fromJSON(raw))
		return out
	})
	vm.Set("$http", h)
}

// do sends req with the guarded client and reads the answer.
func (st *vmState) do(req *http.Request) (*http.Response, []byte, error) {
	res, err := st.gen.r.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	return res, raw, err
}
