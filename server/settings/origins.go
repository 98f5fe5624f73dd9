package settings

import (
	"fmt"
	"regexp"
	"strings"
)

// CORS are the origins whose web pages may call the API from a browser,
// as PocketBase's --origins flag sets them.
type CORS struct {
	// Origins are "*" (any origin, the default), origins such as
	// "https://app.example.com" or patterns in which * stands for any
	// run of host or port characters and ? for one of them
	// ("https://*.example.com", "http://localhost:*").
	Origins []string `json:"origins"`
}

// Origins are parsed allowed origins.
type Origins struct {
	any      bool
	exact    map[string]bool
	patterns []*regexp.Regexp
}

// AnyOrigin allows every origin.
var AnyOrigin = &Origins{any: true}

var originRe = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[a-z0-9.*?\[\]:_-]+$`)

// ParseOrigins parses allowed origins; the error names the first entry
// that is not "*", an origin or an origin pattern.
func ParseOrigins(list []string) (*Origins, error) {
	o := &Origins{exact: map[string]bool{}}
	for _, entry := range list {
		e := strings.ToLower(strings.TrimSpace(entry))
		switch {
		case e == "*":
			o.any = true
		case strings.Count(e, "/") > 2 || strings.HasSuffix(e, "/"):
			return nil, fmt.Errorf("%q: an origin is a scheme and a host, with no path (such as https://app.example.com)", entry)
		case !originRe.MatchString(e):
			return nil, fmt.Errorf("%q is not an origin such as https://app.example.com", entry)
		case strings.ContainsAny(e, "*?"):
			// * and ? stand for host and port characters only, so that a
			// pattern for subdomains cannot match another site.
			p := regexp.QuoteMeta(e)
			p = strings.ReplaceAll(p, `\*`, `[a-z0-9.:_-]*`)
			p = strings.ReplaceAll(p, `\?`, `[a-z0-9.:_-]`)
			o.patterns = append(o.patterns, regexp.MustCompile("^"+p+"$"))
		default:
			o.exact[e] = true
		}
	}
	return o, nil
}

// Allow returns the Access-Control-Allow-Origin for a request from
// origin: "*" when every origin is allowed, origin when it is one of o,
// or "" when it is not allowed (always, for a nil o).
func (o *Origins) Allow(origin string) string {
	if o == nil {
		return ""
	}
	if o.any {
		return "*"
	}
	// Browsers send origins in lower case; the bound keeps the patterns
	// from running over long made-up values.
	if len(origin) > 300 {
		return ""
	}
	if o.exact[origin] {
		return origin
	}
	for _, p := range o.patterns {
		if p.MatchString(origin) {
			return origin
		}
	}
	return ""
}
