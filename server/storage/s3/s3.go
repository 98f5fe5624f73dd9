// Package s3 is the Storage on an S3-compatible service (AWS S3, MinIO,
// Cloudflare R2, Backblaze B2, Wasabi, …), through
// github.com/minio/minio-go/v7: one small dependency tree that speaks the
// S3 protocol to every such service (path-style and virtual-host
// addressing, signature v4, multipart uploads streamed part by part, and
// seekable ranged reads), where the AWS SDK would bring a dozen modules
// and AWS-specific endpoint resolution for the same few calls.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/lumbunghq/lumbung/server/storage"
)

var _ storage.Storage = (*Storage)(nil)

// DefaultPartSize is the size of the parts of a multipart upload: the
// memory one such upload holds (S3's minimum is 5 MiB). An upload of
// unknown size may then reach 10,000 parts, about 78 GiB.
const DefaultPartSize = 8 << 20

// Config locates a bucket, as PocketBase's s3 settings do.
type Config struct {
	// Endpoint is the service's URL ("https://s3.eu-west-1.amazonaws.com")
	// or host[:port] (HTTPS is then assumed).
	Endpoint  string
	Bucket    string
	Region    string
	AccessKey string
	Secret    string
	// ForcePathStyle addresses the bucket as <endpoint>/<bucket>/<key>;
	// otherwise as <bucket>.<endpoint host>/<key> (virtual host).
	ForcePathStyle bool
	// PartSize is the part size of multipart uploads (DefaultPartSize
	// when 0).
	PartSize uint64
	// Transport carries the requests (http.DefaultTransport's settings
	// when nil).
	Transport http.RoundTripper
}

// Storage keeps objects in one bucket.
type Storage struct {
	client   *minio.Client
	bucket   string
	partSize uint64
}

// New returns the Storage of c's bucket. It does not connect: the first
// call (or storage.Probe) does.
func New(c Config) (*Storage, error) {
	host, secure, err := parseEndpoint(c.Endpoint)
	if err != nil {
		return nil, err
	}
	if c.Bucket == "" {
		return nil, errors.New("s3 storage: no bucket")
	}
	lookup := minio.BucketLookupDNS
	if c.ForcePathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(c.AccessKey, c.Secret, ""),
		Secure:       secure,
		Region:       c.Region,
		BucketLookup: lookup,
		Transport:    c.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 storage: %w", err)
	}
	ps := c.PartSize
	if ps == 0 {
		ps = DefaultPartSize
	}
	return &Storage{client: client, bucket: c.Bucket, partSize: ps}, nil
}

// parseEndpoint splits an endpoint into host[:port] and whether it is
// HTTPS.
func parseEndpoint(ep string) (host string, secure bool, err error) {
	ep = strings.TrimSpace(ep)
	if ep == "" {
		return "", false, errors.New("s3 storage: no endpoint")
	}
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || strings.Trim(u.Path, "/") != "" {
		return "", false, fmt.Errorf("s3 storage: endpoint %q is not an http(s) URL of a host", ep)
	}
	return u.Host, u.Scheme == "https", nil
}

// Put uploads r: in one request when size is known and below the part
// size, else in parts of the part size (one part held at a time). S3
// shows an object only once its upload completes.
func (s *Storage) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := storage.ValidKey(key); err != nil {
		return err
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	var n int64
	var cr io.Reader = &countReader{r: r, n: &n}
	opts := minio.PutObjectOptions{ContentType: contentType, PartSize: s.partSize}
	if size > int64(s.partSize)*10000 {
		opts.PartSize = 0 // too big for 10,000 parts of that size: let the client choose
	}
	if size == 0 {
		// An empty body would go as an aws-chunked stream of unknown
		// length, which S3 refuses: send it plainly, "Content-Length: 0".
		cr, opts.DisableContentSha256 = bytes.NewReader(nil), true
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, cr, size, opts)
	if err != nil {
		return fmt.Errorf("s3 storage: %w", err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("s3 storage: got %d bytes, want %d: %w", n, size, io.ErrUnexpectedEOF)
	}
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n *int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// object is a minio object, read lazily with a ranged GET from where
// Seek left it.
type object struct {
	*minio.Object
	info storage.Info
}

func (o *object) Info() storage.Info { return o.info }

// Open stats key, then returns its object.
func (s *Storage) Open(ctx context.Context, key string) (storage.Object, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	o, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.fail(key, err)
	}
	return &object{Object: o, info: info}, nil
}

// Stat asks the service for key's metadata (HEAD).
func (s *Storage) Stat(ctx context.Context, key string) (storage.Info, error) {
	if err := storage.ValidKey(key); err != nil {
		return storage.Info{}, err
	}
	st, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return storage.Info{}, s.fail(key, err)
	}
	return storage.Info{Key: key, Size: st.Size, ModTime: st.LastModified, ContentType: st.ContentType}, nil
}

// Delete removes key (S3 answers a missing key as a success).
func (s *Storage) Delete(ctx context.Context, key string) error {
	if err := storage.ValidKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(s.fail(key, err), storage.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("s3 storage: %w", err)
	}
	return nil
}

// List lists the bucket under prefix, page by page.
func (s *Storage) List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error] {
	return func(yield func(storage.Info, error) bool) {
		if err := storage.ValidPrefix(prefix); err != nil {
			yield(storage.Info{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for o := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if o.Err != nil {
				yield(storage.Info{}, fmt.Errorf("s3 storage: listing: %w", o.Err))
				return
			}
			if !yield(storage.Info{Key: o.Key, Size: o.Size, ModTime: o.LastModified}, nil) {
				return
			}
		}
	}
}

// fail turns the service's "no such key" into storage.ErrNotFound.
func (s *Storage) fail(key string, err error) error {
	r := minio.ToErrorResponse(err)
	if r.Code == "NoSuchKey" || (r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket") {
		return fmt.Errorf("%w: %q", storage.ErrNotFound, key)
	}
	return fmt.Errorf("s3 storage: %w", err)
}
