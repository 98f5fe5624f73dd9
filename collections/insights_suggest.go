package collections

import (
	"cmp"
	"slices"
	"strconv"
)

// IndexSuggestion proposes an index for a field that list requests
// often filter or sort on and that no index leads with. Index is written
// as the collection's indexes hold them, to be added through the normal
// collection update (planned first, then applied).
type IndexSuggestion struct {
	Field          string
	Filters, Sorts int // sampled list requests filtering, sorting on Field
	Index          string
}

// MinSuggestUses is how many of the sampled list requests must filter or
// sort on a field before an index on it is suggested.
const MinSuggestUses = 5

// SuggestIndexes proposes an index for each field of c that at least
// MinSuggestUses of samples filter or sort on, when the field's values
// suit a B-tree (not multi-valued, JSON, long editor text or passwords)
// and no index leads with it: not one of c's indexes, nor any whose first
// column leading names (the table's indexes in the database). The most
// used fields come first.
func SuggestIndexes(c *Collection, samples []ListSample, leading map[string]bool) []IndexSuggestion {
	filters, sorts := map[string]int{}, map[string]int{}
	for _, s := range samples {
		for _, f := range uniq(s.FilterFields) {
			filters[f]++
		}
		for _, f := range uniq(s.SortFields) {
			sorts[f]++
		}
	}
	covered := map[string]bool{"id": true}
	for f := range leading {
		covered[f] = true
	}
	names := map[string]bool{}
	for _, s := range c.Indexes {
		ix, err := ParseIndex(s)
		if err != nil {
			continue
		}
		names[ix.Name] = true
		if len(ix.Columns) > 0 && !ix.Columns[0].NoCase {
			covered[ix.Columns[0].Name] = true
		}
	}
	var out []IndexSuggestion
	for _, f := range c.Fields {
		n, s := filters[f.Name], sorts[f.Name]
		if n+s < MinSuggestUses || covered[f.Name] || !indexable(f) {
			continue
		}
		ix := Index{Name: suggestedName(c.Name, f.Name, names), Columns: []IndexColumn{{Name: f.Name}}}
		names[ix.Name] = true
		out = append(out, IndexSuggestion{Field: f.Name, Filters: n, Sorts: s, Index: ix.String(c.Name)})
	}
	slices.SortStableFunc(out, func(a, b IndexSuggestion) int {
		return cmp.Compare(b.Filters+b.Sorts, a.Filters+a.Sorts)
	})
	return out
}

// indexable reports whether a B-tree index on f serves comparisons and
// sorts of its values.
func indexable(f *Field) bool {
	switch f.Type {
	case "password", "editor", "json", "geoPoint", "file":
		return false
	}
	switch f.Storage() {
	case StorageText, StorageNumber, StorageBool, StorageTime, StorageRef:
		return true
	}
	return false
}

// suggestedName is idx_<collection>_<field>, cut to PostgreSQL's 63
// bytes, with a number added when taken holds the name.
func suggestedName(collection, field string, taken map[string]bool) string {
	base := "idx_" + collection + "_" + field
	if len(base) > 59 {
		base = base[:59]
	}
	name := base
	for i := 2; taken[name]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

func uniq(fields []string) []string {
	if len(fields) < 2 {
		return fields
	}
	out := slices.Clone(fields)
	slices.Sort(out)
	return slices.Compact(out)
}
