package api

import (
	"crypto/md5" //nolint:gosec // PocketBase's origin fingerprint, not a secret
	"encoding/hex"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

// maxAuthOrigins origins are kept per record, the most recently used.
const maxAuthOrigins = 5

// originFingerprint is PocketBase's fingerprint of where a request comes
// from: the MD5 of the client address and the user agent (cut to 200
// characters and "..."), in hex; and the alert's description of it.
func (h *handlers) originFingerprint(c *fiber.Ctx) (fingerprint, info string) {
	ip := h.clientIP(c)
	ua := c.Get(fiber.HeaderUserAgent)
	if len(ua) > 200 {
		ua = ua[:200] + "..."
	}
	sum := md5.Sum([]byte(ip + ua)) //nolint:gosec // see above
	return hex.EncodeToString(sum[:]), collections.FormatDate(h.Now()) + " - " + ip + " " + ua
}

// alertNewOrigin records where a sign-in of rec comes from and, as
// PocketBase does, emails the record (with the collection's authAlert
// template) when it is a place it has not signed in from before — not on
// its first sign-in ever, nor after a password change, which forgets the
// places known. Failures are logged: they never fail the sign-in.
func (h *handlers) alertNewOrigin(c *fiber.Ctx, col *collections.Collection, rec *collections.Record) {
	opts := authOptions(col)
	if !opts.AuthAlert.Enabled {
		return
	}
	if err := h.saveOrigin(c, col, rec, opts.AuthAlert.EmailTemplate); err != nil {
		h.Logger.Warn("new-location alert", "requestId", requestID(c), "collection", col.Name, "record", rec.ID(), "err", err)
	}
}

func (h *handlers) saveOrigin(c *fiber.Ctx, col *collections.Collection, rec *collections.Record, tpl collections.EmailTemplate) error {
	ctx := c.UserContext()
	fingerprint, info := h.originFingerprint(c)
	origins, err := h.Sessions.AuthOrigins(ctx, col.ID, rec.ID())
	if err != nil {
		return err
	}
	sum := passwordSum(rec)
	var known []*collections.AuthOrigin
	var stale []string
	for _, o := range origins {
		if o.KeySum == sum {
			known = append(known, o)
		} else {
			stale = append(stale, o.ID)
		}
	}
	var current *collections.AuthOrigin
	for _, o := range known {
		if o.Fingerprint == fingerprint {
			current = o
			break
		}
	}
	now := h.Now().UTC()
	if current == nil {
		if email, _ := rec.Data["email"].(string); len(known) > 0 && email != "" {
			h.sendLater(ctx, "auth alert", tpl, rec, email, "", "{ALERT_INFO}", info)
		}
		if len(known) >= maxAuthOrigins {
			for _, o := range known[maxAuthOrigins-1:] {
				stale = append(stale, o.ID)
			}
		}
		current = &collections.AuthOrigin{ID: collections.NewID(), CollectionID: col.ID, RecordID: rec.ID(), Fingerprint: fingerprint, Created: now}
	}
	if err := h.Sessions.DeleteAuthOrigins(ctx, stale); err != nil {
		return err
	}
	current.KeySum, current.Updated = sum, now
	return h.Sessions.SaveAuthOrigin(ctx, current)
}
