package api

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/s3"
)

// s3View shows the S3 secret only as set or not, as the SMTP password.
type s3View struct {
	Enabled        bool   `json:"enabled"`
	Bucket         string `json:"bucket"`
	Region         string `json:"region"`
	Endpoint       string `json:"endpoint"`
	AccessKey      string `json:"accessKey"`
	SecretSet      bool   `json:"secretSet"`
	ForcePathStyle bool   `json:"forcePathStyle"`
}

func viewS3(s settings.S3) s3View {
	return s3View{Enabled: s.Enabled, Bucket: s.Bucket, Region: s.Region, Endpoint: s.Endpoint,
		AccessKey: s.AccessKey, SecretSet: s.Secret != "", ForcePathStyle: s.ForcePathStyle}
}

// keptSecret is the secret a settings patch leaves under key of section:
// a non-empty string sets it (next), null clears it, and "" or no key
// keeps the current one.
func keptSecret(section map[string]json.RawMessage, key, cur, next string) string {
	raw, ok := section[key]
	switch {
	case !ok || string(raw) == `""`:
		return cur
	case string(raw) == "null":
		return ""
	}
	return next
}

// s3TestTimeout bounds POST /api/settings/test/s3.
const s3TestTimeout = 30 * time.Second

// testS3 checks the saved S3 settings as PocketBase's
// POST /api/settings/test/s3 does: {"filesystem": "storage"} (the files'
// bucket) or "backups" (the backups') connects, writes, reads, lists and
// deletes a small test file, and answers 204 or 400 with the reason
// (never the secret).
func (h *handlers) testS3(c *fiber.Ctx) error {
	var in struct {
		Filesystem string `json:"filesystem"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Filesystem != "storage" && in.Filesystem != "backups" {
		return collections.Invalid("Failed to test the S3 filesystem.", map[string]collections.FieldError{
			"filesystem": {Code: "validation_in_invalid", Message: `Must be "storage" or "backups".`},
		})
	}
	st, err := h.Settings.Get(c.UserContext())
	if err != nil {
		return err
	}
	cfg := st.S3
	if in.Filesystem == "backups" {
		cfg = st.Backups.S3
	}
	if !cfg.Enabled {
		return collections.Errorf(collections.EINVALID, "Failed to test the S3 filesystem: S3 %s is not enabled.", in.Filesystem)
	}
	fs, err := s3.New(cfg.Config())
	if err == nil {
		ctx, cancel := context.WithTimeout(c.UserContext(), s3TestTimeout)
		err = storage.Probe(ctx, fs)
		cancel()
	}
	if err != nil {
		h.Logger.Warn("S3 test failed", "requestId", requestID(c), "err", scrub(err.Error(), cfg.Secret))
		return collections.Errorf(collections.EINVALID, "Failed to test the S3 filesystem: %s", scrub(err.Error(), cfg.Secret))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// scrub replaces secret in msg.
func scrub(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "***")
}
