package settings_test

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

func TestS3Validate(t *testing.T) {
	t.Parallel()
	full := settings.S3{Enabled: true, Bucket: "files", Region: "us-east-1", Endpoint: "https://s3.example.com/",
		AccessKey: "key", Secret: "secret", ForcePathStyle: true}
	for _, tc := range []struct {
		name string
		s3   settings.S3
		want []string
	}{
		{"disabled and empty", settings.S3{}, nil},
		{"enabled and complete", full, nil},
		{"enabled and empty", settings.S3{Enabled: true}, []string{"s3.accessKey", "s3.bucket", "s3.endpoint", "s3.region", "s3.secret"}},
		{"endpoint not a URL", func() settings.S3 { s := full; s.Endpoint = "s3 example"; return s }(), []string{"s3.endpoint"}},
		{"endpoint with a path", func() settings.S3 { s := full; s.Endpoint = "https://s3.example.com/files"; return s }(), []string{"s3.endpoint"}},
		{"endpoint of another scheme", func() settings.S3 { s := full; s.Endpoint = "ftp://s3.example.com"; return s }(), []string{"s3.endpoint"}},
		{"bucket with a slash", func() settings.S3 { s := full; s.Bucket = "a/b"; return s }(), []string{"s3.bucket"}},
		{"disabled keeps checking what is set", settings.S3{Endpoint: "nope"}, []string{"s3.endpoint"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := settings.Defaults("")
			s.S3 = tc.s3
			err := s.Validate()
			var got []string
			var ce *collections.Error
			if errors.As(err, &ce) {
				got = slices.Sorted(maps.Keys(ce.Data))
			} else if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("invalid %v, want %v", got, tc.want)
			}
		})
	}
	s := settings.Defaults("")
	s.S3 = full
	if err := s.Validate(); err != nil || s.S3.Endpoint != "https://s3.example.com" {
		t.Fatalf("normalized endpoint %q: %v", s.S3.Endpoint, err)
	}
}
