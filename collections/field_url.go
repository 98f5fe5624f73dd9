package collections

import "net/url"

func init() {
	RegisterFieldType("url", func() FieldOptions { return &URLOptions{} })
}

// URLOptions configures a URL field.
type URLOptions struct {
	ExceptDomains []string `json:"exceptDomains"`
	OnlyDomains   []string `json:"onlyDomains"`
}

// Storage implements FieldOptions.
func (o *URLOptions) Storage() Storage { return StorageText }

// Check implements FieldOptions.
func (o *URLOptions) Check(Lookup, *Collection, *Field) *FieldError {
	return checkDomainLists(o.ExceptDomains, o.OnlyDomains)
}

// Prepare implements FieldOptions.
func (o *URLOptions) Prepare(v any) (any, *FieldError) {
	s, ferr := toText(v)
	if ferr != nil || s == "" {
		return s, ferr
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" || len(s) > 2048 {
		return nil, &FieldError{Code: "validation_invalid_url", Message: "Must be a valid url."}
	}
	if ferr := checkDomain(u.Hostname(), o.ExceptDomains, o.OnlyDomains); ferr != nil {
		return nil, &FieldError{Code: "validation_url_domain_not_allowed", Message: "URL domain is not allowed."}
	}
	return s, nil
}
