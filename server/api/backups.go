package api

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/backup"
	"github.com/lumbunghq/lumbung/server/storage"
)

// Backups are the database's backups, as /api/backups serves them (see
// backup.Manager).
type Backups interface {
	Create(ctx context.Context, name string) (string, error)
	List(ctx context.Context) ([]backup.Info, error)
	Open(ctx context.Context, name string) (storage.Object, backup.Info, error)
	Delete(ctx context.Context, name string) error
	Upload(ctx context.Context, name string, r io.Reader) error
	Restore(ctx context.Context, name string) error
	Busy(ctx context.Context) (bool, error)
}

var _ Backups = (*backup.Manager)(nil)

// backupTimeout bounds a backup or a restore, which may take longer than
// the request timeout of ordinary requests.
const backupTimeout = 30 * time.Minute

func (h *handlers) backupRoutes() []Route {
	if h.Backups == nil {
		return nil
	}
	return []Route{
		{Method: fiber.MethodGet, Path: "/backups", Access: Superusers, Handler: h.listBackups, Summary: "List the backups"},
		{Method: fiber.MethodPost, Path: "/backups", Access: Superusers, Handler: h.createBackup, Summary: "Back the database up"},
		{Method: fiber.MethodPost, Path: "/backups/upload", Access: Superusers, Handler: h.uploadBackup, Summary: "Upload a backup"},
		{Method: fiber.MethodGet, Path: "/backups/:key", Access: Public, Handler: h.downloadBackup, Summary: "Download a backup with a superuser's file token"},
		{Method: fiber.MethodDelete, Path: "/backups/:key", Access: Superusers, Handler: h.deleteBackup, Summary: "Delete a backup"},
		{Method: fiber.MethodPost, Path: "/backups/:key/restore", Access: Superusers, Handler: h.restoreBackup, Summary: "Restore the database from a backup"},
	}
}

type backupInfo struct {
	Key      string `json:"key"`
	Size     int64  `json:"size"`
	Modified string `json:"modified"`
}

func (h *handlers) listBackups(c *fiber.Ctx) error {
	list, err := h.Backups.List(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]backupInfo, len(list))
	for i, b := range list {
		out[i] = backupInfo{Key: b.Key, Size: b.Size, Modified: b.Modified.UTC().Format("2006-01-02 15:04:05.000Z")}
	}
	return c.JSON(out)
}

func (h *handlers) createBackup(c *fiber.Ctx) error {
	var body struct {
		Name string `json:"name"`
	}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c.Body(), &body); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), backupTimeout)
	defer cancel()
	if _, err := h.Backups.Create(ctx, body.Name); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// maxBackupUpload bounds an uploaded backup (superusers only).
const maxBackupUpload = 1 << 40

// uploadBackup stores the multipart "file" as a backup named as the
// client named it; the body streams to a temporary file first.
func (h *handlers) uploadBackup(c *fiber.Ctx) error {
	missing := collections.Invalid("An error occurred while validating the submitted data.", map[string]collections.FieldError{
		"file": {Code: "validation_required", Message: "Missing required value."}})
	if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		return missing
	}
	form, err := h.readForm(c, func(name string) (int64, bool) { return maxBackupUpload, name == "file" }, maxBackupUpload+int64(h.BodyLimit))
	if err != nil {
		return err
	}
	files := form.files["file"]
	if len(files) == 0 {
		return missing
	}
	f, err := files[0].Open()
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), backupTimeout)
	defer cancel()
	if err := h.Backups.Upload(ctx, files[0].OriginalName, f); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// downloadBackup serves a backup to the holder of a superuser's file
// token (?token=), as PocketBase does: the SDK's getDownloadURL links it.
func (h *handlers) downloadBackup(c *fiber.Ctx) error {
	rec, _, err := h.Auth.Resolve(c.UserContext(), c.Query("token"), auth.TypeFile)
	if err != nil || rec.Collection.Name != collections.SuperusersName {
		if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
			return err
		}
		return collections.Errorf(collections.EFORBIDDEN, "Insufficient permissions to access the resource.")
	}
	// The body is sent after the handler returns: the backup is read
	// under a context of its own, ended when it is closed.
	readCtx, endRead := context.WithTimeout(context.WithoutCancel(c.UserContext()), fileReadLimit)
	f, info, err := h.Backups.Open(readCtx, c.Params("key"))
	if err != nil {
		endRead()
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+info.Key+`"`)
	c.Context().SetBodyStream(&endingObject{Object: f, end: endRead}, int(info.Size))
	return nil
}

func (h *handlers) deleteBackup(c *fiber.Ctx) error {
	if err := h.Backups.Delete(c.UserContext(), c.Params("key")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) restoreBackup(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), backupTimeout)
	defer cancel()
	if err := h.Backups.Restore(ctx, c.Params("key")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
