package api_test

import (
	"strings"
	"testing"
)

func TestBatchSettings(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustBlog(t, e)
	one := `{"requests": [{"method": "POST", "url": "/api/collections/authors/records", "body": {"name": "b1"}}]}`
	three := `{"requests": [` + strings.Repeat(`{"method": "POST", "url": "/api/collections/authors/records", "body": {"name": "x"}},`, 2) +
		`{"method": "POST", "url": "/api/collections/authors/records", "body": {"name": "x3"}}]}`
	e.Run(t, []scenario{
		{Name: "defaults", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"batch":{"enabled":true,"maxRequests":50,"timeout":3,"maxBodySize":0}`}},
		{Name: "enabled needs maxRequests and timeout", Method: "PATCH", URL: "/api/settings",
			Body: `{"batch": {"enabled": true, "maxRequests": 0, "timeout": 0, "maxBodySize": -1}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"maxRequests":{"code":"validation_required"`, `"timeout":{"code":"validation_required"`,
				`"maxBodySize":{"code":"validation_min_greater_equal_than_required"`}},
		{Name: "limit to two", Method: "PATCH", URL: "/api/settings",
			Body: `{"batch": {"maxRequests": 2, "maxBodySize": 200}}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"batch":{"enabled":true,"maxRequests":2,"timeout":3,"maxBodySize":200}`}},
		{Name: "within the limits", Method: "POST", URL: "/api/batch", Body: one, ExpectedStatus: 200},
		{Name: "too many requests", Method: "POST", URL: "/api/batch", Body: `{"requests": [{}, {}, {}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"message":"Invalid batch request data."`,
				`"requests":{"code":"validation_length_too_long","message":"The length must be between 0 and 2."}`}},
		{Name: "body too large", Method: "POST", URL: "/api/batch", Body: three, ExpectedStatus: 413,
			ExpectedContent: []string{`"message":"Request entity too large"`}},
		{Name: "disable", Method: "PATCH", URL: "/api/settings", Body: `{"batch": {"enabled": false}}`, ExpectedStatus: 200},
		{Name: "disabled", Method: "POST", URL: "/api/batch", Body: one, ExpectedStatus: 403,
			ExpectedContent: []string{`"message":"Batch requests are not allowed."`}},
	})
}
