package settings

import (
	"net/url"
	"strings"

	"github.com/lumbunghq/lumbung/server/storage/s3"
)

// S3 are PocketBase's s3 settings: where the files of records (or, in
// backups.s3, the backups) are kept when Enabled (else under the data
// directory). The Secret is stored but never sent back.
type S3 struct {
	Enabled bool   `json:"enabled"`
	Bucket  string `json:"bucket"`
	Region  string `json:"region"`
	// Endpoint is the service's URL, such as
	// "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:9000".
	Endpoint  string `json:"endpoint"`
	AccessKey string `json:"accessKey"`
	Secret    string `json:"secret"`
	// ForcePathStyle addresses the bucket in the path (MinIO and most
	// self-hosted services) rather than in the host name.
	ForcePathStyle bool `json:"forcePathStyle"`
}

// validate trims s's text and reports what is not valid into fail, with
// PocketBase's rules: when enabled, every value is required and the
// endpoint is a URL (here: http or https, of a host, without a path).
func (s *S3) validate(prefix string, fail func(key, code, msg string)) {
	s.Bucket, s.Region = strings.TrimSpace(s.Bucket), strings.TrimSpace(s.Region)
	s.Endpoint, s.AccessKey = strings.TrimRight(strings.TrimSpace(s.Endpoint), "/"), strings.TrimSpace(s.AccessKey)
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			fail(prefix+".endpoint", "validation_is_url", `Must be an http or https URL of the service, such as "https://s3.eu-west-1.amazonaws.com".`)
		}
	}
	if len(s.Bucket) > 255 || strings.ContainsAny(s.Bucket, "/ \r\n") {
		fail(prefix+".bucket", "validation_invalid_value", "Must be a bucket name.")
	}
	if !s.Enabled {
		return
	}
	for key, v := range map[string]string{"endpoint": s.Endpoint, "bucket": s.Bucket, "region": s.Region,
		"accessKey": s.AccessKey, "secret": s.Secret} {
		if v == "" {
			fail(prefix+"."+key, "validation_required", "Cannot be blank.")
		}
	}
}

// Config returns how to reach the bucket the settings name.
func (s S3) Config() s3.Config {
	return s3.Config{Endpoint: s.Endpoint, Bucket: s.Bucket, Region: s.Region,
		AccessKey: s.AccessKey, Secret: s.Secret, ForcePathStyle: s.ForcePathStyle}
}
