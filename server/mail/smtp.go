package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLS modes of an SMTP connection.
const (
	TLSNone     = "none"     // plain text; credentials only to a loopback server
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which the server must offer
	TLSImplicit = "tls"      // TLS from the first byte (usually port 465)
)

// SMTPConfig is how to reach an SMTP server.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      string // TLSNone, TLSStartTLS (default) or TLSImplicit
	Username string
	Password string
	// AuthMethod is "PLAIN" (default) or "LOGIN".
	AuthMethod string
}

// SMTP sends mail through an SMTP server.
type SMTP struct {
	Config SMTPConfig
	// Timeout bounds one delivery (30 s when zero).
	Timeout time.Duration
	// TLSConfig, if set, is used for TLS connections (tests use it to trust
	// their own certificate); ServerName defaults to the host.
	TLSConfig *tls.Config
	// Now dates messages (time.Now when nil).
	Now func() time.Time
}

var _ Mailer = (*SMTP)(nil)

// Send delivers m. Errors name the server and the step that failed, never
// the credentials.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	cfg := s.Config
	if cfg.Host == "" || cfg.Port <= 0 {
		return errors.New("smtp: no server configured")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	data, err := m.Bytes(now())
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	fail := func(step string, err error) error { return fmt.Errorf("smtp %s: %s: %w", addr, step, err) }

	mode := strings.ToLower(cfg.TLS)
	switch mode {
	case "":
		mode = TLSStartTLS
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return fmt.Errorf("smtp: unknown TLS mode %q", cfg.TLS)
	}
	if cfg.Username != "" && mode == TLSNone && !isLoopback(cfg.Host) {
		return fmt.Errorf("smtp %s: refusing to send credentials over an unencrypted connection; use starttls or tls", addr)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail("connect", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline) //nolint:errcheck // best effort: the context still bounds the dial
	}
	tlsCfg := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tlsCfg = s.TLSConfig.Clone()
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = cfg.Host
		}
	}
	var c *smtp.Client
	switch mode {
	case TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, tlsCfg))
	case TLSNone:
		c = smtp.NewClient(conn)
	default:
		if c, err = smtp.NewClientStartTLS(conn, tlsCfg); err != nil {
			return fail("starttls", err)
		}
	}
	defer c.Close()
	if cfg.Username != "" {
		var auth sasl.Client
		switch strings.ToUpper(cfg.AuthMethod) {
		case "LOGIN":
			auth = sasl.NewLoginClient(cfg.Username, cfg.Password)
		case "", "PLAIN":
			auth = sasl.NewPlainClient("", cfg.Username, cfg.Password)
		default:
			return fmt.Errorf("smtp: unknown auth method %q", cfg.AuthMethod)
		}
		if err := c.Auth(auth); err != nil {
			return fail("auth", err)
		}
	}
	if err := c.SendMail(m.From.Address, m.Recipients(), strings.NewReader(string(data))); err != nil {
		return fail("send", err)
	}
	// The server has accepted the message: a failed goodbye changes nothing.
	c.Quit() //nolint:errcheck
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
