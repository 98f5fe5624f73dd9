package thumb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"strings"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp" // registers WebP with image.Decode
)

// Errors of Make and Maker.Open, wrapped: test with errors.Is.
var (
	// ErrUnsupported is returned for a source whose content type
	// Thumbable refuses, or whose data is an image of another format
	// (BMP, TIFF…).
	ErrUnsupported = errors.New("thumb: unsupported image format")
	// ErrTooLarge is returned, before decoding, for a source above the
	// Limits (bytes, or width×height as its header claims), and for a
	// thumbnail whose making would allocate an image above MaxPixels.
	ErrTooLarge = errors.New("thumb: image too large")
	// ErrInvalidImage is returned for data that does not decode as an
	// image (corrupt, truncated, or no image at all).
	ErrInvalidImage = errors.New("thumb: invalid image")
)

// Defaults of Limits.
const (
	// DefaultMaxPixels admits the largest common camera output (48 and
	// 50 megapixel phone modes, 45 megapixel full-frame bodies). Decoded,
	// such an image takes 200 MB as 8-bit RGBA (400 MB at 16 bits per
	// channel), about what one thumbnail should be allowed to cost.
	DefaultMaxPixels = 50_000_000
	// DefaultMaxBytes is above a 50 megapixel PNG photo and far above
	// any JPEG of that size.
	DefaultMaxBytes = 128 << 20
)

// maxOutSide is the largest side JPEG and GIF can hold.
const maxOutSide = 65535

// Limits bound the work of one thumbnail. Zero fields take the defaults.
type Limits struct {
	// MaxPixels bounds the width×height of the source (checked from its
	// header, before decoding) and of every image made from it on the
	// way to the thumbnail.
	MaxPixels int64
	// MaxBytes bounds the bytes read from the source.
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// thumbable are the content types PocketBase makes thumbnails of.
var thumbable = map[string]bool{"image/png": true, "image/jpg": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// decodable are the formats (as image.DecodeConfig names them) Make
// decodes, whatever the content type claims.
var decodable = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}

// Thumbable reports whether PocketBase makes thumbnails of files of
// contentType: image/png, image/jpg, image/jpeg, image/gif and image/webp.
// Parameters ("; charset=…") and letter case are ignored.
func Thumbable(contentType string) bool {
	return thumbable[mediaType(contentType)]
}

func mediaType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// OutputType is the content type of the thumbnails of a source of
// contentType, as PocketBase writes them: JPEG for image/jpeg, GIF for
// image/gif, PNG for the others (image/png, image/jpg, image/webp).
func OutputType(contentType string) string {
	switch mediaType(contentType) {
	case "image/jpeg":
		return "image/jpeg"
	case "image/gif":
		return "image/gif"
	}
	return "image/png"
}

// Make writes to w the thumbnail of size of the image r yields, in the
// format OutputType gives for contentType, and returns that content type.
// It decodes as PocketBase does: the first frame of a GIF, a JPEG turned
// by its EXIF orientation, resampled linearly. It reads the source's
// header first and refuses, without decoding, a source above lim; it
// reads at most lim.MaxBytes bytes. On an error w may hold a part of the
// thumbnail.
func Make(ctx context.Context, w io.Writer, r io.Reader, contentType string, size Size, lim Limits) (string, error) {
	if !Thumbable(contentType) {
		return "", fmt.Errorf("%w: %q", ErrUnsupported, contentType)
	}
	if err := size.check(); err != nil {
		return "", err
	}
	lim = lim.withDefaults()
	src := &boundedReader{ctx: ctx, r: r, left: lim.MaxBytes}
	img, err := decode(src, lim)
	if err != nil {
		return "", err
	}
	thumb, err := resize(img, size, lim)
	if err != nil {
		return "", err
	}
	outType := OutputType(contentType)
	format := imaging.PNG
	switch outType {
	case "image/jpeg":
		format = imaging.JPEG
	case "image/gif":
		format = imaging.GIF
	}
	if err := imaging.Encode(w, thumb, format); err != nil {
		return "", fmt.Errorf("thumb: encoding: %w", err)
	}
	return outType, nil
}

// decode reads the header of src, checks it against lim, then decodes
// the image from the bytes the header took followed by the rest.
func decode(src *boundedReader, lim Limits) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("%w: the decoder failed: %v", ErrInvalidImage, p)
		}
	}()
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(src, &head))
	if err != nil {
		return nil, src.explain(err)
	}
	if !decodable[format] {
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, format)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d is above %d pixels", ErrTooLarge, cfg.Width, cfg.Height, lim.MaxPixels)
	}
	img, err = imaging.Decode(io.MultiReader(&head, src), imaging.AutoOrientation(true))
	if err != nil {
		return nil, src.explain(err)
	}
	return img, nil
}

// resize makes the thumbnail of img as PocketBase's CreateThumb does,
// after checking that no image on the way is above lim.MaxPixels.
func resize(img image.Image, s Size, lim Limits) (_ *image.NRGBA, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: resizing failed: %v", ErrInvalidImage, p)
		}
	}()
	b := img.Bounds()
	w, h, peak := plan(b.Dx(), b.Dy(), s)
	if peak > float64(lim.MaxPixels) || w > maxOutSide || h > maxOutSide {
		return nil, fmt.Errorf("%w: a %s thumbnail of a %d×%d image is %d×%d", ErrTooLarge, s, b.Dx(), b.Dy(), w, h)
	}
	switch {
	case s.Width == 0 || s.Height == 0:
		return imaging.Resize(img, s.Width, s.Height, imaging.Linear), nil
	case s.Mode == Fit:
		return imaging.Fit(img, s.Width, s.Height, imaging.Linear), nil
	case s.Mode == Top:
		return imaging.Fill(img, s.Width, s.Height, imaging.Top, imaging.Linear), nil
	case s.Mode == Bottom:
		return imaging.Fill(img, s.Width, s.Height, imaging.Bottom, imaging.Linear), nil
	}
	return imaging.Fill(img, s.Width, s.Height, imaging.Center, imaging.Linear), nil
}

// boundedReader stops reading at its context's end and past left bytes.
type boundedReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
	over bool
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if b.over {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 { // the source has more: hand over none of the excess
		b.over = true
		return n + int(b.left), ErrTooLarge
	}
	return n, err
}

// explain turns a decoder's error into one of the package's: decoders
// may replace the reader's own error, so the reader's state decides.
func (b *boundedReader) explain(err error) error {
	switch {
	case b.over:
		return fmt.Errorf("%w: more bytes than the limit", ErrTooLarge)
	case b.ctx.Err() != nil:
		return b.ctx.Err()
	case errors.Is(err, image.ErrFormat):
		return fmt.Errorf("%w: not a PNG, JPEG, GIF or WebP image", ErrInvalidImage)
	}
	return fmt.Errorf("%w: %v", ErrInvalidImage, err)
}
