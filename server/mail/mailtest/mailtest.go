// Package mailtest runs a real SMTP server on loopback that keeps the
// messages it receives, for tests of code that sends mail.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received email, parsed.
type Message struct {
	From    string   // envelope sender
	To      []string // envelope recipients
	Raw     []byte
	Header  mail.Header
	Subject string // decoded
	Text    string // the text/plain part, decoded
	HTML    string // the text/html part, decoded
	// Auth is the username the client signed in with, if any.
	Auth string
}

// Options configure a Sink.
type Options struct {
	// Username and Password, when set, are required to send (AUTH PLAIN or
	// LOGIN).
	Username, Password string
	// TLS is "" (plain, no STARTTLS offered), "starttls" or "tls"
	// (implicit), with a self-signed certificate for 127.0.0.1.
	TLS string
}

// Sink is a running SMTP server.
type Sink struct {
	opts      Options
	srv       *smtp.Server
	addr      *net.TCPAddr
	messages  chan Message
	clientTLS *tls.Config

	mu  sync.Mutex
	all []Message
}

// Start runs a Sink on 127.0.0.1 until the test ends.
func Start(tb testing.TB, opts ...Options) *Sink {
	tb.Helper()
	s := &Sink{messages: make(chan Message, 100)}
	if len(opts) > 0 {
		s.opts = opts[0]
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{sink: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.ErrorLog = quietLog{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("mailtest: %v", err)
	}
	if s.opts.TLS != "" {
		cert, pool := selfSigned(tb)
		s.clientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		switch s.opts.TLS {
		case "starttls":
			s.srv.TLSConfig = serverTLS
		case "tls":
			ln = tls.NewListener(ln, serverTLS)
		default:
			tb.Fatalf("mailtest: unknown TLS mode %q", s.opts.TLS)
		}
	}
	s.addr = ln.Addr().(*net.TCPAddr)
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
	tb.Cleanup(func() { s.srv.Close() })
	return s
}

// Host is the address the Sink listens on.
func (s *Sink) Host() string { return s.addr.IP.String() }

// Port is the port the Sink listens on.
func (s *Sink) Port() int { return s.addr.Port }

// Addr is host:port.
func (s *Sink) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

// ClientTLS trusts the Sink's certificate (nil without TLS).
func (s *Sink) ClientTLS() *tls.Config { return s.clientTLS }

// Next returns the next message received, failing the test if none arrives
// within 10 seconds (a hang guard; nothing measures speed).
func (s *Sink) Next(tb testing.TB) Message {
	tb.Helper()
	select {
	case m := <-s.messages:
		return m
	case <-time.After(10 * time.Second):
		tb.Fatalf("mailtest: no message arrived")
		return Message{}
	}
}

// Received returns every message received so far.
func (s *Sink) Received() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.all...)
}

func (s *Sink) add(m Message) {
	s.mu.Lock()
	s.all = append(s.all, m)
	s.mu.Unlock()
	select {
	case s.messages <- m:
	default:
	}
}

type session struct {
	sink *Sink
	auth string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.sink.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.sink.opts.Username || pass != ss.sink.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.auth = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.opts.Username != "" && ss.auth == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unparsable message: " + err.Error()}
	}
	m.From, m.To, m.Auth = ss.from, ss.to, ss.auth
	ss.sink.add(m)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if len(resp) > 0 { // initial response carries the username
			l.user, l.step = string(resp), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user, l.step = string(resp), 2
		return []byte("Password:"), false, nil
	}
	return nil, true, l.check(l.user, string(resp))
}

// Parse reads a raw message: headers, and the text and HTML parts of a
// single-part or multipart body, with transfer encodings undone.
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	out := Message{Raw: raw, Header: msg.Header}
	dec := new(mime.WordDecoder)
	if out.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Message{}, err
	}
	err = readPart(&out, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return out, err
}

func readPart(out *Message, contentType, encoding string, body io.Reader) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readPart(out, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		return errors.New("base64 parts are not expected")
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mediaType {
	case "text/plain":
		out.Text = string(b)
	case "text/html":
		out.HTML = string(b)
	}
	return nil
}

func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailtest"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

type quietLog struct{}

func (quietLog) Printf(string, ...any) {}
func (quietLog) Println(...any)        {}
