package collections

// Scaffold returns what a new collection of type typ (base, auth or view)
// starts from before it is named: the system fields, default options,
// rules and indexes that Normalize gives a new collection, with no id and
// no name, as PocketBase's collection scaffolds. Index names carry a
// random suffix so that two scaffolds saved alike do not clash.
func Scaffold(typ string) *Collection {
	c := &Collection{ID: NewCollectionID(), Type: typ, Fields: []*Field{}, Indexes: []string{}}
	// The blank name (and a view's blank query) fail validation; the
	// defaults are filled in all the same, and they are what is wanted.
	_ = Normalize(emptyLookup{}, nil, c)
	c.ID = ""
	return c
}

// emptyLookup is a Lookup with nothing in it: a scaffold refers to no
// other collection.
type emptyLookup struct{}

func (emptyLookup) Collection(string) (*Collection, bool) { return nil, false }
