package thumb

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"testing"

	"golang.org/x/image/bmp"
)

// MustParse parses spec or fails the test.
func MustParse(tb testing.TB, spec string) Size {
	tb.Helper()
	s, err := Parse(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// bands is a w×h image of three horizontal bands: red, green, blue from
// the top.
func bands(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		c := color.NRGBA{0, 0, 255, 255}
		switch {
		case y < h/3:
			c = color.NRGBA{255, 0, 0, 255}
		case y < 2*h/3:
			c = color.NRGBA{0, 255, 0, 255}
		}
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// makeThumb runs Make and decodes what it wrote, checking that the bytes
// are of the content type Make returned.
func makeThumb(tb testing.TB, data []byte, contentType, spec string, lim Limits) (image.Image, string, error) {
	tb.Helper()
	var out bytes.Buffer
	outType, err := Make(context.Background(), &out, bytes.NewReader(data), contentType, MustParse(tb, spec), lim)
	if err != nil {
		return nil, "", err
	}
	img, format, err := image.Decode(&out)
	if err != nil {
		tb.Fatalf("the thumbnail does not decode: %v", err)
	}
	if "image/"+format != outType {
		tb.Fatalf("Make returned %q but wrote %s", outType, format)
	}
	return img, outType, nil
}

// TestMakeDimensions compares the size of each mode's thumbnail with what
// PocketBase's CreateThumb gives (imaging's Resize, Fit and Fill, worked
// out by hand), for a source of at least 100 pixels a side (Fill crops
// then resizes) and one below (Fill resizes then crops).
func TestMakeDimensions(t *testing.T) {
	for _, tc := range []struct {
		srcW, srcH int
		spec       string
		w, h       int
	}{
		{300, 200, "100x100", 100, 100},
		{300, 200, "100x100t", 100, 100},
		{300, 200, "100x100b", 100, 100},
		{300, 200, "50x100", 50, 100},
		{300, 200, "600x500", 600, 500},  // Fill enlarges
		{300, 200, "100x100f", 100, 66},  // 300/200 > 1: width 100, height int(100/1.5)
		{300, 200, "100x50f", 75, 50},    // 1.5 < 2: height 50, width int(50*1.5)
		{300, 200, "90x70f", 90, 60},     // 1.5 > 1.29: width 90, height int(90/1.5)
		{300, 200, "400x400f", 300, 200}, // fits already: never enlarged
		{300, 200, "300x200f", 300, 200}, // fits exactly
		{300, 200, "150x0", 150, 100},    // floor(150*200/300+0.5)
		{300, 200, "70x0", 70, 47},       // 46.67 rounds up
		{300, 200, "7x0", 7, 5},          // 4.67 rounds up
		{300, 200, "0x50", 75, 50},       // floor(50*300/200+0.5)
		{300, 200, "0x1", 2, 1},          // 1.5 rounds up
		{300, 200, "600x0", 600, 400},    // enlarged, aspect kept
		{300, 200, "0x100t", 150, 100},   // a 0 side ignores the mode
		{300, 200, "100x0f", 100, 67},    // 66.67 rounds up
		{60, 40, "100x100", 100, 100},    // under 100 a side: resized, then cropped
		{60, 40, "100x100b", 100, 100},
		{60, 40, "20x30t", 20, 30},
		{60, 40, "100x100f", 60, 40},
		{60, 40, "30x30f", 30, 20},
		{60, 40, "25x25f", 25, 16}, // int(25/1.5) = 16
		{60, 40, "0x10", 15, 10},
		{60, 40, "1x0", 1, 1}, // 0.67 rounds up to 1
	} {
		src := encodePNG(t, bands(tc.srcW, tc.srcH))
		img, _, err := makeThumb(t, src, "image/png", tc.spec, Limits{})
		if err != nil {
			t.Errorf("%dx%d %s: %v", tc.srcW, tc.srcH, tc.spec, err)
			continue
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%dx%d %s: got %dx%d, want %dx%d", tc.srcW, tc.srcH, tc.spec, b.Dx(), b.Dy(), tc.w, tc.h)
		}
		if w, h, _ := plan(tc.srcW, tc.srcH, MustParse(t, tc.spec)); w != tc.w || h != tc.h {
			t.Errorf("%dx%d %s: plan gives %dx%d, want %dx%d", tc.srcW, tc.srcH, tc.spec, w, h, tc.w, tc.h)
		}
	}
}

// dominant names the strongest channel of c: "r", "g" or "b".
func dominant(c color.Color) string {
	r, g, b, _ := c.RGBA()
	switch {
	case r > g && r > b:
		return "r"
	case g > r && g > b:
		return "g"
	}
	return "b"
}

// TestMakeAnchors checks which part of a tall source each mode keeps: a
// 200×300 image of red, green and blue bands into a 100×100 box.
func TestMakeAnchors(t *testing.T) {
	src := encodePNG(t, bands(200, 300))
	for _, tc := range []struct {
		spec        string
		top, bottom string
	}{
		{"100x100", "r", "b"},  // rows 50–249
		{"100x100t", "r", "g"}, // rows 0–199
		{"100x100b", "g", "b"}, // rows 100–299
		{"100x100f", "r", "b"}, // all of it, 67×100
	} {
		img, _, err := makeThumb(t, src, "image/png", tc.spec, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		b := img.Bounds()
		top, bottom := dominant(img.At(b.Dx()/2, 1)), dominant(img.At(b.Dx()/2, b.Dy()-2))
		if top != tc.top || bottom != tc.bottom {
			t.Errorf("%s: top %s, bottom %s; want %s, %s", tc.spec, top, bottom, tc.top, tc.bottom)
		}
	}
}

// TestMakeFormats checks the output format for each input type, as
// PocketBase writes it: JPEG for image/jpeg, GIF for image/gif, PNG for
// image/png, image/jpg and image/webp.
func TestMakeFormats(t *testing.T) {
	pngData := encodePNG(t, bands(30, 30))
	jpegData := encodeJPEG(t, bands(30, 30))

	// An animated GIF: a red frame, then a blue one. PocketBase keeps the
	// first.
	red := image.NewPaletted(image.Rect(0, 0, 30, 20), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}})
	blue := image.NewPaletted(red.Rect, red.Palette)
	for i := range blue.Pix {
		blue.Pix[i] = 1
	}
	var gifData bytes.Buffer
	if err := gif.EncodeAll(&gifData, &gif.GIF{Image: []*image.Paletted{red, blue}, Delay: []int{10, 10}}); err != nil {
		t.Fatal(err)
	}

	// testdata/*.webp: a 30×20 image, red on the left half, blue on the
	// right, encoded by libwebp's cwebp 1.2.4 ("cwebp -q 90" lossy VP8,
	// "cwebp -lossless" VP8L, and "cwebp -q 90 -exact" of the same with
	// a transparent bottom half: VP8X with an ALPH chunk).
	readFixture := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	for _, tc := range []struct {
		name, contentType string
		data              []byte
		spec              string
		wantType          string
		w, h              int
	}{
		{"png", "image/png", pngData, "10x10", "image/png", 10, 10},
		{"jpeg", "image/jpeg", jpegData, "10x10", "image/jpeg", 10, 10},
		{"jpg", "image/jpg", jpegData, "10x10", "image/png", 10, 10},
		{"parameters", "Image/JPEG; q=1", jpegData, "10x10", "image/jpeg", 10, 10},
		{"gif", "image/gif", gifData.Bytes(), "15x0", "image/gif", 15, 10},
		{"webp lossy", "image/webp", readFixture("lossy.webp"), "10x0", "image/png", 10, 7},
		{"webp lossless", "image/webp", readFixture("lossless.webp"), "10x0", "image/png", 10, 7},
		{"webp alpha", "image/webp", readFixture("alpha.webp"), "10x0", "image/png", 10, 7},
		{"mislabelled", "image/png", jpegData, "10x10", "image/png", 10, 10}, // decoded by its bytes, written by its type
	} {
		img, outType, err := makeThumb(t, tc.data, tc.contentType, tc.spec, Limits{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if outType != tc.wantType {
			t.Errorf("%s: wrote %s, want %s", tc.name, outType, tc.wantType)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: got %dx%d, want %dx%d", tc.name, b.Dx(), b.Dy(), tc.w, tc.h)
		}
		switch tc.name {
		case "gif":
			if c := dominant(img.At(7, 5)); c != "r" {
				t.Errorf("gif: the thumbnail is %s, not the first frame's red", c)
			}
		case "webp lossy", "webp lossless":
			if l, r := dominant(img.At(1, 3)), dominant(img.At(8, 3)); l != "r" || r != "b" {
				t.Errorf("%s: left %s, right %s; want r, b", tc.name, l, r)
			}
		case "webp alpha":
			_, _, _, top := img.At(2, 1).RGBA()
			_, _, _, bottom := img.At(2, 6).RGBA()
			if top < 0xf000 || bottom > 0x1000 {
				t.Errorf("webp alpha: alpha %#x at the top, %#x at the bottom; want opaque, transparent", top, bottom)
			}
		}
	}
}

// withOrientation returns the JPEG data with an EXIF APP1 segment holding
// the orientation tag (0x0112) set to o, right after the SOI marker.
func withOrientation(data []byte, o uint16) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a")                                      // big-endian TIFF header
	binary.Write(&tiff, binary.BigEndian, uint32(8))                    // offset of IFD0
	binary.Write(&tiff, binary.BigEndian, uint16(1))                    // one entry
	binary.Write(&tiff, binary.BigEndian, []uint16{0x0112, 3, 0, 1, o}) // tag, SHORT, count 1, value
	binary.Write(&tiff, binary.BigEndian, uint16(0))                    // value padding
	binary.Write(&tiff, binary.BigEndian, uint32(0))                    // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, data[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, data[2:]...)
}

// TestMakeOrientation checks that a JPEG is turned by its EXIF
// orientation before resizing, as PocketBase's imaging.AutoOrientation
// does: a 300×200 photo tagged "rotate 90°" is 200×300 upright.
func TestMakeOrientation(t *testing.T) {
	plain := encodeJPEG(t, bands(300, 200))
	for _, tc := range []struct {
		name string
		data []byte
		w, h int
	}{
		{"untagged", plain, 100, 67},
		{"upright", withOrientation(plain, 1), 100, 67},
		{"rotated", withOrientation(plain, 6), 100, 150},
	} {
		img, _, err := makeThumb(t, tc.data, "image/jpeg", "100x0", Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: got %dx%d, want %dx%d", tc.name, b.Dx(), b.Dy(), tc.w, tc.h)
		}
	}
}

// pngChunk is a PNG chunk with its length and CRC.
func pngChunk(typ string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	return b.Bytes()
}

// pngHeader is a PNG signature and IHDR of a w×h image (depth bits,
// colorType as in the PNG spec).
func pngHeader(w, h uint32, depth, colorType byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestMakeRefusesHugeHeader feeds a PNG whose header claims 50,000×50,000
// RGBA pixels (10 GB decoded): it is refused from its header, allocating
// next to nothing.
func TestMakeRefusesHugeHeader(t *testing.T) {
	data := append(pngHeader(50000, 50000, 8, 6), pngChunk("IEND", nil)...)
	if _, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
		t.Fatalf("the hand-made header does not parse: %v", err)
	}
	var err error
	n := allocated(func() {
		_, err = Make(context.Background(), &bytes.Buffer{}, bytes.NewReader(data), "image/png", Size{100, 100, Center}, Limits{})
	})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v; want ErrTooLarge", err)
	}
	if n > 1<<20 {
		t.Fatalf("refusing the header allocated %d bytes", n)
	}
}

// TestMakeRefusesBomb feeds a real PNG of 20,000×20,000 black pixels,
// 1 bit each, compressed into a few dozen kilobytes (400 megapixels,
// 1.6 GB as RGBA).
func TestMakeRefusesBomb(t *testing.T) {
	var b bytes.Buffer
	b.Write(pngHeader(20000, 20000, 1, 0))
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+20000/8) // filter type 0, then 2500 bytes of black
	for range 20000 {
		zw.Write(row)
	}
	zw.Close()
	b.Write(pngChunk("IDAT", idat.Bytes()))
	b.Write(pngChunk("IEND", nil))
	if b.Len() > 1<<20 {
		t.Fatalf("the bomb is %d bytes; it should be small", b.Len())
	}

	var err error
	n := allocated(func() {
		_, err = Make(context.Background(), &bytes.Buffer{}, bytes.NewReader(b.Bytes()), "image/png", Size{100, 100, Center}, Limits{})
	})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v; want ErrTooLarge", err)
	}
	if n > 1<<20 {
		t.Fatalf("refusing the bomb allocated %d bytes", n)
	}
}

// TestMakeLimits checks the other limits: the bytes read, and the images
// made on the way (a thin source resized by its short side, and Fill
// enlarging a small source to cover its box).
func TestMakeLimits(t *testing.T) {
	src := encodePNG(t, bands(300, 200))
	if _, _, err := makeThumb(t, src, "image/png", "10x10", Limits{MaxBytes: int64(len(src))}); err != nil {
		t.Errorf("a source of exactly MaxBytes: %v", err)
	}
	if _, _, err := makeThumb(t, src, "image/png", "10x10", Limits{MaxBytes: int64(len(src)) - 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a source over MaxBytes: err = %v; want ErrTooLarge", err)
	}
	if _, _, err := makeThumb(t, src, "image/png", "10x10", Limits{MaxPixels: 300*200 - 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a source over MaxPixels: err = %v; want ErrTooLarge", err)
	}

	thin := encodePNG(t, bands(1, 2000))
	if _, _, err := makeThumb(t, thin, "image/png", "100x0", Limits{MaxPixels: 100_000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1×2000 to 100x0 (100×200000): err = %v; want ErrTooLarge", err)
	}
	if _, _, err := makeThumb(t, thin, "image/png", "0x100", Limits{MaxPixels: 100_000}); err != nil {
		t.Errorf("1×2000 to 0x100: %v", err)
	}

	small := encodePNG(t, bands(10, 50))
	// Fill resizes 10×50 to 100×500 before cropping it to 100×100.
	if _, _, err := makeThumb(t, small, "image/png", "100x100", Limits{MaxPixels: 20_000}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("10×50 filling 100x100 under 20,000 pixels: err = %v; want ErrTooLarge", err)
	}
	if _, _, err := makeThumb(t, small, "image/png", "100x100", Limits{MaxPixels: 50_000}); err != nil {
		t.Errorf("10×50 filling 100x100 under 50,000 pixels: %v", err)
	}
}

// TestMakeBadInput checks that what is not a readable image of the four
// formats gives an error of the package, never a panic.
func TestMakeBadInput(t *testing.T) {
	good := encodePNG(t, bands(64, 64))
	corrupt := append([]byte{}, good...)
	for i := len(corrupt) / 2; i < len(corrupt)/2+40; i++ {
		corrupt[i] ^= 0x5a
	}
	jpegData := encodeJPEG(t, bands(64, 64))
	var bmpData bytes.Buffer
	if err := bmp.Encode(&bmpData, bands(8, 8)); err != nil {
		t.Fatal(err)
	}
	// A header that parses, then IDAT data that is not zlib.
	badIDAT := append(pngHeader(8, 8, 8, 2), pngChunk("IDAT", []byte("not zlib at all"))...)
	badIDAT = append(badIDAT, pngChunk("IEND", nil)...)

	for _, tc := range []struct {
		name, contentType string
		data              []byte
		want              error
	}{
		{"corrupt png", "image/png", corrupt, ErrInvalidImage},
		{"truncated png", "image/png", good[:len(good)/2], ErrInvalidImage},
		{"bad IDAT", "image/png", badIDAT, ErrInvalidImage},
		{"truncated jpeg", "image/jpeg", jpegData[:len(jpegData)/2], ErrInvalidImage},
		{"header only", "image/jpeg", jpegData[:2], ErrInvalidImage},
		{"empty", "image/gif", nil, ErrInvalidImage},
		{"text", "image/webp", []byte("hello, world"), ErrInvalidImage},
		{"bmp data", "image/png", bmpData.Bytes(), ErrUnsupported},
		{"bmp type", "image/bmp", bmpData.Bytes(), ErrUnsupported},
		{"svg", "image/svg+xml", []byte("<svg/>"), ErrUnsupported},
	} {
		_, err := Make(context.Background(), &bytes.Buffer{}, bytes.NewReader(tc.data), tc.contentType, Size{10, 10, Center}, Limits{})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v; want %v", tc.name, err, tc.want)
		}
	}

	if _, err := Make(context.Background(), &bytes.Buffer{}, bytes.NewReader(good), "image/png", Size{}, Limits{}); !errors.Is(err, ErrInvalidSize) {
		t.Errorf("a zero Size: err = %v; want ErrInvalidSize", err)
	}
}

func TestThumbable(t *testing.T) {
	for ct, want := range map[string]bool{
		"image/png": true, "image/jpg": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
		"IMAGE/PNG": true, "image/jpeg; charset=binary": true,
		"image/bmp": false, "image/tiff": false, "image/svg+xml": false, "image/avif": false, "image/heic": false,
		"application/octet-stream": false, "": false, "image/pngx": false,
	} {
		if got := Thumbable(ct); got != want {
			t.Errorf("Thumbable(%q) = %v; want %v", ct, got, want)
		}
	}
	for ct, want := range map[string]string{
		"image/jpeg": "image/jpeg", "image/gif": "image/gif",
		"image/png": "image/png", "image/jpg": "image/png", "image/webp": "image/png",
	} {
		if got := OutputType(ct); got != want {
			t.Errorf("OutputType(%q) = %q; want %q", ct, got, want)
		}
	}
}
