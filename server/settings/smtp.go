package settings

import lmail "github.com/lumbunghq/lumbung/server/mail"

// Config returns how to reach the SMTP server the settings name.
func (s SMTP) Config() lmail.SMTPConfig {
	return lmail.SMTPConfig{Host: s.Host, Port: s.Port, TLS: s.TLSMode, Username: s.Username, Password: s.Password, AuthMethod: s.AuthMethod}
}
