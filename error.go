package taxsms

import (
	"errors"
	"fmt"
)

// Error codes. They are the only errors a user (a page, an API client, an
// import report) is shown; any other error is internal, logged and never shown.
const (
	ECONFLICT     = "conflict"     // a unique value is taken, or the state forbids the act
	EFORBIDDEN    = "forbidden"    // the actor may not do this
	EINTERNAL     = "internal"     // anything else
	EINVALID      = "invalid"      // bad input; the message names the field
	ENOTFOUND     = "not_found"    // no such thing in the actor's scope
	EUNAUTHORIZED = "unauthorized" // no valid credentials
)

// Error is an error that may be shown to a user.
type Error struct {
	Code    string // one of the E… codes
	Field   string // the input field at fault, when there is one
	Message string // human-readable; names the field and the value's problem
}

// Error returns the message: it is written for people.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error about one field. The message is prefixed
// with the field's name, so every caller names what was wrong the same way.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, "" for nil
// and EINTERNAL for anything else.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err if it is (or wraps) an *Error, and
// "Internal error." for anything else, so internal details never leak.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the field named by err, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
