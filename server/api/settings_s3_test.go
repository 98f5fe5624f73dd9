package api_test

import (
	"fmt"
	"testing"

	"github.com/lumbunghq/lumbung/server/storage/s3"
	"github.com/lumbunghq/lumbung/server/storage/s3/s3test"
)

func TestSettingsS3(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	userToken := MustSignIn(t, e.env, "users", "ada@example.com", "ada password")
	srv := s3test.MustServer(t)
	srv.MustBucket(t, "files", true)
	const secret = "s3-s3cret-value"
	const test = `{"filesystem": "storage"}`
	e.Run(t, []scenario{
		{Name: "guest", Method: "POST", URL: "/api/settings/test/s3", Token: "-", Body: test, ExpectedStatus: 401},
		{Name: "user", Method: "POST", URL: "/api/settings/test/s3", Token: userToken, Body: test, ExpectedStatus: 403},
		{Name: "off by default", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"s3":{"enabled":false,"bucket":"","region":"","endpoint":"","accessKey":"","secretSet":false,"forcePathStyle":false}`}},
		{Name: "test while off", Method: "POST", URL: "/api/settings/test/s3", Body: test, ExpectedStatus: 400,
			ExpectedContent: []string{`S3 storage is not enabled`}},
		{Name: "enabled without values", Method: "PATCH", URL: "/api/settings", Body: `{"s3": {"enabled": true, "endpoint": "not a url"}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"s3":{`, `"bucket":{"code":"validation_required"`, `"region":{"code":"validation_required"`,
				`"accessKey":{"code":"validation_required"`, `"secret":{"code":"validation_required"`, `"endpoint":{"code":"validation_is_url"`}},
		{Name: "saved", Method: "PATCH", URL: "/api/settings", Body: fmt.Sprintf(`{"s3": {"enabled": true, "bucket": "files", "region": "us-east-1",
			"endpoint": %q, "accessKey": "access", "secret": %q, "forcePathStyle": true}}`, srv.URL, secret),
			ExpectedStatus: 200, ExpectedContent: []string{`"secretSet":true`, `"bucket":"files"`, `"forcePathStyle":true`}, NotExpected: []string{secret, `"secret":`}},
		{Name: "never read back", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"secretSet":true`}, NotExpected: []string{secret, `"secret":`}},
		{Name: "test passes", Method: "POST", URL: "/api/settings/test/s3", Body: test, ExpectedStatus: 204},
		{Name: "unknown filesystem", Method: "POST", URL: "/api/settings/test/s3", Body: `{"filesystem": "nope"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"filesystem":{"code":"validation_in_invalid"`}},
		{Name: "a form sent back keeps the secret", Method: "PATCH", URL: "/api/settings", Body: `{"s3": {"secret": "", "bucket": "missing"}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"secretSet":true`, `"bucket":"missing"`}},
		{Name: "test fails with the reason, not the secret", Method: "POST", URL: "/api/settings/test/s3", Body: test, ExpectedStatus: 400,
			ExpectedContent: []string{`"status":400`, `Failed to test the S3 filesystem: failed to upload a test file`, `bucket does not exist`}, NotExpected: []string{secret}},
		{Name: "null clears the secret", Method: "PATCH", URL: "/api/settings", Body: `{"s3": {"secret": null, "enabled": false}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"secretSet":false`}},
	})
	// The passing test left nothing in the bucket.
	c := srv.Config("files", true)
	s, err := s3.New(c)
	if err != nil {
		t.Fatal(err)
	}
	for info, err := range s.List(t.Context(), "") {
		t.Fatalf("left in the bucket: %+v %v", info, err)
	}
}
