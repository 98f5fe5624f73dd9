package collections

import "fmt"

func init() {
	RegisterFieldType("relation", func() FieldOptions { return &RelationOptions{} })
}

// RelationOptions configures a reference to records of another collection.
// Single relations are a foreign key column; MaxSelect above 1 makes a
// multi-relation, kept as an ordered text[] of ids.
type RelationOptions struct {
	CollectionID  string `json:"collectionId"`
	CascadeDelete bool   `json:"cascadeDelete"`
	MinSelect     int    `json:"minSelect"`
	MaxSelect     int    `json:"maxSelect"`
}

// Multi reports whether the field holds several ids.
func (o *RelationOptions) Multi() bool { return o.MaxSelect > 1 }

// Storage implements FieldOptions.
func (o *RelationOptions) Storage() Storage {
	if o.Multi() {
		return StorageTextArray
	}
	return StorageRef
}

// Check implements FieldOptions. The target may be given by id or name; it is
// stored by id. PocketBase's well-known ids (_pb_users_auth_ for the users
// collection, pbc_3142635823 for _superusers…) name the collections of
// those names when no collection has the id.
func (o *RelationOptions) Check(s Lookup, c *Collection, _ *Field) *FieldError {
	target, _ := relationTarget(s, c, o.CollectionID)
	if target == nil {
		return &FieldError{Option: "collectionId", Code: "validation_missing_collection", Message: fmt.Sprintf("Unknown target collection %q.", o.CollectionID)}
	}
	if target.Type == TypeView {
		return &FieldError{Option: "collectionId", Code: "validation_view_relation", Message: "Relations cannot target view collections."}
	}
	o.CollectionID = target.ID
	if o.MaxSelect < 1 {
		o.MaxSelect = 1
	}
	if o.MinSelect < 0 || o.MinSelect > o.MaxSelect {
		return &FieldError{Option: "minSelect", Code: "validation_invalid_range", Message: "minSelect must be between 0 and maxSelect."}
	}
	return nil
}

// Prepare implements FieldOptions. Existence of the ids is checked by the
// store (foreign key or lookup) in the writing transaction.
func (o *RelationOptions) Prepare(v any) (any, *FieldError) {
	list, ferr := toStringList(v)
	if ferr != nil {
		return nil, ferr
	}
	if !o.Multi() && len(list) > 1 {
		list = list[len(list)-1:] // the last one given counts, as in PocketBase
	}
	for _, id := range list {
		if len(id) > 100 {
			return nil, &FieldError{Code: "validation_invalid_value", Message: "Invalid record id."}
		}
	}
	if !o.Multi() {
		if len(list) == 0 {
			return "", nil
		}
		return list[0], nil
	}
	if len(list) > o.MaxSelect {
		return nil, &FieldError{Code: "validation_too_many_values", Message: fmt.Sprintf("Select no more than %d.", o.MaxSelect)}
	}
	if len(list) > 0 && len(list) < o.MinSelect {
		return nil, &FieldError{Code: "validation_not_enough_values", Message: fmt.Sprintf("Select at least %d.", o.MinSelect)}
	}
	return list, nil
}
