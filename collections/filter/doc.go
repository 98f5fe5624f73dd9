// Package filter implements PocketBase's filter and rule language: Parse
// reads a filter into an AST, SQL compiles it to a parametrized PostgreSQL
// condition, Eval evaluates it against one record in memory with the same
// meaning, and ParseSort compiles sort strings.
//
// # Grammar
//
//	expr    = and { "||" and }
//	and     = primary { "&&" primary }
//	primary = "(" expr ")" | operand op operand
//	op      = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "!~"
//	        | "?=" | "?!=" | "?>" | "?>=" | "?<" | "?<=" | "?~" | "?!~"
//	operand = 'text' | "text" | number | true | false | null | identifier
//
// Whitespace is free-form and // starts a comment to the end of the line.
// In a quoted string a backslash escapes the quote character; every other
// backslash is kept. Identifiers are field names, dotted relation paths
// (author.name, author.org.name), back-relations
// (comments_via_post.title: comments whose post field points at the
// record), json keys (meta.a.b, meta.list.0), optionally ending in a
// modifier (:lower, :length, :each); the macros @now, @second, @minute,
// @hour, @weekday, @day, @month, @year, @todayStart, @todayEnd,
// @monthStart, @monthEnd, @yearStart, @yearEnd (UTC); @request.auth.<field>
// (Env.Auth); @collection.<name>.<field> and
// @collection.<name>:<alias>.<field>, where <field> may again be a path
// (@collection.members.user.email).
// Input is limited to MaxLength bytes and MaxDepth nested parentheses.
//
// # Semantics
//
// Each comparison is typed from the schema: text (text, editor, email, url,
// select and relation ids), numbers, booleans, dates and json values.
//
//   - A text literal takes the type of the other side: views > '5' compares
//     numbers, due > '2024-01-01' compares dates (collections.ParseDate),
//     published = 'true' booleans. A number literal compared with text is
//     compared as text. Anything else that mixes types is EINVALID at
//     compile time, never a database error.
//   - null (and ” for text and dates) is the empty value: x = null is true
//     for NULL and for ”. Numbers and booleans are never null in a table,
//     so views = null is false; it is true for a missing related record. A
//     missing text value (an empty relation, no related record) is ”.
//     Ordering against the null literal is always false, as is ordering a
//     null number or date.
//   - Text ordering is by code point (COLLATE "C"), as Go compares strings.
//   - ~ is "contains", case-insensitive (ILIKE '%value%'); a value that
//     contains % is used as a LIKE pattern as written (\ escapes, _ is one
//     character). A field on the right side is always matched literally. !~
//     is the exact negation of ~, and != of =.
//   - Json values compare as PocketBase compares the extracted value:
//     strings with text, numbers with numbers (exactly, as PostgreSQL's
//     numeric), booleans with booleans; null, a missing key and "" equal
//     null; objects and arrays equal nothing. A json value may be compared
//     with literals and text fields only.
//   - Multi-valued operands — multi select and multi relation fields
//     (:each is accepted and changes nothing), list values of
//     @request.auth, and paths through multi relations or back-relations —
//     are compared item by item: a plain operator needs every item to
//     satisfy it, a ? operator at least one. An empty list (or a relation
//     with no records) counts as one null item, so tags = ” is true for
//     no tags. :length is the number of items. One exception, as in
//     PocketBase: ~ on a list field of the record itself means "some item
//     contains" (tags ~ 'go'), so !~ means "no item contains".
//   - Comparisons joined by && that use the same relation path share one
//     related record, as in PocketBase: members_via_team.user ?=
//     @request.auth.id && members_via_team.role ?= 'admin' needs one
//     membership with both values. Under || each comparison has its own.
//     Items of list fields are never shared: tags ?= 'a' && tags ?= 'b' is
//     "has a and has b".
//   - @collection.<name>.<path> ranges over the rows of the collection
//     <name> (by name or id), related to the record or not; it is
//     multi-valued like a back-relation. With a ? operator some row must
//     satisfy the comparison; with a plain operator every row must, as in
//     PocketBase: @collection.members.role = 'admin' is "every member is
//     an admin". An empty collection counts as one row of nulls, so a plain
//     operator is not trivially true for it (= 'x' is false, != 'x' true).
//     Comparisons joined by && that use the same @collection name and
//     alias share one row: @collection.members.team ?= team &&
//     @collection.members.user ?= @request.auth.id needs one members row
//     with this record's team and the caller. A different alias
//     (@collection.members:m.user) is another, independent row; under ||
//     each comparison has its own. Eval cannot read other rows and returns
//     ErrNeedsDatabase.
//   - :lower lowers text before comparing; ~ folds case itself. Case
//     folding of non-ASCII letters follows the database locale in SQL and
//     Unicode rules in Eval.
//
// # Safety
//
// Identifiers in the SQL come only from the schema and are quoted; every
// value is a bound parameter with an explicit cast. Fields the caller may
// not read (Env.CanRead; hidden fields by default) are rejected, so a filter
// or sort cannot be used to probe them; this includes the fields of
// @collection references and of every collection a path passes through.
// Relation paths follow at most MaxRelationDepth relations (not counting
// the @collection row itself).
package filter
