package collections

func init() {
	RegisterFieldType("autodate", func() FieldOptions { return &AutodateOptions{} })
}

// AutodateOptions configures a date set by the server on create and/or
// update. Clients cannot write it.
type AutodateOptions struct {
	OnCreate bool `json:"onCreate"`
	OnUpdate bool `json:"onUpdate"`
}

// Storage implements FieldOptions.
func (o *AutodateOptions) Storage() Storage { return StorageTime }

// Check implements FieldOptions.
func (o *AutodateOptions) Check(_ Lookup, _ *Collection, f *Field) *FieldError {
	if !o.OnCreate && !o.OnUpdate {
		return &FieldError{Option: "onCreate", Code: "validation_autodate_required", Message: "Set onCreate, onUpdate or both."}
	}
	f.Required = false
	return nil
}

// Prepare implements FieldOptions. Client values are ignored by the service;
// Prepare only exists to satisfy the interface for imports of raw data.
func (o *AutodateOptions) Prepare(v any) (any, *FieldError) {
	return (&DateOptions{}).Prepare(v)
}
