package api

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// Sign-in with a one-time password, as PocketBase's request-otp and
// auth-with-otp (routes in auth.go).

const (
	// maxRecentOTPs unexpired OTPs of one record at most: past them,
	// request-otp answers with the newest again and sends nothing.
	maxRecentOTPs = 10
	// maxOTPAttempts wrong codes end an OTP (PocketBase limits a record's
	// attempts in time only; an OTP may live a day).
	maxOTPAttempts = 5
	// PocketBase's extra limit on the attempts at a record's OTPs,
	// whatever the client address: otpRecordLimit per otpRecordWindow.
	otpRecordLimit  = 5
	otpRecordWindow = 180 * time.Second
)

func invalidOTP() error { return collections.Errorf(collections.EINVALID, "Invalid or expired OTP.") }

func otpDisabled() error {
	return collections.Errorf(collections.EFORBIDDEN, "The collection is not configured to allow OTP authentication.")
}

// requestOTP emails a one-time password to the record with the email and
// answers its id. An unknown email gets an id too, and no email, so that
// the answer tells nothing.
func (h *handlers) requestOTP(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	opts := authOptions(col)
	if !opts.OTP.Enabled {
		return otpDisabled()
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	checkEmail(col, errs, "email", in.Email)
	if _, failed := errs["email"]; !failed && utf8.RuneCountInString(in.Email) > 255 {
		errs["email"] = collections.FieldError{Code: "validation_length_out_of_range", Message: "The length must be between 1 and 255."}
	}
	if err := invalidInput(errs); err != nil {
		return err
	}
	rec, err := h.findForEmail(c, col, in.Email)
	if err != nil {
		return err
	}
	if rec == nil {
		return c.JSON(fiber.Map{"otpId": collections.NewID()})
	}
	ctx := c.UserContext()
	now := h.Now().UTC()
	recent, err := h.Sessions.RecentOTPs(ctx, col.ID, rec.ID(), now.Add(-seconds(opts.OTP.Duration)))
	if err != nil {
		return err
	}
	if len(recent) >= maxRecentOTPs {
		h.Logger.Warn("too many OTP requests: answering the last issued", "requestId", requestID(c), "collection", col.Name, "record", rec.ID())
		return c.JSON(fiber.Map{"otpId": recent[0].ID})
	}
	email, _ := rec.Data["email"].(string)
	tokenKey, _ := rec.Data["tokenKey"].(string)
	code := auth.NewCode(opts.OTP.Length)
	otp := &collections.OTP{
		ID: collections.NewID(), CollectionID: col.ID, RecordID: rec.ID(), SentTo: email,
		KeySum: collections.KeySum(tokenKey), Created: now,
	}
	otp.CodeHash = h.Issuer.CodeHash(otp.ID, code)
	if err := h.Sessions.CreateOTP(ctx, otp); err != nil {
		return err
	}
	h.sendLater(ctx, "otp", opts.OTP.EmailTemplate, rec, email, "", "{OTP}", code, "{OTP_ID}", otp.ID)
	return c.JSON(fiber.Map{"otpId": otp.ID})
}

// authWithOTP signs in with an OTP's id and code. Every failure is the same
// 400, whether the id is unknown, of another collection, expired, used or
// the code wrong. A record's OTPs take otpRecordLimit attempts per
// otpRecordWindow (429), and an OTP maxOTPAttempts wrong codes.
func (h *handlers) authWithOTP(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	opts := authOptions(col)
	if !opts.OTP.Enabled {
		return otpDisabled()
	}
	var in struct {
		OTPID    string `json:"otpId"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	required(errs, "otpId", in.OTPID)
	required(errs, "password", in.Password)
	if _, blank := errs["otpId"]; !blank && utf8.RuneCountInString(in.OTPID) > 255 {
		errs["otpId"] = collections.FieldError{Code: "validation_length_out_of_range", Message: "The length must be between 1 and 255."}
	}
	if _, blank := errs["password"]; !blank && utf8.RuneCountInString(in.Password) > 71 {
		errs["password"] = collections.FieldError{Code: "validation_length_out_of_range", Message: "The length must be between 1 and 71."}
	}
	if err := invalidInput(errs); err != nil {
		return err
	}
	ctx := c.UserContext()
	otp, err := h.Sessions.OTP(ctx, col.ID, in.OTPID)
	if collections.ErrorCode(err) == collections.ENOTFOUND {
		return invalidOTP()
	} else if err != nil {
		return err
	}
	if otp.Expired(seconds(opts.OTP.Duration), h.Now()) {
		return invalidOTP()
	}
	rec, err := h.Collections.SystemRecords().Get(ctx, col, otp.RecordID)
	if collections.ErrorCode(err) == collections.ENOTFOUND {
		return invalidOTP()
	} else if err != nil {
		return err
	}
	// A new token key (password reset, email change) ends the OTPs
	// issued before, as PocketBase deletes them.
	if tokenKey, _ := rec.Data["tokenKey"].(string); collections.KeySum(tokenKey) != otp.KeySum {
		return invalidOTP()
	}
	if wait, err := h.otpRecordLimited(c, col, rec.ID()); err != nil {
		return err
	} else if wait > 0 {
		c.Set(fiber.HeaderRetryAfter, itoa(auth.RetryAfterSeconds(wait)))
		return collections.Errorf(collections.ETOOMANY, "Too many attempts, please try again later with a new OTP.")
	}
	tried, err := h.Sessions.AttemptOTP(ctx, otp.ID)
	if collections.ErrorCode(err) == collections.ENOTFOUND {
		return invalidOTP()
	} else if err != nil {
		return err
	}
	if tried >= maxOTPAttempts || !h.Issuer.CheckCode(otp.ID, in.Password, otp.CodeHash) {
		return invalidOTP()
	}
	// Of two concurrent uses, one deletes the OTP and signs in.
	if used, err := h.Sessions.UseOTP(ctx, otp.ID); err != nil {
		return err
	} else if !used {
		return invalidOTP()
	}
	if rec, err = h.verifyByOTP(c, col, rec, otp); err != nil {
		return err
	}
	if err := h.checkSignIn(c, col, rec); err != nil {
		return err
	}
	return h.sendAuth(c, rec, auth.Claims{Type: auth.TypeAuth, Refreshable: true}, seconds(opts.AuthToken.Duration))
}

// otpRecordLimited counts an attempt at the OTPs of a record and returns
// how long to wait when there were too many (0: go ahead).
func (h *handlers) otpRecordLimited(c *fiber.Ctx, col *collections.Collection, recordID string) (time.Duration, error) {
	if h.RateCounter == nil {
		return 0, nil
	}
	sum := sha256.Sum256([]byte("otp\x00" + col.ID + "\x00" + recordID))
	now := h.Now()
	end, hits, err := h.RateCounter.Hit(c.UserContext(), "otp:"+hex.EncodeToString(sum[:]), otpRecordWindow, now)
	if err != nil || hits <= otpRecordLimit {
		return 0, err
	}
	return end.Sub(now), nil
}

// verifyByOTP marks the record verified when the OTP went to its current
// email, as PocketBase does, before any second factor is asked for. Unless
// the collection has MFA, the password is replaced by a random one too:
// whoever set it before the address was proven (an account made in the
// owner's name) can no longer use it. It returns the record as stored.
func (h *handlers) verifyByOTP(c *fiber.Ctx, col *collections.Collection, rec *collections.Record, otp *collections.OTP) (*collections.Record, error) {
	email, _ := rec.Data["email"].(string)
	if verified, _ := rec.Data["verified"].(bool); verified || otp.SentTo == "" || !strings.EqualFold(email, otp.SentTo) {
		return rec, nil
	}
	ctx := c.UserContext()
	recs := h.Collections.SystemRecords()
	var err error
	if authOptions(col).MFA.Enabled {
		err = recs.MarkVerified(ctx, col, rec.ID())
	} else {
		err = recs.ResetPassword(ctx, col, rec.ID(), collections.NewID()+collections.NewID())
	}
	if err != nil {
		return nil, err
	}
	h.Auth.Forget(col.ID, rec.ID())
	return recs.Get(ctx, col, rec.ID())
}
