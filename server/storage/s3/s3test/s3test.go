// Package s3test runs an S3-protocol server (github.com/johannesboyne/gofakes3,
// in memory) on 127.0.0.1 for tests, and gives the s3.Config that reaches
// one of its buckets.
package s3test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lumbunghq/lumbung/server/storage/s3"
)

// Host is the endpoint host name the server answers as; a bucket is
// reached as <bucket>.Host in virtual-host style. The Config's Transport
// dials the server for any host.
const Host = "s3.test"

// Server is a running fake S3 service.
type Server struct {
	// URL is the server's address, http://127.0.0.1:<port>.
	URL     string
	port    string
	backend *s3mem.Backend
}

// MustServer starts a server, closed when tb ends.
func MustServer(tb testing.TB) *Server {
	tb.Helper()
	backend := s3mem.New()
	ts := httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	faker := gofakes3.New(backend, gofakes3.WithHostBucketBase(Host+":"+port), gofakes3.WithoutVersioning())
	ts.Config.Handler = dechunkParts(faker.Server())
	ts.Start()
	tb.Cleanup(ts.Close)
	return &Server{URL: ts.URL, port: port, backend: backend}
}

// dechunkParts decodes the aws-chunked bodies of multipart upload parts
// (signature v4 streaming, which clients send over plain HTTP), which
// gofakes3 decodes only for whole-object PUTs.
func dechunkParts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Content-Sha256") == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" && r.URL.Query().Has("partNumber") {
			var n int64
			if _, err := fmt.Sscan(r.Header.Get("X-Amz-Decoded-Content-Length"), &n); err != nil {
				http.Error(w, "bad decoded length", http.StatusBadRequest)
				return
			}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.LimitReader(&chunkReader{br: bufio.NewReader(r.Body)}, n), r.Body}
			r.ContentLength = n
			r.Header.Set("Content-Length", fmt.Sprint(n))
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		}
		next.ServeHTTP(w, r)
	})
}

// chunkReader reads the data of "<hex size>;chunk-signature=…\r\n<data>\r\n"
// chunks.
type chunkReader struct {
	br   *bufio.Reader
	left int64
	done bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue // the CRLF after a chunk's data
		}
		size, _, _ := strings.Cut(line, ";")
		if _, err := fmt.Sscanf(size, "%x", &c.left); err != nil {
			return 0, fmt.Errorf("chunk header %q: %w", line, err)
		}
		c.done = c.left == 0
	}
	n, err := c.br.Read(p[:min(int64(len(p)), c.left)])
	c.left -= int64(n)
	return n, err
}

// MustBucket creates a bucket and returns a Config reaching it at
// http://Host:<port> (path-style when pathStyle, else virtual-host).
func (s *Server) MustBucket(tb testing.TB, bucket string, pathStyle bool) s3.Config {
	tb.Helper()
	if err := s.backend.CreateBucket(bucket); err != nil {
		tb.Fatalf("create bucket %s: %v", bucket, err)
	}
	return s.Config(bucket, pathStyle)
}

// Config returns a Config for bucket, which may not exist.
func (s *Server) Config(bucket string, pathStyle bool) s3.Config {
	return s3.Config{
		Endpoint: "http://" + Host + ":" + s.port, Bucket: bucket, Region: "us-east-1",
		AccessKey: "test-access-key", Secret: "test-secret-key", ForcePathStyle: pathStyle,
		Transport: s.Transport(),
	}
}

// Transport dials the server whatever host a request names.
func (s *Server) Transport() http.RoundTripper {
	addr := "127.0.0.1:" + s.port
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
	}
}
