package command

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server"
)

// typegen writes the TypeScript types of the collections of cfg's
// database to out ("" or "-": stdout).
func typegen(ctx context.Context, cfg server.Config, out string, stdout io.Writer) error {
	cols, err := server.ReadCollections(ctx, cfg)
	if err != nil {
		return err
	}
	if out == "" || out == "-" {
		return writeTypes(stdout, cols)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := writeTypes(f, cols); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

const typesHeader = `// The record types of this server's collections, for the pocketbase SDK:
//
//	const pb = new PocketBase(url) as TypedPocketBase;
//	const posts = await pb.collection("posts").getList(1, 20); // PostsRecord items
//	const one = await new PocketBase(url).collection<PostsRecord>("posts").getOne(id);
//
// Written by "lumbung typegen"; run it again after the schema changes.

import type PocketBase from "pocketbase";
import type { RecordModel, RecordService } from "pocketbase";

/** A date as records carry it: "2006-01-02 15:04:05.000Z" (UTC), "" when unset. */
export type DateString = string;
/** The id of a record. */
export type RecordIdString = string;
/** The name of a file kept by a record, served at /api/files/{collection}/{record id}/{name}. */
export type FileNameString = string;
/** The value of a geoPoint field. */
export interface GeoPoint {
	lon: number;
	lat: number;
}

/** BaseRecord is what every record has. */
export interface BaseRecord {
	id: RecordIdString;
	collectionId: string;
	collectionName: string;
	expand?: { [relation: string]: unknown };
}
`

// writeTypes writes a TypeScript module with one record interface per
// collection (every field a superuser reads, hidden ones optional), the
// CollectionRecords map and TypedPocketBase.
func writeTypes(w io.Writer, cols []*collections.Collection) error {
	cols = slices.Clone(cols)
	slices.SortFunc(cols, func(a, b *collections.Collection) int { return strings.Compare(a.Name, b.Name) })
	names := typeNames(cols)
	byID := map[string]*collections.Collection{}
	for _, c := range cols {
		byID[c.ID] = c
	}
	b := bufio.NewWriter(w)
	b.WriteString(typesHeader)
	for _, c := range cols {
		name := names[c.ID]
		fmt.Fprintf(b, "\n/** %sRecord is a record of the %s collection %s. */\n", name, c.Type, c.Name)
		fmt.Fprintf(b, "export interface %sRecord extends BaseRecord {\n", name)
		fmt.Fprintf(b, "\tcollectionId: %s;\n\tcollectionName: %s;\n", tsString(c.ID), tsString(c.Name))
		var expand []string
		for _, f := range c.Fields {
			if f.Secret(c) {
				continue
			}
			optional := ""
			switch {
			case f.Hidden:
				optional = "?"
				b.WriteString("\t/** Hidden: only superusers read it. */\n")
			case c.Type == collections.TypeAuth && f.Name == "email":
				optional = "?"
				b.WriteString("\t/** Left out of other records unless their emailVisibility is set. */\n")
			}
			fmt.Fprintf(b, "\t%s%s: %s;\n", tsKey(f.Name), optional, tsType(f))
			if o, ok := f.Options.(*collections.RelationOptions); ok && byID[o.CollectionID] != nil {
				t := names[o.CollectionID] + "Record"
				if o.Multi() {
					t += "[]"
				}
				expand = append(expand, fmt.Sprintf("%s?: %s", tsKey(f.Name), t))
			}
		}
		if len(expand) > 0 {
			fmt.Fprintf(b, "\texpand?: { %s; [relation: string]: unknown };\n", strings.Join(expand, "; "))
		}
		b.WriteString("}\n")
	}
	b.WriteString("\n/** CollectionRecords maps the name of each collection to the type of its records. */\nexport interface CollectionRecords {\n")
	for _, c := range cols {
		fmt.Fprintf(b, "\t%s: %sRecord;\n", tsKey(c.Name), names[c.ID])
	}
	b.WriteString("}\n")
	b.WriteString(`
/** CollectionName is the name of a collection. */
export type CollectionName = keyof CollectionRecords;

/**
 * TypedPocketBase is a PocketBase client whose collection(name) knows the
 * record type of each collection: new PocketBase(url) as TypedPocketBase.
 */
export interface TypedPocketBase extends PocketBase {
	collection<K extends CollectionName>(idOrName: K): RecordService<CollectionRecords[K]>;
	collection<M = RecordModel>(idOrName: string): RecordService<M>;
}
`)
	return b.Flush()
}

// typeNames names each collection's types in PascalCase ("_superusers"
// and "superusers" both read Superusers: the later one gets a number).
func typeNames(cols []*collections.Collection) map[string]string {
	out, taken := map[string]string{}, map[string]bool{}
	for _, c := range cols {
		base := pascal(c.Name)
		name := base
		for n := 2; taken[name]; n++ {
			name = base + strconv.Itoa(n)
		}
		taken[name] = true
		out[c.ID] = name
	}
	return out
}

func pascal(s string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r := []rune(word)
		b.WriteString(strings.ToUpper(string(r[0])) + string(r[1:]))
	}
	if b.Len() == 0 || unicode.IsDigit([]rune(b.String())[0]) {
		return "C" + b.String()
	}
	return b.String()
}

var tsIdent = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

func tsKey(name string) string {
	if tsIdent.MatchString(name) {
		return name
	}
	return tsString(name)
}

func tsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// tsType is the TypeScript type of f's values in records.
func tsType(f *collections.Field) string {
	many := func(t string, multi bool) string {
		if !multi {
			return t
		}
		if strings.Contains(t, "|") {
			return "Array<" + t + ">"
		}
		return t + "[]"
	}
	switch o := f.Options.(type) {
	case *collections.NumberOptions:
		return "number"
	case *collections.BoolOptions:
		return "boolean"
	case *collections.DateOptions, *collections.AutodateOptions:
		return "DateString"
	case *collections.SelectOptions:
		var values []string
		for _, v := range o.Values {
			values = append(values, tsString(v))
		}
		if len(values) == 0 {
			values = []string{"string"}
		}
		if !o.Multi() {
			values = append(values, `""`)
		}
		return many(strings.Join(values, " | "), o.Multi())
	case *collections.JSONOptions:
		return "unknown"
	case *collections.RelationOptions:
		return many("RecordIdString", o.Multi())
	case *collections.FileOptions:
		return many("FileNameString", o.Multi())
	case *collections.GeoPointOptions:
		return "GeoPoint"
	}
	switch f.Storage() {
	case collections.StorageNumber:
		return "number"
	case collections.StorageBool:
		return "boolean"
	case collections.StorageJSON:
		return "unknown"
	case collections.StorageTextArray:
		return "string[]"
	}
	return "string"
}
