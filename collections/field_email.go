package collections

import (
	"net/mail"
	"strings"
)

func init() {
	RegisterFieldType("email", func() FieldOptions { return &EmailOptions{} })
}

// EmailOptions configures an email address field.
type EmailOptions struct {
	ExceptDomains []string `json:"exceptDomains"`
	OnlyDomains   []string `json:"onlyDomains"`
}

// Storage implements FieldOptions.
func (o *EmailOptions) Storage() Storage { return StorageText }

// Check implements FieldOptions.
func (o *EmailOptions) Check(Lookup, *Collection, *Field) *FieldError {
	return checkDomainLists(o.ExceptDomains, o.OnlyDomains)
}

// Prepare implements FieldOptions.
func (o *EmailOptions) Prepare(v any) (any, *FieldError) {
	s, ferr := toText(v)
	if ferr != nil || s == "" {
		return s, ferr
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || len(s) > 255 {
		return nil, &FieldError{Code: "validation_is_email", Message: "Must be a valid email address."}
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	return s, checkDomain(domain, o.ExceptDomains, o.OnlyDomains)
}

func checkDomainLists(except, only []string) *FieldError {
	if len(except) > 0 && len(only) > 0 {
		return &FieldError{Option: "onlyDomains", Code: "validation_invalid_domains", Message: "Set either exceptDomains or onlyDomains, not both."}
	}
	return nil
}

func checkDomain(domain string, except, only []string) *FieldError {
	domain = strings.ToLower(domain)
	for _, d := range except {
		if strings.EqualFold(d, domain) {
			return &FieldError{Code: "validation_email_domain_not_allowed", Message: "Domain is not allowed."}
		}
	}
	if len(only) == 0 {
		return nil
	}
	for _, d := range only {
		if strings.EqualFold(d, domain) {
			return nil
		}
	}
	return &FieldError{Code: "validation_email_domain_not_allowed", Message: "Domain is not allowed."}
}
