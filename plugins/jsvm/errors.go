package jsvm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

// errorsPrelude defines PocketBase's error classes. A handler throws one
// to answer with its status and message.
const errorsPrelude = `
class ApiError extends Error {
	constructor(status, message, data) {
		super(message || "Something went wrong while processing your request.");
		this.name = "ApiError";
		this.status = (status|0) || 400;
		this.data = data || {};
	}
}
class BadRequestError extends ApiError {
	constructor(message, data) { super(400, message || "Something went wrong while processing your request.", data); this.name = "BadRequestError"; }
}
class UnauthorizedError extends ApiError {
	constructor(message, data) { super(401, message || "Missing or invalid authentication.", data); this.name = "UnauthorizedError"; }
}
class ForbiddenError extends ApiError {
	constructor(message, data) { super(403, message || "You are not allowed to perform this request.", data); this.name = "ForbiddenError"; }
}
class NotFoundError extends ApiError {
	constructor(message, data) { super(404, message || "The requested resource wasn't found.", data); this.name = "NotFoundError"; }
}
class TooManyRequestsError extends ApiError {
	constructor(message, data) { super(429, message || "Too Many Requests.", data); this.name = "TooManyRequestsError"; }
}
class InternalServerError extends ApiError {
	constructor(message, data) { super(500, message || "Something went wrong while processing your request.", data); this.name = "InternalServerError"; }
}
// ValidationError(code, message) is a field's error in an ApiError's data.
class ValidationError {
	constructor(code, message) { this.code = code || ""; this.message = message || ""; }
	toString() { return this.message; }
}
globalThis.ValidationError = ValidationError;
globalThis.ApiError = ApiError;
globalThis.BadRequestError = BadRequestError;
globalThis.UnauthorizedError = UnauthorizedError;
globalThis.ForbiddenError = ForbiddenError;
globalThis.NotFoundError = NotFoundError;
globalThis.TooManyRequestsError = TooManyRequestsError;
globalThis.InternalServerError = InternalServerError;
`

// genericMessage answers a script error that is not an ApiError.
const genericMessage = "Something went wrong while processing your request."

// fail turns what a script threw into the error a request answers:
//   - an ApiError (BadRequestError, …): its status, message and data;
//   - an error of the server passing through the script (a failed
//     $app.save, a later hook's refusal): that error, as Lumbung answers
//     it;
//   - a script out of time: a 400 saying so;
//   - anything else: a 400 with a generic message, the script's message
//     and place logged — never a stack in the answer.
func fail(r *runner, err error) error {
	if err == nil {
		return nil
	}
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		r.log.Error("JS hook interrupted: it ran longer than the time limit", "at", where(&intr.Exception), "timeout", r.cfg.timeoutText())
		return collections.Errorf(collections.EINVALID, "The hook script ran longer than %s and was stopped.", r.cfg.timeoutText())
	}
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		if domain(err) {
			return err
		}
		r.log.Error("JS hook failed", "err", err)
		return collections.Errorf(collections.EINVALID, genericMessage)
	}
	if inner := ex.Unwrap(); inner != nil {
		if domain(inner) {
			return inner
		}
		var deeper *goja.Exception
		if errors.As(inner, &deeper) || errors.As(inner, &intr) {
			return fail(r, inner)
		}
		var own scriptError
		if errors.As(inner, &own) {
			r.log.Error("JS hook failed", "at", where(ex), "err", inner)
			return collections.Errorf(collections.EINVALID, genericMessage)
		}
		// The server's own failure, passing through the script: answered as
		// the server answers it (a logged 500, a 503 while the database is
		// away).
		r.log.Error("JS hook: the server failed under it", "at", where(ex), "err", inner)
		return inner
	}
	if e := apiError(ex.Value()); e != nil {
		return e
	}
	r.log.Error("JS hook failed", "at", where(ex), "err", valueText(ex.Value()))
	return collections.Errorf(collections.EINVALID, genericMessage)
}

// domain reports whether err is answered as it says: a domain error or
// an HTTP status.
func domain(err error) bool {
	var de *collections.Error
	var fe *fiber.Error
	return errors.As(err, &de) || errors.As(err, &fe)
}

// apiError returns the error an ApiError thrown as v answers with, nil
// when v is not one.
func apiError(v goja.Value) error {
	obj, ok := v.(*goja.Object)
	if !ok || obj == nil {
		return nil
	}
	isAPI := false
	for p := obj.Prototype(); p != nil; p = p.Prototype() {
		if c := p.Get("constructor"); c != nil {
			if co, ok := c.(*goja.Object); ok && co.Get("name") != nil && co.Get("name").String() == "ApiError" {
				isAPI = true
				break
			}
		}
	}
	if !isAPI {
		return nil
	}
	status := int(obj.Get("status").ToInteger())
	msg := obj.Get("message").String()
	var fields map[string]collections.FieldError
	if d, ok := obj.Get("data").Export().(map[string]any); ok {
		for k, v := range d {
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			code, _ := m["code"].(string)
			text, _ := m["message"].(string)
			if fields == nil {
				fields = map[string]collections.FieldError{}
			}
			fields[k] = collections.FieldError{Code: code, Message: text}
		}
	}
	code := ""
	switch status {
	case 400:
		code = collections.EINVALID
	case 401:
		code = collections.EUNAUTHORIZED
	case 403:
		code = collections.EFORBIDDEN
	case 404:
		code = collections.ENOTFOUND
	case 409:
		code = collections.ECONFLICT
	case 413:
		code = collections.ETOOLARGE
	case 429:
		code = collections.ETOOMANY
	}
	if code == "" {
		if status < 400 || status > 599 {
			status = 400
		}
		return fiber.NewError(status, msg)
	}
	return &collections.Error{Code: code, Message: msg, Data: fields}
}

// where returns the script position an exception was thrown at, as
// file:line:column.
func where(ex *goja.Exception) string {
	for _, f := range ex.Stack() {
		if p := f.Position(); p.Filename != "" {
			return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
		}
	}
	return "?"
}

// describe is an error of loading a script for the log: its message and
// place, without the stack.
func describe(err error) string {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return where(ex) + ": " + valueText(ex.Value())
	}
	return err.Error()
}

// valueText is a thrown value's message.
func valueText(v goja.Value) string {
	if v == nil {
		return "undefined"
	}
	if obj, ok := v.(*goja.Object); ok {
		if m := obj.Get("message"); m != nil && !goja.IsUndefined(m) {
			name := "Error"
			if n := obj.Get("name"); n != nil && !goja.IsUndefined(n) {
				name = n.String()
			}
			return name + ": " + m.String()
		}
	}
	return strings.TrimSpace(v.String())
}

// errorObject is err as a script reads an event's error: an Error with
// its message, Lumbung's error code (such as "invalid") and the field
// errors of an invalid record in data.
func (st *vmState) errorObject(err error) goja.Value {
	message, data := err.Error(), map[string]any{}
	var ce *collections.Error
	if errors.As(err, &ce) {
		message = ce.Message
		for k, fe := range ce.Data {
			data[k] = map[string]any{"code": fe.Code, "message": fe.Message}
		}
	}
	obj, verr := st.vm.New(st.vm.Get("Error"), st.vm.ToValue(message))
	if verr != nil {
		return st.vm.ToValue(message)
	}
	obj.Set("code", collections.ErrorCode(err))
	obj.Set("data", st.toJSValue(data))
	return obj
}
