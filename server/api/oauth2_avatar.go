package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"time"

	"github.com/gabriel-vasile/mimetype"

	"github.com/lumbunghq/lumbung/collections"
)

// avatarTimeout bounds the download of an OAuth2 avatar, as PocketBase's.
const avatarTimeout = 10 * time.Second

// downloadAvatar fetches the image an OAuth2 provider gives as the user's
// avatar into a temporary file, as an upload for the file field f (its
// size limit bounds the download). The request goes through the egress
// guard: a provider's answer cannot make the server reach its own network.
// The caller removes the file (remove) once the record is written.
func (h *handlers) downloadAvatar(ctx context.Context, url string, f *collections.Field) (u *collections.Upload, remove func(), err error) {
	if h.Egress == nil {
		return nil, nil, errors.New("no egress client")
	}
	limit := f.Options.(*collections.FileOptions).SizeLimit()
	ctx, cancel := context.WithTimeout(ctx, avatarTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	res, err := h.Egress.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, nil, fmt.Errorf("%s answered %d", url, res.StatusCode)
	}
	dir := h.UploadDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	tmp, err := os.CreateTemp(dir, "upload-avatar-*")
	if err != nil {
		return nil, nil, err
	}
	head := &headBuffer{max: 3072}
	size, err := io.Copy(tmp, io.TeeReader(io.LimitReader(res.Body, limit+1), head))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && size > limit {
		err = fmt.Errorf("the avatar is larger than %d bytes", limit)
	}
	p := tmp.Name()
	if err != nil {
		os.Remove(p)
		return nil, nil, err
	}
	kind := mimetype.Detect(head.b)
	name := path.Base(req.URL.Path)
	return &collections.Upload{Name: collections.StoredName(name, kind.Extension()), OriginalName: name, Size: size, ContentType: kind.String(),
		Open: func() (io.ReadCloser, error) { return os.Open(p) }}, func() { os.Remove(p) }, nil
}
