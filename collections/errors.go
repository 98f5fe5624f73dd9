package collections

import (
	"errors"
	"fmt"
)

// Error codes. They are the project's one error vocabulary: every package
// reports failures a user can act on with one of these, and the HTTP layer maps
// them to statuses in a single place.
const (
	EINVALID      = "invalid"      // the input is wrong; the message (and Data) says how
	ENOTFOUND     = "not_found"    // the thing asked for does not exist (or may not be seen)
	ECONFLICT     = "conflict"     // the request clashes with existing state (duplicates, references)
	EFORBIDDEN    = "forbidden"    // the caller is known but may not do this
	EUNAUTHORIZED = "unauthorized" // the caller could not be identified
	ETOOLARGE     = "too_large"    // a body or value exceeds a limit
	ETOOMANY      = "too_many"     // rate limited
	EUNAVAILABLE  = "unavailable"  // the database cannot be reached now; try again shortly
	EINTERNAL     = "internal"     // a bug or an outage; the message is never shown to clients
)

// ErrSchemaChanged reports that a collection changed (a field renamed or
// dropped, the collection renamed or dropped) while a request used its old
// definition. Running the request again on the current schema gives the
// new schema's answer.
var ErrSchemaChanged = &Error{Code: ECONFLICT, Message: "The collection changed while the request ran; try again."}

// Error is a failure whose message is safe to show to API clients.
// Data carries per-field details, keyed by field name, as PocketBase does.
type Error struct {
	Code    string
	Message string
	Data    map[string]FieldError
}

// FieldError describes why one input field was rejected.
type FieldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Option names the field option at fault, for the errors of a field
	// definition's options; the error is then keyed fields.<i>.<option>.
	Option string `json:"-"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Data) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s %v", e.Message, e.Data)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error carrying per-field errors.
func Invalid(message string, fields map[string]FieldError) *Error {
	return &Error{Code: EINVALID, Message: message, Data: fields}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err if it is (or wraps) an
// *Error, else a generic message.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong while processing your request."
}
