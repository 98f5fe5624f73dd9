package api

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

// statusOf maps the error vocabulary to HTTP statuses. It is the only place
// that does.
func statusOf(code string) int {
	switch code {
	case collections.EINVALID:
		return fiber.StatusBadRequest
	case collections.ENOTFOUND:
		return fiber.StatusNotFound
	case collections.ECONFLICT:
		return fiber.StatusConflict
	case collections.EFORBIDDEN:
		return fiber.StatusForbidden
	case collections.EUNAUTHORIZED:
		return fiber.StatusUnauthorized
	case collections.ETOOLARGE:
		return fiber.StatusRequestEntityTooLarge
	case collections.ETOOMANY:
		return fiber.StatusTooManyRequests
	case collections.EUNAVAILABLE:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

// errorBody is PocketBase's error response.
type errorBody struct {
	Status  int            `json:"status"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

// batchError reports which sub-request of a batch failed.
type batchError struct {
	index    int
	response errorBody
}

func (e *batchError) Error() string { return "batch request failed: " + e.response.Message }

// unavailableMessage answers requests while the database cannot be
// reached.
const unavailableMessage = "The database is unavailable right now; try again in a moment."

// retryAfter is the Retry-After of a 503, in seconds.
const retryAfter = "1"

// toBody turns any error into the response body and status. Errors that
// unavailable says mean the database cannot be reached are a 503; other
// unknown errors are logged with the request id and answered with a
// generic message.
func toBody(c *fiber.Ctx, log *slog.Logger, unavailable func(error) bool, err error) errorBody {
	var (
		be   *batchError
		fe   *fiber.Error
		de   *collections.Error
		body = errorBody{Data: map[string]any{}}
	)
	switch {
	case errors.As(err, &be):
		body.Status, body.Message = fiber.StatusBadRequest, "Batch transaction failed."
		body.Data["requests"] = map[string]any{
			itoa(be.index): map[string]any{
				"code": "batch_request_failed", "message": "Batch request failed.",
				"response": be.response,
			},
		}
	case errors.As(err, &de):
		body.Status, body.Message = statusOf(de.Code), de.Message
		for k, v := range de.Data {
			nest(body.Data, strings.Split(k, "."), v)
		}
	case errors.As(err, &fe):
		body.Status, body.Message = fe.Code, fiberMessage(fe)
	case unavailable != nil && unavailable(err):
		body.Status, body.Message = fiber.StatusServiceUnavailable, unavailableMessage
	default:
		body.Status = fiber.StatusInternalServerError
	}
	if body.Status == fiber.StatusServiceUnavailable {
		log.Warn("database unavailable", "requestId", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		c.Set(fiber.HeaderRetryAfter, retryAfter)
		return body
	}
	if body.Status >= 500 {
		log.Error("request failed", "requestId", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		body.Message = collections.ErrorMessage(nil)
		body.Data = map[string]any{}
	}
	return body
}

// nest stores v under a dotted path ("fields.3.name") as nested objects,
// the shape PocketBase gives errors of nested input.
func nest(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

func fiberMessage(fe *fiber.Error) string {
	switch fe.Code {
	case fiber.StatusNotFound:
		return "The requested resource wasn't found."
	case fiber.StatusRequestEntityTooLarge:
		return "The request body is too large."
	case fiber.StatusMethodNotAllowed:
		return "Method not allowed."
	}
	return fe.Message
}

// ErrorHandler writes every error returned by a handler as PocketBase's
// error JSON. unavailable (optional) recognizes errors that mean the
// database cannot be reached.
func ErrorHandler(log *slog.Logger, unavailable func(error) bool) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		if mfa := (*mfaRequired)(nil); errors.As(err, &mfa) {
			return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"mfaId": mfa.id})
		}
		body := toBody(c, log, unavailable, err)
		return c.Status(body.Status).JSON(body)
	}
}
