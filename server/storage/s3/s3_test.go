package s3_test

import (
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/s3"
	"github.com/lumbunghq/lumbung/server/storage/s3/s3test"
	"github.com/lumbunghq/lumbung/server/storage/storagetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	srv := s3test.MustServer(t)
	for _, style := range []struct {
		name      string
		pathStyle bool
	}{{"path-style", true}, {"virtual-host", false}} {
		t.Run(style.name, func(t *testing.T) {
			n := 0
			storagetest.Run(t, func(t *testing.T) storage.Storage {
				n++
				c := srv.MustBucket(t, style.name+"-"+strings.Repeat("b", n), style.pathStyle)
				c.PartSize = 5 << 20 // S3's smallest: the big objects go in parts
				s, err := s3.New(c)
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	srv := s3test.MustServer(t)
	s, err := s3.New(srv.MustBucket(t, "probe", true))
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.Probe(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	for _, err := range s.List(t.Context(), "") {
		t.Fatalf("the probe left an object behind (%v)", err)
	}
	missing, err := s3.New(srv.Config("no-such-bucket", true))
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.Probe(t.Context(), missing); err == nil || !strings.Contains(err.Error(), "failed to upload a test file") {
		t.Fatalf("probe of a missing bucket: %v", err)
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	for ep, ok := range map[string]bool{
		"https://s3.eu-west-1.amazonaws.com": true, "s3.example.com": true, "http://127.0.0.1:9000": true,
		"http://127.0.0.1:9000/": true, "": false, "ftp://x": false, "http://x/bucket": false, "http://": false,
	} {
		_, err := s3.New(s3.Config{Endpoint: ep, Bucket: "b", Region: "r"})
		if (err == nil) != ok {
			t.Errorf("endpoint %q: %v", ep, err)
		}
	}
}
