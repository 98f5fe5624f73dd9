package server

import (
	"context"
	"html"
	"net/mail"
	"path/filepath"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/backup"
	backuppg "github.com/lumbunghq/lumbung/server/backup/postgres"
	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/settings"
)

// newBackups returns the backups of the node's database, kept in
// <Dir>/backups or in the bucket of the backups' S3 settings.
func (s *Server) newBackups() (*backup.Manager, error) {
	db, err := backuppg.New(s.db.Pool, s.dsn, "")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.cfg.Dir, "backups")
	kept := &settingsStorage{dir: dir, settings: s.settings, section: func(st settings.Settings) settings.S3 { return st.Backups.S3 }}
	return backup.New(backup.Config{
		Dir:          dir,
		Store:        kept.storage,
		Database:     db,
		AfterRestore: s.afterRestore,
		Files:        s.files.storage,
		Now:          s.cfg.Clock,
		Logger:       s.cfg.Logger,
	}), nil
}

// afterRestore brings a backup made by an older version up to date (its
// system schema migrated, as when a server starts) and reads everything
// the restore replaced at once on this node (the other nodes hear of it
// through the notifications the restore sends): the settings, the schema
// and the policies.
func (s *Server) afterRestore(ctx context.Context) error {
	if err := s.db.Migrate(ctx); err != nil {
		return err
	}
	return s.reloadShared(ctx)
}

// Backups returns the node's backups.
func (s *Server) Backups() *backup.Manager { return s.backups }

// OpenBackups returns the backups of the database cfg names, kept in
// <Dir>/backups, for commands: it attaches to the private PostgreSQL of
// a server running on the same data directory (or starts it until close
// is called). A restore made through it reaches running servers through
// the notifications the restore sends.
func OpenBackups(ctx context.Context, cfg Config) (m *backup.Manager, close func(), err error) {
	cfg.defaults()
	s, err := open(ctx, cfg, true)
	if err != nil {
		return nil, nil, err
	}
	// The settings say where backups and files are kept.
	s.settings = settings.New(postgres.NewParamStore(s.db), settings.Defaults(appURL(cfg.HTTPAddr)), cfg.Clock, cfg.Logger)
	s.files.settings = s.settings
	if m, err = s.newBackups(); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return m, func() { s.Close(context.WithoutCancel(ctx)) }, nil
}

// autoBackupJob is the cron job of automatic backups, PocketBase's id.
const autoBackupJob = "__pbAutoBackup__"

// scheduleBackups follows the backups settings: the automatic backup job
// runs at their cron, or not at all without one. Run calls it on start
// and whenever the settings change on any node.
func (s *Server) scheduleBackups(ctx context.Context) error {
	s.settings.Forget()
	st, err := s.settings.Get(ctx)
	if err != nil {
		return err
	}
	expr := st.Backups.Cron
	if expr == s.backupCron {
		return nil
	}
	s.cron.Remove(autoBackupJob)
	s.backupCron = ""
	if expr == "" {
		return nil
	}
	if err := s.cron.Add(autoBackupJob, expr, s.autoBackup); err != nil {
		return err
	}
	s.backupCron = expr
	return nil
}

// autoBackup makes an automatic backup and keeps the settings' number of
// them; when it fails, the superusers are told by mail (when SMTP is
// enabled), as PocketBase tells them.
func (s *Server) autoBackup(ctx context.Context) error {
	st, err := s.settings.Get(ctx)
	if err != nil {
		return err
	}
	name, err := s.backups.CreateAuto(ctx, st.Backups.CronMaxKeep)
	if err == nil {
		return nil
	}
	s.cfg.Logger.Error("automatic backup failed", "name", name, "err", err)
	if alertErr := s.alertSuperusers(ctx, st, "Automatic backup failed",
		"The automatic backup of "+st.Meta.AppName+" failed:\n\n"+err.Error()); alertErr != nil {
		s.cfg.Logger.Error("backup failure alert", "err", alertErr)
	}
	return err
}

// alertSuperusers mails every superuser (nothing when SMTP is off).
func (s *Server) alertSuperusers(ctx context.Context, st settings.Settings, subject, text string) error {
	if !st.SMTP.Enabled {
		return nil
	}
	col, err := s.svc.MustCollection(auth.SuperusersCollection)
	if err != nil {
		return err
	}
	page, err := s.svc.SystemRecords().List(ctx, col, collections.Query{PerPage: 1000, SkipTotal: true, Sort: "created"})
	if err != nil {
		return err
	}
	msg := &lmail.Message{From: mail.Address{Name: st.Meta.SenderName, Address: st.Meta.SenderAddress}, Subject: subject, Text: text,
		HTML: "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</p>"}
	for _, r := range page.Items {
		if email, _ := r.Get("email").(string); email != "" {
			msg.To = append(msg.To, mail.Address{Address: email})
		}
	}
	if len(msg.To) == 0 {
		return nil
	}
	return s.hooks.Mail.Mailer(&lmail.SMTP{Config: st.SMTP.Config(), Now: s.cfg.Clock}).Send(ctx, msg)
}
