// Package mail builds and sends email: a Mailer interface, MIME messages
// with an HTML and a plain text part, and an SMTP implementation.
package mail

import (
	"context"
	"net/mail"
)

// Message is one email. Text is derived from HTML when empty.
type Message struct {
	From    mail.Address
	To      []mail.Address
	Subject string
	HTML    string
	Text    string
	// Headers are extra headers, such as Reply-To.
	Headers map[string]string
}

// Mailer sends messages.
type Mailer interface {
	Send(ctx context.Context, m *Message) error
}
