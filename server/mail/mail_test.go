package mail_test

import (
	"context"
	"net/mail"
	"strings"
	"testing"
	"time"

	lmail "github.com/lumbunghq/lumbung/server/mail"
	"github.com/lumbunghq/lumbung/server/mail/mailtest"
)

func message() *lmail.Message {
	return &lmail.Message{
		From:    mail.Address{Name: "Acme Support", Address: "support@acme.test"},
		To:      []mail.Address{{Name: "Ada", Address: "ada@example.com"}},
		Subject: "Vérifiez votre adresse",
		HTML:    `<p>Hello,</p><p>Click <a href="http://app.test/_/#/auth/confirm-verification/abc.def.ghi">Verify</a> &amp; enjoy.</p>`,
	}
}

func TestSMTPSend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts mailtest.Options
		tls  string
		auth string
	}{
		{name: "plain", opts: mailtest.Options{}, tls: lmail.TLSNone},
		{name: "plain with auth on loopback", opts: mailtest.Options{Username: "u", Password: "p"}, tls: lmail.TLSNone},
		{name: "starttls with auth", opts: mailtest.Options{TLS: "starttls", Username: "u", Password: "p"}, tls: lmail.TLSStartTLS},
		{name: "implicit tls with login auth", opts: mailtest.Options{TLS: "tls", Username: "u", Password: "p"}, tls: lmail.TLSImplicit, auth: "LOGIN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := mailtest.Start(t, tc.opts)
			m := &lmail.SMTP{
				Config:    lmail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), TLS: tc.tls, Username: tc.opts.Username, Password: tc.opts.Password, AuthMethod: tc.auth},
				TLSConfig: sink.ClientTLS(),
			}
			if err := m.Send(context.Background(), message()); err != nil {
				t.Fatalf("send: %v", err)
			}
			got := sink.Next(t)
			if got.From != "support@acme.test" || len(got.To) != 1 || got.To[0] != "ada@example.com" {
				t.Errorf("envelope: from %q to %v", got.From, got.To)
			}
			if got.Auth != tc.opts.Username {
				t.Errorf("signed in as %q, want %q", got.Auth, tc.opts.Username)
			}
			if got.Subject != "Vérifiez votre adresse" {
				t.Errorf("subject %q", got.Subject)
			}
			if from := got.Header.Get("From"); !strings.Contains(from, "Acme Support") || !strings.Contains(from, "<support@acme.test>") {
				t.Errorf("From header %q", from)
			}
			for _, h := range []string{"Date", "Message-Id", "Mime-Version"} {
				if got.Header.Get(h) == "" {
					t.Errorf("missing header %s", h)
				}
			}
			if !strings.Contains(got.HTML, `href="http://app.test/_/#/auth/confirm-verification/abc.def.ghi"`) {
				t.Errorf("html part: %q", got.HTML)
			}
			if !strings.Contains(got.Text, "Verify (http://app.test/_/#/auth/confirm-verification/abc.def.ghi)") || !strings.Contains(got.Text, "& enjoy") {
				t.Errorf("text part: %q", got.Text)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	t.Parallel()
	sink := mailtest.Start(t, mailtest.Options{Username: "u", Password: "right"})
	send := func(cfg lmail.SMTPConfig) error {
		return (&lmail.SMTP{Config: cfg, Timeout: 10 * time.Second}).Send(context.Background(), message())
	}
	err := send(lmail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), TLS: lmail.TLSNone, Username: "u", Password: "s3cret-wrong"})
	if err == nil || strings.Contains(err.Error(), "s3cret-wrong") {
		t.Fatalf("wrong password: %v", err)
	}
	if err := send(lmail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), TLS: lmail.TLSStartTLS}); err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Fatalf("starttls required but not offered: %v", err)
	}
	if err := send(lmail.SMTPConfig{Host: sink.Host(), Port: sink.Port(), TLS: lmail.TLSNone}); err == nil {
		t.Fatal("sent without the required sign-in")
	}
	if err := send(lmail.SMTPConfig{Host: "mail.invalid", Port: 25, TLS: lmail.TLSNone, Username: "u", Password: "p"}); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("credentials over plain text to a remote server: %v", err)
	}
	if len(sink.Received()) != 0 {
		t.Fatalf("received %d messages", len(sink.Received()))
	}
}

func TestMessageHeadersRejectLineBreaks(t *testing.T) {
	m := message()
	m.Subject = "hi\r\nBcc: victim@example.com"
	if _, err := m.Bytes(time.Unix(0, 0)); err == nil {
		t.Fatal("subject with a line break accepted")
	}
}

func TestHTMLToText(t *testing.T) {
	got := lmail.HTMLToText("<style>p{}</style><p>Hello,</p>\n<p>Line<br/>two &lt;3</p><a href=\"x\">x</a>")
	want := "Hello,\nLine\ntwo <3\nx"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
