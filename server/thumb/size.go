package thumb

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// MaxSide bounds the width and the height of a Size, in pixels. PocketBase
// sets no bound; 8192 is above any thumbnail a page shows and keeps a
// filled box at most 64 megapixels before the pixel limit applies.
const MaxSide = 8192

// ErrInvalidSize is returned by Parse for a spec it refuses.
var ErrInvalidSize = errors.New("thumb: invalid size")

// Mode says how an image is fitted into a Size with both sides set. A Size
// with one side 0 ignores it: the image is resized to the other side,
// keeping its aspect ratio.
type Mode byte

// Modes, with their suffix in a spec.
const (
	// Center fills the box, cropping from the center ("WxH").
	Center Mode = iota
	// Top fills the box, cropping from the top ("WxHt").
	Top
	// Bottom fills the box, cropping from the bottom ("WxHb").
	Bottom
	// Fit scales the image down to fit inside the box, without cropping
	// or enlarging it ("WxHf").
	Fit
)

var modeSuffix = [...]string{Center: "", Top: "t", Bottom: "b", Fit: "f"}

// Size is a thumbnail size as PocketBase spells it in ?thumb= and in a file
// field's thumbs: "WxH", "WxHt", "WxHb", "WxHf", "0xH" or "Wx0".
type Size struct {
	Width, Height int
	Mode          Mode
}

// sizeSpec is PocketBase's filesystem.ThumbSizeRegex.
var sizeSpec = regexp.MustCompile(`^(\d+)x(\d+)(t|b|f)?$`)

// Parse reads a spec in one of PocketBase's forms. It refuses a spec whose
// sides are both 0, or either above MaxSide. Like PocketBase it accepts a
// mode suffix on a spec with a 0 side ("0x100t", which renders as "0x100")
// and leading zeros ("0100x100", whose String is "100x100"). The error
// wraps ErrInvalidSize.
func Parse(spec string) (Size, error) {
	m := sizeSpec.FindStringSubmatch(spec)
	if m == nil {
		return Size{}, fmt.Errorf("%w: %q is not in the WxH, WxHt, WxHb, WxHf, 0xH or Wx0 format", ErrInvalidSize, spec)
	}
	w, errW := strconv.Atoi(m[1])
	h, errH := strconv.Atoi(m[2])
	if errW != nil || errH != nil {
		return Size{}, fmt.Errorf("%w: %q has a side above %d", ErrInvalidSize, spec, MaxSide)
	}
	s := Size{Width: w, Height: h}
	switch m[3] {
	case "t":
		s.Mode = Top
	case "b":
		s.Mode = Bottom
	case "f":
		s.Mode = Fit
	}
	if err := s.check(); err != nil {
		return Size{}, err
	}
	return s, nil
}

// check returns an error wrapping ErrInvalidSize when Parse would not
// give s.
func (s Size) check() error {
	switch {
	case s.Width < 0 || s.Height < 0 || s.Width > MaxSide || s.Height > MaxSide:
		return fmt.Errorf("%w: %dx%d: the sides must be from 0 to %d", ErrInvalidSize, s.Width, s.Height, MaxSide)
	case s.Width == 0 && s.Height == 0:
		return fmt.Errorf("%w: the width and the height cannot both be 0", ErrInvalidSize)
	case int(s.Mode) >= len(modeSuffix):
		return fmt.Errorf("%w: unknown mode %d", ErrInvalidSize, s.Mode)
	}
	return nil
}

// String is the canonical spec of s: Parse(s.String()) == s, and
// s.String() is the very spec s was parsed from unless that had leading
// zeros. Thumbnails are stored under it (see Key).
func (s Size) String() string {
	suffix := ""
	if int(s.Mode) < len(modeSuffix) {
		suffix = modeSuffix[s.Mode]
	}
	return strconv.Itoa(s.Width) + "x" + strconv.Itoa(s.Height) + suffix
}
