package collections

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strings"
)

// The collection JSON of PocketBase before 0.23 ("schema" instead of
// "fields", each field's options nested under "options", and a
// collection-level "options" object) is converted to the current form
// when decoded, the way PocketBase's own 0.23 migration converts stored
// collections: auth collections get the system fields, the username
// field and the indexes they had implicitly, rules that read
// @request.data read @request.body, a view's options.query is its
// viewQuery.

// legacyForm reports whether a collection's JSON object is in the old
// form: it has "schema" and no "fields".
func legacyForm(m map[string]json.RawMessage) bool {
	_, schema := m["schema"]
	_, fields := m["fields"]
	return schema && !fields
}

// upgradeLegacy converts a collection JSON object of the old form to the
// current one.
func upgradeLegacy(m map[string]json.RawMessage) (json.RawMessage, error) {
	var old struct {
		ID         string           `json:"id"`
		Name       string           `json:"name"`
		Type       string           `json:"type"`
		System     bool             `json:"system"`
		Schema     []map[string]any `json:"schema"`
		Indexes    []string         `json:"indexes"`
		ListRule   *string          `json:"listRule"`
		ViewRule   *string          `json:"viewRule"`
		CreateRule *string          `json:"createRule"`
		UpdateRule *string          `json:"updateRule"`
		DeleteRule *string          `json:"deleteRule"`
		Options    map[string]any   `json:"options"`
	}
	raw, _ := json.Marshal(m)
	if err := json.Unmarshal(raw, &old); err != nil {
		return nil, Invalid("Failed to read the collection.", map[string]FieldError{
			"schema": {Code: "validation_invalid_value", Message: "Invalid collection of the pre-0.23 form: " + jsonProblem(err) + "."}})
	}
	out := map[string]any{
		"id": old.ID, "name": old.Name, "type": old.Type, "system": old.System,
		"listRule": legacyRule(old.ListRule), "viewRule": legacyRule(old.ViewRule), "createRule": legacyRule(old.CreateRule),
		"updateRule": legacyRule(old.UpdateRule), "deleteRule": legacyRule(old.DeleteRule),
	}
	indexes := append([]string(nil), old.Indexes...)
	var fields []any
	if old.Type != TypeView {
		fields = append(fields, map[string]any{"id": legacyFieldID("text", "id"), "type": "text", "name": "id", "system": true,
			"required": true, "primaryKey": true, "min": 15, "max": 15, "pattern": defaultIDFormat, "autogeneratePattern": defaultIDPattern})
	}
	opts := old.Options
	switch old.Type {
	case TypeAuth:
		fields = append(fields, legacyAuthFields(opts)...)
		indexes = append([]string{
			fmt.Sprintf("CREATE UNIQUE INDEX `_%s_username_idx` ON `%s` (username COLLATE NOCASE)", old.ID, old.Name),
			fmt.Sprintf("CREATE UNIQUE INDEX `_%s_email_idx` ON `%s` (`email`) WHERE `email` != ''", old.ID, old.Name),
			fmt.Sprintf("CREATE UNIQUE INDEX `_%s_tokenKey_idx` ON `%s` (`tokenKey`)", old.ID, old.Name),
		}, indexes...)
		authRule := ""
		if b, _ := opts["onlyVerified"].(bool); b {
			authRule = "verified=true"
		}
		out["authRule"] = authRule
		out["manageRule"] = nil
		if r, ok := opts["manageRule"].(string); ok && r != "" {
			out["manageRule"] = legacyRule(&r)
		}
		var identity []string
		if b, _ := opts["allowEmailAuth"].(bool); b {
			identity = append(identity, "email")
		}
		if b, _ := opts["allowUsernameAuth"].(bool); b {
			identity = append(identity, "username")
		}
		out["passwordAuth"] = map[string]any{"enabled": len(identity) > 0, "identityFields": append([]string{}, identity...)}
		// The OAuth2 providers were application settings, not part of
		// the collection: none come along, so OAuth2 starts disabled.
		out["oauth2"] = map[string]any{"enabled": false, "mappedFields": map[string]any{"username": "username"}}
	case TypeView:
		q, _ := opts["query"].(string)
		out["viewQuery"] = q
	}
	for _, f := range old.Schema {
		fields = append(fields, legacyField(f))
	}
	if old.Type != TypeView {
		fields = append(fields,
			map[string]any{"id": legacyFieldID("autodate", "created"), "type": "autodate", "name": "created", "onCreate": true},
			map[string]any{"id": legacyFieldID("autodate", "updated"), "type": "autodate", "name": "updated", "onCreate": true, "onUpdate": true})
	}
	out["fields"] = fields
	out["indexes"] = indexes
	return json.Marshal(out)
}

// legacyAuthFields are the system fields (and username) an auth collection
// of the old form had without listing them.
func legacyAuthFields(opts map[string]any) []any {
	minPassword := 0
	if n, ok := opts["minPasswordLength"].(float64); ok {
		minPassword = int(n)
	}
	requireEmail, _ := opts["requireEmail"].(bool)
	return []any{
		map[string]any{"id": legacyFieldID("password", "password"), "type": "password", "name": "password", "system": true, "hidden": true, "required": true, "min": minPassword},
		map[string]any{"id": legacyFieldID("text", "tokenKey"), "type": "text", "name": "tokenKey", "system": true, "hidden": true, "required": true,
			"min": 30, "max": 60, "autogeneratePattern": "[a-zA-Z0-9_]{50}"},
		map[string]any{"id": legacyFieldID("email", "email"), "type": "email", "name": "email", "system": true, "required": requireEmail,
			"exceptDomains": stringList(opts["exceptEmailDomains"]), "onlyDomains": stringList(opts["onlyEmailDomains"])},
		map[string]any{"id": legacyFieldID("bool", "emailVisibility"), "type": "bool", "name": "emailVisibility", "system": true},
		map[string]any{"id": legacyFieldID("bool", "verified"), "type": "bool", "name": "verified", "system": true},
		map[string]any{"id": legacyFieldID("text", "username"), "type": "text", "name": "username", "required": true,
			"min": 3, "max": 150, "pattern": `^[\w][\w\.\-]*$`, "autogeneratePattern": "users[0-9]{6}"},
	}
}

// legacyField converts one field of the old form: the options move to
// the top level under their current names.
func legacyField(f map[string]any) map[string]any {
	o, _ := f["options"].(map[string]any)
	if o == nil {
		o = map[string]any{}
	}
	typ, _ := f["type"].(string)
	out := map[string]any{}
	for _, k := range []string{"id", "name", "type", "system", "required", "presentable", "hidden"} {
		if v, ok := f[k]; ok {
			out[k] = v
		}
	}
	copyOpt := func(from, to string) {
		if v, ok := o[from]; ok && v != nil {
			out[to] = v
		}
	}
	switch typ {
	case "number":
		copyOpt("noDecimal", "onlyInt")
		copyOpt("min", "min")
		copyOpt("max", "max")
	case "text":
		copyOpt("min", "min")
		copyOpt("max", "max")
		copyOpt("pattern", "pattern")
		copyOpt("autogeneratePattern", "autogeneratePattern")
	case "email", "url":
		copyOpt("exceptDomains", "exceptDomains")
		copyOpt("onlyDomains", "onlyDomains")
	case "editor":
		copyOpt("convertUrls", "convertURLs")
	case "date":
		copyOpt("min", "min")
		copyOpt("max", "max")
	case "select":
		copyOpt("values", "values")
		copyOpt("maxSelect", "maxSelect")
	case "json":
		copyOpt("maxSize", "maxSize")
	case "relation":
		copyOpt("collectionId", "collectionId")
		copyOpt("cascadeDelete", "cascadeDelete")
		copyOpt("minSelect", "minSelect")
		// No maxSelect meant any number.
		if n, ok := o["maxSelect"].(float64); ok && n > 0 {
			out["maxSelect"] = n
		} else {
			out["maxSelect"] = 2147483647
		}
	case "file":
		for _, k := range []string{"maxSelect", "maxSize", "mimeTypes", "thumbs", "protected"} {
			copyOpt(k, k)
		}
	default:
		for k, v := range o {
			out[k] = v
		}
	}
	return out
}

// legacyRule rewrites @request.data, the old name of @request.body.
func legacyRule(r *string) *string {
	if r == nil {
		return nil
	}
	s := strings.ReplaceAll(*r, "@request.data", "@request.body")
	return &s
}

// legacyFieldID is the id PocketBase gives the fields it adds when it
// converts an old collection: the type and a checksum of type and name.
func legacyFieldID(typ, name string) string {
	return fmt.Sprintf("%s%d", typ, crc32.ChecksumIEEE([]byte(typ+name)))
}

func stringList(v any) []string {
	out := []string{}
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
