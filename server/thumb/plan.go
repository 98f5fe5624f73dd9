package thumb

import "math"

// plan returns the size of the s thumbnail of a srcW×srcH image, and the
// largest image, in pixels, that imaging allocates on the way to it (the
// source aside). It follows imaging v1.6.2's Resize, Fit and Fill, so that
// a thumbnail can be refused before it is made: a 1×2000 image resized to
// "100x0" is 100×200000, and Fill first enlarges a source under 100 pixels
// on a side to cover the box.
func plan(srcW, srcH int, s Size) (w, h int, peak float64) {
	if srcW <= 0 || srcH <= 0 {
		return 0, 0, 0
	}
	if s.Width == 0 || s.Height == 0 {
		return resizePlan(srcW, srcH, s.Width, s.Height)
	}
	if s.Mode == Fit {
		if srcW <= s.Width && srcH <= s.Height {
			return srcW, srcH, area(srcW, srcH)
		}
		srcRatio := float64(srcW) / float64(srcH)
		newW, newH := s.Width, s.Height
		if srcRatio > float64(s.Width)/float64(s.Height) {
			newH = int(float64(newW) / srcRatio)
		} else {
			newW = int(float64(newH) * srcRatio)
		}
		return resizePlan(srcW, srcH, newW, newH)
	}
	// Fill: the result is the box.
	w, h = s.Width, s.Height
	switch {
	case srcW == w && srcH == h:
		return w, h, area(w, h)
	case srcW >= 100 && srcH >= 100:
		// cropAndResize: a crop of the box's aspect ratio, resized.
		cropW, cropH := srcW, srcH
		if float64(srcW)/float64(srcH) < float64(w)/float64(h) {
			cropH = min(srcH, int(math.Max(1, float64(srcW)*float64(h)/float64(w))+0.5))
		} else {
			cropW = min(srcW, int(math.Max(1, float64(srcH)*float64(w)/float64(h))+0.5))
		}
		_, _, peak = resizePlan(cropW, cropH, w, h)
	default:
		// resizeAndCrop: resized to cover the box, then cropped.
		if float64(srcW)/float64(srcH) < float64(w)/float64(h) {
			_, _, peak = resizePlan(srcW, srcH, w, 0)
		} else {
			_, _, peak = resizePlan(srcW, srcH, 0, h)
		}
	}
	return w, h, max(peak, area(w, h))
}

// resizePlan follows imaging.Resize: a 0 side keeps the aspect ratio
// (rounded, at least 1), and a horizontal pass (dstW×srcH) comes before
// the vertical one.
func resizePlan(srcW, srcH, dstW, dstH int) (w, h int, peak float64) {
	fw, fh := float64(dstW), float64(dstH)
	if dstW == 0 {
		fw = math.Max(1, math.Floor(fh*float64(srcW)/float64(srcH)+0.5))
	}
	if dstH == 0 {
		fh = math.Max(1, math.Floor(fw*float64(srcH)/float64(srcW)+0.5))
	}
	peak = math.Max(fw*float64(srcH), fw*fh)
	return clampInt(fw), clampInt(fh), peak
}

func area(w, h int) float64 { return float64(w) * float64(h) }

// clampInt converts f to an int, saturating: the sizes of a refused plan
// only need to be large.
func clampInt(f float64) int {
	if f >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int(f)
}
