package api

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

func (h *handlers) openapiRoutes() []Route {
	return []Route{
		{"GET", "/openapi.json", Public, h.openapi, "Return this API's OpenAPI 3.1 document, as the caller's access shapes it."},
	}
}

// OpenAPIVersion is the version of the OpenAPI specification the
// document of GET /api/openapi.json follows.
const OpenAPIVersion = "3.1.0"

// openapi answers the OpenAPI document of the route table and of the
// collections the caller may list or view, with the fields it may read.
// A superuser gets every collection and field (hidden ones included).
func (h *handlers) openapi(c *fiber.Ctx) error {
	id := identity(c)
	caller := auth.CallerFor(id, h.Decider)
	d := &openapiDoc{
		caller:    caller,
		recs:      h.Collections.RecordsAs(caller),
		superuser: id.Superuser(),
		paths:     obj{},
		schemas:   obj{},
		opIDs:     map[string]bool{},
	}
	title := "Lumbung"
	if name := h.Settings.Effective(c.UserContext()).Meta.AppName; name != "" {
		title = name
	}
	return c.JSON(d.build(title, h.routes, h.Collections.Collections()))
}

// obj is a JSON object of the document.
type obj = map[string]any

// openapiDoc builds one OpenAPI document for one caller.
type openapiDoc struct {
	caller    collections.Caller
	recs      *collections.Records
	superuser bool

	paths   obj
	schemas obj
	opIDs   map[string]bool
	// described are the collections given concrete paths, by id.
	described map[string]*collections.Collection
}

func (d *openapiDoc) build(title string, routes []Route, cols []*collections.Collection) obj {
	d.described = map[string]*collections.Collection{}
	slices.SortFunc(cols, func(a, b *collections.Collection) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range cols {
		if d.superuser || d.caller.Access(c, collections.ActionList).Allowed || d.caller.Access(c, collections.ActionView).Allowed {
			d.described[c.ID] = c
		}
	}
	d.genericSchemas()
	for _, r := range routes {
		path, params := openapiPath(r.Path)
		op := d.operation(r, r.Summary, routeTag(r.Path), params)
		if shape, ok := collectionShapes[collectionSuffix(r)]; ok {
			shape.apply(op, genericRefs)
		}
		d.add(path, r.Method, op)
	}
	var tags []any
	for _, c := range cols {
		if d.described[c.ID] == nil {
			continue
		}
		refs := d.collectionSchemas(c)
		tags = append(tags, obj{"name": c.Name, "description": "The records of the " + c.Type + " collection " + c.Name + "."})
		for _, r := range routes {
			shape, ok := collectionShapes[collectionSuffix(r)]
			if !ok || !shape.applies(d, r, c) {
				continue
			}
			path, params := openapiPath(strings.Replace(r.Path, ":collection", c.Name, 1))
			op := d.operation(r, r.Summary, c.Name, params)
			shape.apply(op, refs)
			d.add(path, r.Method, op)
		}
	}
	doc := obj{
		"openapi": OpenAPIVersion,
		"info": obj{
			"title":   title + " API",
			"version": "1.0.0",
			"description": "The HTTP API of this server, generated from its routes and its live schema. " +
				"The record schemas are those the caller's access lets it read.",
		},
		"paths": d.paths,
		"components": obj{
			"schemas":         d.schemas,
			"parameters":      listParameters(),
			"responses":       obj{"Error": obj{"description": "An error.", "content": jsonContent(ref("Error"))}},
			"securitySchemes": securitySchemes(),
		},
	}
	if len(tags) > 0 {
		doc["tags"] = tags
	}
	return doc
}

// add puts op at method and path, unless the route table already has one.
func (d *openapiDoc) add(path, method string, op obj) {
	item, _ := d.paths[path].(obj)
	if item == nil {
		item = obj{}
		d.paths[path] = item
	}
	m := strings.ToLower(method)
	if _, dup := item[m]; dup {
		return
	}
	op["operationId"] = d.operationID(m, path)
	item[m] = op
}

// operation is the part of an operation every route has: its summary,
// tag, path parameters, security and error answers.
func (d *openapiDoc) operation(r Route, summary, tag string, params []string) obj {
	op := obj{"summary": summary, "tags": []any{tag}, "security": security(r.Access)}
	var ps []any
	for _, p := range params {
		ps = append(ps, obj{"name": p, "in": "path", "required": true, "schema": obj{"type": "string"}})
	}
	if len(ps) > 0 {
		op["parameters"] = ps
	}
	responses := obj{"default": errorRef}
	switch r.Access {
	case Authenticated:
		responses["401"] = errorRef
	case Superusers:
		responses["401"], responses["403"] = errorRef, errorRef
	}
	if _, shaped := collectionShapes[collectionSuffix(r)]; !shaped {
		responses["2XX"] = obj{"description": "Success."}
	}
	op["responses"] = responses
	return op
}

var errorRef = obj{"$ref": "#/components/responses/Error"}

// operationID names an operation after its method and path, uniquely.
func (d *openapiDoc) operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(method)
	for _, seg := range strings.Split(path, "/") {
		if p, ok := strings.CutPrefix(seg, "{"); ok {
			b.WriteString("By")
			seg = strings.TrimSuffix(p, "}")
		}
		for _, word := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(word[:1]) + word[1:])
		}
	}
	id := b.String()
	for n := 2; d.opIDs[id]; n++ {
		id = b.String() + strconv.Itoa(n)
	}
	d.opIDs[id] = true
	return id
}

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)|\*|\+`)

// openapiPath turns a route's Fiber pattern into an OpenAPI path under
// /api ("/things/:id" is "/api/things/{id}") and returns its parameters.
func openapiPath(p string) (string, []string) {
	var params []string
	out := fiberParam.ReplaceAllStringFunc(p, func(m string) string {
		name := strings.TrimPrefix(m, ":")
		if m == "*" || m == "+" {
			name = "wildcard"
			if n := len(params); n > 0 {
				name += strconv.Itoa(n + 1)
			}
		}
		params = append(params, name)
		return "{" + name + "}"
	})
	return "/api" + out, params
}

// routeTag groups a route by the first segment of its path.
func routeTag(p string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if seg == "" || strings.HasPrefix(seg, ":") {
		return "api"
	}
	return seg
}

// security is who may call a route of that access: PocketBase takes a
// token as the whole Authorization header.
func security(a Access) []any {
	switch a {
	case Authenticated:
		return []any{obj{"recordToken": []any{}}}
	case Superusers:
		return []any{obj{"superuserToken": []any{}}}
	}
	return []any{obj{}, obj{"recordToken": []any{}}}
}

func securitySchemes() obj {
	const how = ` Sent as the whole Authorization header, without a "Bearer " prefix, as the PocketBase SDK sends it ("Bearer <token>" is accepted too).`
	return obj{
		"recordToken": obj{"type": "apiKey", "in": "header", "name": "Authorization",
			"description": "The token of a signed-in auth record (a superuser's too), as the sign-in routes return it." + how},
		"superuserToken": obj{"type": "apiKey", "in": "header", "name": "Authorization",
			"description": "The token of a _superusers record." + how},
	}
}

func listParameters() obj {
	q := func(name, typ, desc string) obj {
		return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": obj{"type": typ}}
	}
	page := q("page", "integer", "The page to return, from 1 (default 1).")
	page["schema"] = obj{"type": "integer", "minimum": 1, "default": 1}
	perPage := q("perPage", "integer", "Records per page (default 30; more than 1000 returns 1000).")
	perPage["schema"] = obj{"type": "integer", "minimum": 1, "default": 30}
	return obj{
		"page":      page,
		"perPage":   perPage,
		"sort":      q("sort", "string", `Fields to sort by, comma-separated; "-" before a field sorts descending ("-created,title"), "@random" shuffles.`),
		"filter":    q("filter", "string", `A filter expression, such as "status = 'live' && views > 10".`),
		"expand":    q("expand", "string", `Relations to expand into "expand", comma-separated and dotted for nested ones ("author,comments_via_post.user"), 6 levels at most.`),
		"fields":    q("fields", "string", `The fields to return, comma-separated ("*" for all, "expand.author.name" for nested ones, "body:excerpt(200,true)" for an excerpt).`),
		"skipTotal": q("skipTotal", "boolean", "Skip counting: totalItems and totalPages are -1, and the list is faster."),
	}
}

func ref(schema string) obj { return obj{"$ref": "#/components/schemas/" + schema} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func paramRefs(names ...string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = obj{"$ref": "#/components/parameters/" + n}
	}
	return out
}

// genericSchemas are the schemas of routes that take any collection: a
// record of any collection, lists of them, sign-ins and errors.
func (d *openapiDoc) genericSchemas() {
	fieldErr := obj{"type": "object", "required": []any{"code", "message"}, "properties": obj{
		"code": obj{"type": "string", "examples": []any{"validation_required"}}, "message": obj{"type": "string"}}}
	d.schemas["Error"] = obj{
		"type": "object", "required": []any{"status", "message", "data"},
		"description": "Every error: the HTTP status, a message safe to show, and the fields at fault (an empty object when none).",
		"properties": obj{
			"status":  obj{"type": "integer"},
			"message": obj{"type": "string"},
			"data":    obj{"type": "object", "additionalProperties": fieldErr},
		},
	}
	d.schemas["Record"] = obj{
		"type": "object", "required": []any{"id", "collectionId", "collectionName"},
		"description": "A record of any collection: its fields by name.",
		"properties": obj{
			"id": obj{"type": "string"}, "collectionId": obj{"type": "string"}, "collectionName": obj{"type": "string"},
			"expand": expandedSchema(nil),
		},
		"additionalProperties": true,
	}
	d.schemas["RecordInput"] = obj{"type": "object", "description": "A record's fields by name, as JSON or multipart/form-data (for files).", "additionalProperties": true}
	d.schemas["RecordList"] = listSchema(ref("Record"))
	d.schemas["AuthResponse"] = authSchema(ref("Record"))
	d.schemas["AuthMethods"] = obj{"type": "object", "required": []any{"password", "oauth2", "mfa", "otp"}, "properties": obj{
		"password": obj{"type": "object", "properties": obj{"enabled": obj{"type": "boolean"}, "identityFields": obj{"type": "array", "items": obj{"type": "string"}}}},
		"oauth2": obj{"type": "object", "properties": obj{"enabled": obj{"type": "boolean"}, "providers": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"name": obj{"type": "string"}, "displayName": obj{"type": "string"}, "state": obj{"type": "string"}, "authURL": obj{"type": "string"},
			"codeVerifier": obj{"type": "string"}, "codeChallenge": obj{"type": "string"}, "codeChallengeMethod": obj{"type": "string"}}}}}},
		"mfa": obj{"type": "object", "properties": obj{"enabled": obj{"type": "boolean"}, "duration": obj{"type": "integer"}}},
		"otp": obj{"type": "object", "properties": obj{"enabled": obj{"type": "boolean"}, "duration": obj{"type": "integer"}}},
		"authProviders": obj{"type": []any{"array", "null"}, "items": obj{"type": "object", "additionalProperties": true},
			"description": "PocketBase 0.22's list of the OAuth2 providers (null while OAuth2 is off)."},
		"usernamePassword": obj{"type": "boolean", "description": "PocketBase 0.22's: sign-in with a username and a password."},
		"emailPassword":    obj{"type": "boolean", "description": "PocketBase 0.22's: sign-in with an email and a password."},
	}}
}

// expandedSchema is a record's "expand": the related records by relation
// (or back-relation) name, known ones in props.
func expandedSchema(props obj) obj {
	s := obj{"type": "object", "description": "The related records the expand parameter asked for, by relation (or back-relation) name.",
		"additionalProperties": obj{"anyOf": []any{ref("Record"), obj{"type": "array", "items": ref("Record")}}}}
	if len(props) > 0 {
		s["properties"] = props
	}
	return s
}

func listSchema(item obj) obj {
	n := func(desc string) obj { return obj{"type": "integer", "description": desc} }
	return obj{
		"type": "object", "required": []any{"page", "perPage", "totalItems", "totalPages", "items"},
		"properties": obj{
			"page": n("The page returned, from 1."), "perPage": n("Records per page."),
			"totalItems": n("Records matching, all pages together (-1 with skipTotal)."),
			"totalPages": n("Pages (-1 with skipTotal)."),
			"items":      obj{"type": "array", "items": item},
		},
	}
}

func authSchema(record obj) obj {
	return obj{
		"type": "object", "required": []any{"token", "record"},
		"properties": obj{
			"token":  obj{"type": "string", "description": "The record's token: send it as the Authorization header."},
			"record": record,
			"meta":   obj{"type": "object", "description": "What the OAuth2 provider said of the user (OAuth2 sign-ins only).", "additionalProperties": true},
		},
	}
}
