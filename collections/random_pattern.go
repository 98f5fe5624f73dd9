package collections

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"regexp/syntax"
	"strings"
)

// maxPatternRepeat bounds the open repetitions (*, +, {n,}) of an
// autogenerate pattern.
const maxPatternRepeat = 10

// RandomByPattern returns a random string that the regular expression
// pattern matches: what a text field's autogeneratePattern (and the id
// field's, "[a-z0-9]{15}" by default) fills empty values with on create.
// Literals, character classes, ., groups, alternations and repetitions
// are understood (open repetitions stop at 10 more); anchors and other
// zero-width assertions are not.
func RandomByPattern(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := writeRandom(re, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeRandom(re *syntax.Regexp, b *strings.Builder) error {
	switch re.Op {
	case syntax.OpLiteral:
		b.WriteString(string(re.Rune))
	case syntax.OpCharClass:
		b.WriteRune(randomRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(idAlphabet[randomInt(len(idAlphabet))])
	case syntax.OpCapture:
		return writeRandom(re.Sub[0], b)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if err := writeRandom(sub, b); err != nil {
				return err
			}
		}
	case syntax.OpAlternate:
		return writeRandom(re.Sub[randomInt(len(re.Sub))], b)
	case syntax.OpQuest:
		return repeatRandom(re.Sub[0], b, 0, 1)
	case syntax.OpStar:
		return repeatRandom(re.Sub[0], b, 0, -1)
	case syntax.OpPlus:
		return repeatRandom(re.Sub[0], b, 1, -1)
	case syntax.OpRepeat:
		return repeatRandom(re.Sub[0], b, re.Min, re.Max)
	case syntax.OpEmptyMatch:
	default:
		return fmt.Errorf("unsupported pattern construct %q", re.String())
	}
	return nil
}

func repeatRandom(re *syntax.Regexp, b *strings.Builder, lo, hi int) error {
	if hi < 0 {
		hi = lo + maxPatternRepeat
	}
	n := lo
	if hi > lo {
		n += randomInt(hi - lo + 1)
	}
	for range n {
		if err := writeRandom(re, b); err != nil {
			return err
		}
	}
	return nil
}

// randomRune picks a rune uniformly from a character class given as
// [lo, hi] pairs.
func randomRune(pairs []rune) rune {
	total := 0
	for i := 0; i+1 < len(pairs); i += 2 {
		total += int(pairs[i+1]-pairs[i]) + 1
	}
	if total == 0 {
		return 'x'
	}
	n := randomInt(total)
	for i := 0; i+1 < len(pairs); i += 2 {
		size := int(pairs[i+1]-pairs[i]) + 1
		if n < size {
			return pairs[i] + rune(n)
		}
		n -= size
	}
	return pairs[0]
}

// randomInt returns a uniform random number in [0, n).
func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return int(v.Int64())
}
