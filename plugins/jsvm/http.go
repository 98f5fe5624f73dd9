package jsvm

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/server/egress"
)

// maxResponse is the most of a response body $http.send reads.
const maxResponse = 32 << 20

// httpClient returns the client of $http.send: every connection's
// address is checked by the egress guard once its name is resolved;
// proxies from the environment are not used, so the check sees the real
// target.
func httpClient(allow []netip.Prefix) *http.Client {
	dialer := egress.Dialer(30*time.Second, allow, "the JS hooks")
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
