package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

// Multi-factor sign-in, as PocketBase runs it: when the collection's MFA
// applies to the record, a first sign-in method answers 401 with an mfaId
// instead of a token; a second, different method sent with that mfaId
// (in the body or the query) within the MFA duration completes the
// sign-in. Any two of password, OTP and OAuth2 will do.

// mfaRequired is the answer of a first sign-in method: 401 {"mfaId"}
// (written by ErrorHandler).
type mfaRequired struct{ id string }

func (e *mfaRequired) Error() string { return "a second sign-in method is required" }

// signInMethod is the method the request signs in with, named after its
// route ("" when it is no sign-in).
func signInMethod(c *fiber.Ctx) string {
	switch contextOf(c) {
	case collections.ContextPassword:
		return collections.MethodPassword
	case collections.ContextOAuth2:
		return collections.MethodOAuth2
	case collections.ContextOTP:
		return collections.MethodOTP
	}
	return ""
}

func invalidMFA() error {
	return collections.Errorf(collections.EINVALID, "Invalid or expired MFA session.")
}

// passwordSum is the key sum of the record's password hash, which MFA
// sessions and origins keep: a new password ends them.
func passwordSum(rec *collections.Record) string {
	hash, _ := rec.Data["password"].(string)
	return collections.KeySum(hash)
}

// secondFactor runs the MFA step of a sign-in of rec with method: nil when
// the sign-in may complete, an *mfaRequired after a first method, or the
// reason a second one is refused.
func (h *handlers) secondFactor(c *fiber.Ctx, col *collections.Collection, rec *collections.Record, method string) error {
	if method == "" {
		return nil
	}
	ctx := c.UserContext()
	want, err := h.Collections.SystemRecords().WantsMFA(ctx, col, rec)
	if err != nil {
		// As PocketBase: a rule that cannot be evaluated refuses.
		h.Logger.Warn("MFA rule failed", "requestId", requestID(c), "collection", col.Name, "err", err)
		return collections.Errorf(collections.EINVALID, "Failed to authenticate.")
	}
	if !want {
		return nil
	}
	mfaID := c.Query("mfaId")
	if mfaID == "" {
		var in struct {
			MFAID string `json:"mfaId"`
		}
		if len(c.Body()) > 0 {
			if err := json.Unmarshal(c.Body(), &in); err != nil {
				return collections.Errorf(collections.EINVALID, "Failed to read MFA Id.")
			}
		}
		mfaID = in.MFAID
	}
	opts := authOptions(col)
	now := h.Now().UTC()
	if mfaID == "" {
		m := &collections.MFA{ID: collections.NewID(), CollectionID: col.ID, RecordID: rec.ID(), Method: method,
			KeySum: passwordSum(rec), Created: now}
		if err := h.Sessions.CreateMFA(ctx, m); err != nil {
			return err
		}
		return &mfaRequired{id: m.ID}
	}
	m, err := h.Sessions.MFA(ctx, mfaID)
	if collections.ErrorCode(err) == collections.ENOTFOUND {
		return invalidMFA()
	} else if err != nil {
		return err
	}
	forget := func() {
		if _, err := h.Sessions.DeleteMFA(ctx, m.ID); err != nil {
			h.Logger.Warn("delete MFA session", "requestId", requestID(c), "err", err)
		}
	}
	if m.Expired(seconds(opts.MFA.Duration), now) {
		forget()
		return invalidMFA()
	}
	if m.RecordID != rec.ID() || m.CollectionID != col.ID {
		return collections.Errorf(collections.EINVALID, "Invalid MFA session.")
	}
	// A new password ends the sessions begun before, as PocketBase
	// deletes them.
	if m.KeySum != passwordSum(rec) {
		forget()
		return invalidMFA()
	}
	if m.Method == method {
		return collections.Errorf(collections.EINVALID, "A different authentication method is required.")
	}
	// Of two concurrent completions, one deletes the session and signs in.
	if used, err := h.Sessions.DeleteMFA(ctx, m.ID); err != nil {
		return err
	} else if !used {
		return invalidMFA()
	}
	return nil
}
