package filter

import (
	"errors"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
)

func TestParseStructure(t *testing.T) {
	cases := []struct{ src, want string }{
		{`a = 1`, `a = 1`},
		{`a=1&&b!='x'`, `a = 1 && b != 'x'`},
		{`a = 1 || b = 2 && c = 3`, `a = 1 || (b = 2 && c = 3)`},
		{`(a = 1 || b = 2) && c = 3`, `(a = 1 || b = 2) && c = 3`},
		{`((a = 1 && (b = 2)) && c = 3)`, `a = 1 && b = 2 && c = 3`},
		{`a ?!= "it's" // trailing comment`, `a ?!= "it's"`},
		{"a ~ 'x'\n// comment line\n|| b !~ 'y'", `a ~ 'x' || b !~ 'y'`},
		{`a = -1.5e3 && b = 0.25 && c = TRUE && d = NULL && e = False`, `a = -1500 && b = 0.25 && c = true && d = null && e = false`},
		{`author.org.name:lower ?= @request.auth.name:lower`, `author.org.name:lower ?= @request.auth.name:lower`},
		{`created > @now && created < @yearEnd`, `created > @now && created < @yearEnd`},
		{`@collection.users.email = 'x'`, `@collection.users.email = 'x'`},
		{`@collection.users:u.email:lower = 'x'`, `@collection.users:u.email:lower = 'x'`},
		{`tags:each ?~ 'x' && tags:length >= 2`, `tags:each ?~ 'x' && tags:length >= 2`},
		{`a = 'say \'hi\''`, `a = "say 'hi'"`},
		{`a = "say \"hi\""`, `a = 'say "hi"'`},
		{`a = 'back\slash'`, `a = 'back\slash'`},
		{`a>=1&&b<=2&&c>3&&d<4&&e?>=5&&f?<=6&&g?>7&&h?<8&&i?~'x'&&j?!~'y'`, `a >= 1 && b <= 2 && c > 3 && d < 4 && e ?>= 5 && f ?<= 6 && g ?> 7 && h ?< 8 && i ?~ 'x' && j ?!~ 'y'`},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		if got := e.String(); got != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.src, got, c.want)
		}
		again, err := Parse(e.String())
		if err != nil || again.String() != e.String() {
			t.Errorf("round trip of %q: %v %v", e.String(), again, err)
		}
	}
}

func TestParsePrecedence(t *testing.T) {
	e, err := Parse(`a = 1 || b = 2 && c = 3 || d = 4`)
	if err != nil {
		t.Fatal(err)
	}
	or, ok := e.(*Logical)
	if !ok || or.Op != Or || len(or.Terms) != 3 {
		t.Fatalf("want an OR of 3 terms, got %#v", e)
	}
	and, ok := or.Terms[1].(*Logical)
	if !ok || and.Op != And || len(and.Terms) != 2 {
		t.Fatalf("want the middle term to be an AND of 2, got %#v", or.Terms[1])
	}
	cmp := and.Terms[1].(*Comparison)
	if id := cmp.Left.(*Identifier); id.Path[0] != "c" || id.Start != 19 || cmp.OpPos != 21 {
		t.Errorf("positions: %+v op at %d", id, cmp.OpPos)
	}
}

func TestParseIdentifiers(t *testing.T) {
	cases := []struct {
		src  string
		kind IdentKind
		path []string
		mod  string
	}{
		{`title`, IdentField, []string{"title"}, ""},
		{`author.org.name:lower`, IdentField, []string{"author", "org", "name"}, "lower"},
		{`comments_via_post.text`, IdentField, []string{"comments_via_post", "text"}, ""},
		{`@now`, IdentMacro, []string{"now"}, ""},
		{`@request.auth.id`, IdentRequest, []string{"auth", "id"}, ""},
		{`@request.auth.roles:each`, IdentRequest, []string{"auth", "roles"}, "each"},
		{`@collection.users.email`, IdentCollection, []string{"users", "email"}, ""},
		{`@collection.users:u.email`, IdentCollection, []string{"users", "email"}, ""}, // Alias "u", checked by String
		{`@collection.users:u_2.org.name:lower`, IdentCollection, []string{"users", "org", "name"}, "lower"},
	}
	for _, c := range cases {
		e, err := Parse(c.src + ` = 1`)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		id := e.(*Comparison).Left.(*Identifier)
		if id.Kind != c.kind || strings.Join(id.Path, ".") != strings.Join(c.path, ".") || id.Modifier != c.mod {
			t.Errorf("%s: got %+v", c.src, id)
		}
		if id.String() != c.src {
			t.Errorf("%s: String() = %s", c.src, id.String())
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{``, `Invalid filter at position 1: the filter is empty.`},
		{"  // only a comment", `Invalid filter at position 20: the filter is empty.`},
		{`title =`, `Invalid filter at position 8: expected an operand, found the end of the filter.`},
		{`title 'x'`, `Invalid filter at position 7: expected an operator.`},
		{`= 'x'`, `Invalid filter at position 1: expected an operand.`},
		{`title = 'x' &&`, `Invalid filter at position 15: expected an operand, found the end of the filter.`},
		{`(title = 'x'`, `Invalid filter at position 1: unclosed parenthesis.`},
		{`title = 'x')`, `Invalid filter at position 12: unexpected ).`},
		{`title == 'x'`, `Invalid filter at position 8: expected an operand.`},
		{`title = 'x`, `Invalid filter at position 9: unterminated string.`},
		{`title = 'x\'`, `Invalid filter at position 9: unterminated string.`},
		{`title & 'x'`, `Invalid filter at position 7: expected &&.`},
		{`title = 'x' | a = 1`, `Invalid filter at position 13: expected ||.`},
		{`title = 'x' title = 'y'`, `Invalid filter at position 13: expected && or ||.`},
		{`(title = 'x' title = 'y')`, `Invalid filter at position 14: expected && or ||.`},
		{`()`, `Invalid filter at position 2: empty parentheses.`},
		{`title:upper = 'x'`, `Invalid filter at position 7: unknown modifier ":upper" (use :lower, :length, :each, :isset or :changed).`},
		{`@foo = 1`, `Invalid filter at position 1: unknown identifier "@foo".`},
		{`@now.x = 1`, `Invalid filter at position 1: unknown identifier "@now.x".`},
		{`@request = 1`, `Invalid filter at position 1: expected @request.<name>.`},
		{`@collection.users = 1`, `Invalid filter at position 1: expected @collection.<name>.<field>.`},
		{`@collection.users:u = 1`, `Invalid filter at position 1: expected @collection.<name>.<field>.`},
		{`@collection.users:.name = 1`, `Invalid filter at position 19: invalid alias in "@collection.users:.name" (expected @collection.<name>:<alias>.<field>).`},
		{`@collection.users:a:b.name = 1`, `Invalid filter at position 19: invalid alias in "@collection.users:a:b.name" (expected @collection.<name>:<alias>.<field>).`},
		{`@collection.users:a.name:upper = 1`, `Invalid filter at position 26: unknown modifier ":upper" (use :lower, :length, :each, :isset or :changed).`},
		{`@collection.users.name:upper = 1`, `Invalid filter at position 24: unknown modifier ":upper" (use :lower, :length, :each, :isset or :changed).`},
		{`@collection.users:a. = 1`, `Invalid filter at position 1: invalid identifier "@collection.users:a.".`},
		{`title = #`, `Invalid filter at position 9: unexpected character '#'.`},
		{`title = 1e999`, `Invalid filter at position 9: number 1e999 is out of range.`},
		{`a..b = 1`, `Invalid filter at position 1: invalid identifier "a..b".`},
		{`a. = 1`, `Invalid filter at position 1: invalid identifier "a.".`},
		{`title = 'é' && x`, `Invalid filter at position 17: expected an operator, found the end of the filter.`},
		{`title = 'é' && x y`, `Invalid filter at position 18: expected an operator.`},
		{"title = 'a\x00'", `Invalid filter at position 11: unexpected NUL character.`},
		{"title = \x00", `Invalid filter at position 9: unexpected NUL character.`},
		{"title = '\xff'", `Invalid filter: it is not valid UTF-8 text.`},
		{`tïtle = 1`, `Invalid filter at position 2: unexpected character 'ï'.`},
		{`title = $1`, `Invalid filter at position 9: unexpected character '$'.`},
		{`title = 'x'; DROP TABLE posts`, `Invalid filter at position 12: unexpected character ';'.`},
		{`title = '' OR 1=1 --`, `Invalid filter at position 19: unexpected character '-'.`},
		{`title = '' OR 1=1`, `Invalid filter at position 12: expected && or ||.`},
		{strings.Repeat("(", 33) + "a = 1" + strings.Repeat(")", 33), `Invalid filter at position 33: parentheses are nested too deeply.`},
		{`a = 1 && ` + strings.Repeat("x", MaxLength), `Invalid filter: it is longer than 4096 characters.`},
	}
	for _, c := range cases {
		_, err := Parse(c.src)
		var e *collections.Error
		if !errors.As(err, &e) || e.Code != collections.EINVALID {
			t.Errorf("Parse(%q) = %v, want an EINVALID error", c.src, err)
			continue
		}
		if e.Message != c.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", c.src, e.Message, c.want)
		}
	}
	// 32 levels are fine.
	if _, err := Parse(strings.Repeat("(", 32) + "a = 1" + strings.Repeat(")", 32)); err != nil {
		t.Errorf("32 levels: %v", err)
	}
}

func TestParseLongInputIsFast(t *testing.T) {
	// The longest allowed input of each shape parses without trouble.
	for _, src := range []string{
		strings.Repeat("a = 1 && ", MaxLength/9-1) + "a = 1",
		strings.Repeat("(a = 1) || ", MaxLength/11-1) + "a = 1",
		"a = '" + strings.Repeat("\\'", MaxLength/2-4) + "'",
		"// " + strings.Repeat("/", MaxLength-10) + "\na = 1",
	} {
		if len(src) > MaxLength {
			t.Fatalf("test input too long: %d", len(src))
		}
		if _, err := Parse(src); err != nil {
			t.Errorf("%.40s...: %v", src, err)
		}
	}
}
