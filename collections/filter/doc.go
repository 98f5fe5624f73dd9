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
//	        | function "(" [ arg { "," arg } ] ")"
//	arg     = 'text' | "text" | number | true | false | null | identifier
//	function = "strftime" | "geoDistance"
//
// Whitespace is free-form and // starts a comment to the end of the line.
// In a quoted string a backslash escapes the quote character; every other
// backslash is kept. Identifiers are field names, dotted relation paths
// (author.name, author.org.name), back-relations
// (comments_via_post.title: comments whose post field points at the
// record), json keys (meta.a.b, meta.list.0), optionally ending in a
// modifier (:lower, :length, :each; :isset and :changed on request
// values); the macros @now, @second, @minute, @hour, @weekday, @day,
// @month, @year, @todayStart, @todayEnd, @monthStart, @monthEnd,
// @yearStart, @yearEnd (UTC); the request values (Env.Auth, Env.Request)
// @request.auth.<field>, @request.auth.<relation>.<path> (through any
// number of relations), @request.body.<key>[.<path>],
// @request.query.<key>, @request.headers.<name> (lower case, words joined
// by _, as collections.HeaderKey writes them), @request.method and
// @request.context (default, oauth2, otp, password, realtime,
// protectedFile, batch, expand); @collection.<name>.<field> and
// @collection.<name>:<alias>.<field>, where <field> may again be a path
// (@collection.members.user.email). The functions are strftime(format[,
// time[, modifier...]]) and geoDistance(lonA, latA, lonB, latB).
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
//     compared as text. A date compared with text that does not read as a
//     date (due ~ '2024-01', due >= '2025-06', due < '2024-01-15T10:00')
//     compares as text, the date written as PocketBase writes it
//     ('2024-01-15 10:00:00.000Z', ” for none), as PocketBase compares
//     every date. Anything else that mixes types is EINVALID at compile
//     time, never a database error.
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
//   - A list — a multiple select or relation field, a list value of the
//     request — is, as in PocketBase, its JSON text unless :each is
//     written: tags = '["a","b"]', tags ~ 'a' (contains, anywhere in the
//     text), and tags ?= 'a' is false (the text is not 'a'); an empty list
//     is '[]'. The text is Go's encoding, as PocketBase stores lists.
//     tags:each compares the items, and :length is the number of items.
//   - Multi-valued operands — lists with :each, and paths through multi
//     relations, back-relations, @collection and the multi relations of
//     the request — are compared item by item: a plain operator needs
//     every item to satisfy it, a ? operator at least one. An empty list
//     (or a relation with no records) counts as one null item, so
//     tags:each = ” is true for no tags.
//   - Comparisons joined by && that use the same relation path share one
//     related record, as in PocketBase: members_via_team.user ?=
//     @request.auth.id && members_via_team.role ?= 'admin' needs one
//     membership with both values. Under || each comparison has its own.
//     Items of list fields are never shared: tags:each ?= 'a' &&
//     tags:each ?= 'b' is "has a and has b".
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
//   - Request values are constants. A missing one is null (:isset tells
//     whether the key was sent), as is every @request.* without
//     Env.Request or Env.Auth, and a missing name in a path of the request
//     (@request.auth.nope.x). A value the client sent (body, query,
//     headers) that cannot be read as the other side's type equals
//     nothing and orders against nothing (@request.body.views > 5 with
//     views 'abc' is false, != is true). Lists and objects of the body are
//     their JSON text; :each and :length apply to the body values of
//     select and relation fields (a single value is one item);
//     @request.body.<field>:changed is PocketBase's
//     "@request.body.<field>:isset = true && @request.body.<field> !=
//     <field>", compared with Env.Stored when set (the record before an
//     update). @request.auth.<relation>.<path> and
//     @request.body.<relation>.<path> reach the rows with the ids the
//     value holds; comparisons joined by && share those rows as they
//     share a relation's.
//   - strftime(format, time, modifier...) is SQLite's strftime in UTC:
//     conversions %d %e %f %F %G %g %H %I %j %k %l %m %M %p %P %R %s %S
//     %T %u %U %V %w %W %Y %%; time a date (a field, also through
//     relations, a macro, or text such as '2024-01-15' or 'now'), a
//     number (a Julian day, or seconds since 1970 after 'unixepoch') or
//     omitted (now); modifiers '±N days|hours|minutes|seconds|months|
//     years', 'start of day|month|year', 'weekday N', 'unixepoch' and 'utc'
//     (the server's zone is UTC). A null or invalid time, one outside the
//     years 1 to 9999, or an unknown conversion (%J too) gives ” (never
//     null), as in PocketBase.
//   - geoDistance(lonA, latA, lonB, latB) is the great-circle distance in
//     kilometres (haversine, radius 6371 km, as PocketBase) between points
//     given as numbers, number fields, json values holding numbers (a
//     geoPoint's lon and lat) or null (then the distance is null). Its
//     cosine is clamped to [-1, 1], so that equal points are 0 km apart
//     even where rounding takes it past 1 (SQLite's acos answers null
//     there). Through a multi relation one combination of rows must
//     satisfy the comparison, as in PocketBase.
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
