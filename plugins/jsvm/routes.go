package jsvm

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/dop251/goja"
	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/api"
)

// routeStep is one middleware of a JS route: a script function, or one
// of $apis' checks.
type routeStep struct {
	fn    goja.Callable
	check *apiCheck
}

// apiCheck is a middleware of $apis: requireAuth(...collections),
// requireSuperuserAuth() or requireGuestOnly().
type apiCheck struct {
	kind        string
	collections []string
}

// verify lets the request of c through the check, or returns the answer
// that refuses it (PocketBase's messages).
func (a *apiCheck) verify(c *fiber.Ctx) error {
	rec := api.AuthRecordOf(c)
	switch a.kind {
	case "guestOnly":
		if rec != nil {
			return collections.Errorf(collections.EINVALID, "The request can be accessed only by guests.")
		}
	case "superuser":
		if rec == nil {
			return collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid superuser authorization token.")
		}
		if rec.Collection.Name != collections.SuperusersName {
			return collections.Errorf(collections.EFORBIDDEN, "The authorized record is not allowed to perform this action.")
		}
	case "auth":
		if rec == nil {
			return collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid record authorization token.")
		}
		if len(a.collections) > 0 && !slices.ContainsFunc(a.collections, func(n string) bool {
			return n == "*" || n == rec.Collection.Name || n == rec.Collection.ID
		}) {
			return collections.Errorf(collections.EFORBIDDEN, "The authorized record is not allowed to perform this action.")
		}
	}
	return nil
}

// bindRoutes adds routerAdd(method, path, handler, ...middlewares) and
// $apis with its middlewares.
func (st *vmState) bindRoutes() {
	vm := st.vm
	st.vm.Set("routerAdd", func(call goja.FunctionCall) goja.Value {
		st.declaring("routerAdd")
		method := strings.ToUpper(call.Argument(0).String())
		path, err := fiberPath(call.Argument(1).String())
		if err != nil {
			panic(vm.NewTypeError("routerAdd: %s", err.Error()))
		}
		switch method {
		case fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		default:
			panic(vm.NewTypeError("routerAdd: the method %q is not one of GET, POST, PUT, PATCH and DELETE", method))
		}
		handler, ok := goja.AssertFunction(call.Argument(2))
		if !ok {
			panic(vm.NewTypeError("routerAdd: the handler must be a function"))
		}
		rt := jsRoute{key: method + " " + path, method: method, path: path, handler: handler, wildcard: wildcardName(call.Argument(1).String())}
		for _, m := range call.Arguments[min(3, len(call.Arguments)):] {
			if check, ok := m.Export().(*apiCheck); ok {
				rt.steps = append(rt.steps, routeStep{check: check})
				switch {
				case check.kind == "superuser":
					rt.access = api.Superusers
				case check.kind == "auth" && rt.access == api.Public:
					rt.access = api.Authenticated
				}
				continue
			}
			fn, ok := goja.AssertFunction(m)
			if !ok {
				panic(vm.NewTypeError("routerAdd: a middleware must be a function or one of $apis"))
			}
			rt.steps = append(rt.steps, routeStep{fn: fn})
		}
		if st.regs.route(rt.key) != nil {
			panic(vm.NewTypeError("routerAdd: %s is added twice", rt.key))
		}
		st.regs.routes = append(st.regs.routes, rt)
		return goja.Undefined()
	})
	st.vm.Set("routerUse", func(call goja.FunctionCall) goja.Value {
		st.warn("routerUse", "JS routerUse is not supported by Lumbung: give the middlewares to routerAdd", "at", st.caller())
		return goja.Undefined()
	})
	apis := vm.NewObject()
	apis.Set("requireAuth", func(call goja.FunctionCall) goja.Value {
		a := &apiCheck{kind: "auth"}
		for _, c := range call.Arguments {
			a.collections = append(a.collections, c.String())
		}
		return vm.ToValue(a)
	})
	apis.Set("requireSuperuserAuth", func(goja.FunctionCall) goja.Value { return vm.ToValue(&apiCheck{kind: "superuser"}) })
	apis.Set("requireGuestOnly", func(goja.FunctionCall) goja.Value { return vm.ToValue(&apiCheck{kind: "guestOnly"}) })
	vm.Set("$apis", apis)
}

var paramPattern = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}`)

// fiberPath turns a PocketBase route path ("/api/things/{id}", with Go's
// {name...} for the rest) into a Fiber pattern under /api
// ("/things/:id", "*"). Lumbung serves script routes under /api only.
func fiberPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/api/") {
		return "", fmt.Errorf("the path %q is outside /api: Lumbung serves JS routes under /api/ only", p)
	}
	p = strings.TrimSuffix(strings.TrimPrefix(p, "/api"), "{$}")
	out := paramPattern.ReplaceAllStringFunc(p, func(m string) string {
		sub := paramPattern.FindStringSubmatch(m)
		if sub[2] != "" {
			return "*"
		}
		return ":" + sub[1]
	})
	if strings.ContainsAny(out, "{}") {
		return "", fmt.Errorf("the path %q has a parameter Lumbung does not read", p)
	}
	return out, nil
}

// wildcardName is the name of a route's {name...} parameter.
func wildcardName(pbPath string) string {
	for _, sub := range paramPattern.FindAllStringSubmatch(pbPath, -1) {
		if sub[2] != "" {
			return sub[1]
		}
	}
	return ""
}

// addRoute registers a JS route on the server: it serves whatever route
// of that method and path the current generation has (404 when a reload
// removed it).
func (r *runner) addRoute(rt jsRoute) error {
	if r.routes[rt.key] {
		return fmt.Errorf("JS route %s is added twice", rt.key)
	}
	r.routes[rt.key] = true
	key := rt.key
	r.host.Route(api.Route{Method: rt.method, Path: rt.path, Access: rt.access, Summary: "A route of the JS hooks.",
		Handler: func(c *fiber.Ctx) error { return r.serveRoute(key, c) }})
	return nil
}

// serveRoute answers a request of the JS route key.
func (r *runner) serveRoute(key string, c *fiber.Ctx) error {
	g := r.current()
	if g.shape.route(key) == nil {
		return fiber.ErrNotFound
	}
	return g.run(c.UserContext(), func(st *vmState) error {
		rt := st.regs.route(key)
		app := lazyApp(st, r.host.Records(collections.System))
		ev := st.vm.NewObject()
		ev.Set("app", app())
		st.requestFields(ev, c, rt.wildcard, nil)
		st.responseFields(ev, c)
		var steps []step
		for _, s := range rt.steps {
			if s.check != nil {
				check := s.check
				steps = append(steps, func(_ *goja.Object, next func() error) error {
					if err := check.verify(c); err != nil {
						return err
					}
					return next()
				})
				continue
			}
			steps = append(steps, st.jsStep(s.fn))
		}
		steps = append(steps, st.jsStep(rt.handler))
		return st.withApp(app, func() error { return st.chain(ev, steps, func() error { return nil }) })
	})
}

// requestFields adds PocketBase's request side of an event: e.request,
// e.auth, e.requestInfo(), e.bindBody(target) (the body's values of the
// target's keys, or all of them), e.realIP(), e.hasSuperuserAuth(); wildcard
// names the route's {name...} parameter; body, when set, gives the
// request's body (one the API decoded: a streamed form), else it is read
// from c.
func (st *vmState) requestFields(ev *goja.Object, c *fiber.Ctx, wildcard string, body func() map[string]any) {
	if body == nil {
		body = func() map[string]any { return requestBody(c) }
	}
	vm := st.vm
	req := vm.NewObject()
	req.Set("method", c.Method())
	req.Set("host", c.Hostname())
	req.Set("remoteAddr", c.Context().RemoteAddr().String())
	u := vm.NewObject()
	u.Set("path", c.Path())
	u.Set("rawQuery", string(c.Request().URI().QueryString()))
	u.Set("query", func(goja.FunctionCall) goja.Value {
		q := vm.NewObject()
		q.Set("get", func(call goja.FunctionCall) goja.Value { return vm.ToValue(c.Query(call.Argument(0).String())) })
		return q
	})
	u.Set("toString", func(goja.FunctionCall) goja.Value { return vm.ToValue(c.OriginalURL()) })
	req.Set("url", u)
	header := vm.NewObject()
	header.Set("get", func(call goja.FunctionCall) goja.Value { return vm.ToValue(c.Get(call.Argument(0).String())) })
	req.Set("header", header)
	req.Set("pathValue", func(call goja.FunctionCall) goja.Value {
		name := call.Argument(0).String()
		v := c.Params(name)
		if v == "" && wildcard != "" && name == wildcard {
			v = c.Params("*")
		}
		if decoded, err := url.PathUnescape(v); err == nil { // decoded, as net/http gives it
			v = decoded
		}
		return vm.ToValue(v)
	})
	ev.Set("request", req)
	auth := goja.Null()
	if rec := api.AuthRecordOf(c); rec != nil {
		auth = st.recordObject(newRef(rec))
	}
	ev.Set("auth", auth)
	ev.Set("realIP", func(goja.FunctionCall) goja.Value { return vm.ToValue(api.ClientIP(c)) })
	ev.Set("hasSuperuserAuth", func(goja.FunctionCall) goja.Value {
		rec := api.AuthRecordOf(c)
		return vm.ToValue(rec != nil && rec.Collection.Name == collections.SuperusersName)
	})
	ev.Set("bindBody", func(call goja.FunctionCall) goja.Value {
		target, ok := call.Argument(0).(*goja.Object)
		if !ok {
			panic(vm.NewTypeError("bindBody: the target must be an object"))
		}
		body := body()
		keys := target.Keys()
		for k, v := range body {
			if len(keys) == 0 || slices.Contains(keys, k) {
				target.Set(k, st.toJSValue(v))
			}
		}
		return goja.Undefined()
	})
	ev.Set("requestInfo", func(goja.FunctionCall) goja.Value {
		info := vm.NewObject()
		info.Set("method", c.Method())
		info.Set("context", "default")
		info.Set("auth", auth)
		query := map[string]any{}
		for k, v := range c.Queries() {
			query[k] = v
		}
		info.Set("query", st.toJSValue(query))
		headers := map[string]any{}
		for k, v := range c.GetReqHeaders() {
			if len(v) > 0 {
				headers[strings.ReplaceAll(strings.ToLower(k), "-", "_")] = v[0]
			}
		}
		info.Set("headers", st.toJSValue(headers))
		info.Set("body", st.toJSValue(body()))
		return info
	})
}

// requestBody is the body of a request as PocketBase's requestInfo
// gives it: decoded JSON, or the form's values.
func requestBody(c *fiber.Ctx) map[string]any {
	body := map[string]any{}
	ct := string(c.Request().Header.ContentType())
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationJSON):
		var v any
		if json.Unmarshal(c.Body(), &v) == nil {
			if m, ok := v.(map[string]any); ok {
				body = m
			}
		}
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		if form, err := c.MultipartForm(); err == nil {
			for k, vs := range form.Value {
				if len(vs) == 1 {
					body[k] = vs[0]
				} else {
					body[k] = vs
				}
			}
		}
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		c.Request().PostArgs().VisitAll(func(k, v []byte) { body[string(k)] = string(v) })
	}
	return body
}

// responseFields adds the answers of a route handler: e.json, e.string,
// e.html, e.noContent and e.redirect.
func (st *vmState) responseFields(ev *goja.Object, c *fiber.Ctx) {
	ev.Set("json", func(call goja.FunctionCall) goja.Value {
		s, err := st.stringify(call.Argument(1))
		if err != nil {
			st.rethrow(err)
		}
		if s == "" {
			s = "null"
		}
		c.Status(int(call.Argument(0).ToInteger()))
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		c.Response().SetBodyString(s)
		return goja.Undefined()
	})
	text := func(mime string) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			c.Status(int(call.Argument(0).ToInteger()))
			c.Set(fiber.HeaderContentType, mime)
			c.Response().SetBodyString(call.Argument(1).String())
			return goja.Undefined()
		}
	}
	ev.Set("string", text(fiber.MIMETextPlainCharsetUTF8))
	ev.Set("html", text(fiber.MIMETextHTMLCharsetUTF8))
	ev.Set("noContent", func(call goja.FunctionCall) goja.Value {
		c.Status(int(call.Argument(0).ToInteger()))
		c.Response().ResetBody()
		return goja.Undefined()
	})
	ev.Set("redirect", func(call goja.FunctionCall) goja.Value {
		c.Set(fiber.HeaderLocation, call.Argument(1).String())
		c.Status(int(call.Argument(0).ToInteger()))
		return goja.Undefined()
	})
}
