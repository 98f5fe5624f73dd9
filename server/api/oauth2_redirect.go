package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The OAuth2 all-in-one flow of the pocketbase SDK (authWithOAuth2 with a
// provider name): the client opens a realtime stream, subscribes to
// "@oauth2", and sends the user to the provider with the stream's client id
// as the state and /api/oauth2-redirect as the redirect URL. The provider
// sends the user's browser (a popup) back here with the code; the code
// goes to the stream named by the state, and the client completes the
// sign-in with auth-with-oauth2.

func (h *handlers) oauth2Routes() []Route {
	return []Route{
		{"GET", oauth2RedirectPath, Public, h.oauth2Redirect, "Pass an OAuth2 provider's answer to the realtime client that asked."},
		// Providers answering with response_mode=form_post (Apple) POST here.
		{"POST", oauth2RedirectPath, Public, h.oauth2Redirect, "Pass an OAuth2 provider's form_post answer to the realtime client."},
		{"GET", "/collections/meta/oauth2-providers", Superusers, h.oauth2Providers, "List the OAuth2 provider presets."},
		{"POST", "/settings/apple/generate-client-secret", Superusers, h.appleClientSecret, "Make an Apple client secret from a signing key."},
	}
}

const (
	oauth2RedirectPath = "/oauth2-redirect"
	// oauth2Topic is the realtime topic the redirect's message goes to.
	oauth2Topic = "@oauth2"
)

// oauth2RedirectData is the message a stream subscribed to @oauth2 gets:
// PocketBase's {state, code, error}.
type oauth2RedirectData struct {
	State string `json:"state"`
	Code  string `json:"code"`
	Error string `json:"error,omitempty"`
	// AppleUser is the "user" Apple posts on a first sign-in.
	AppleUser string `json:"-"`
}

// oauth2Redirect hands the provider's answer to the realtime client whose
// id is the state, once: only a stream subscribed to @oauth2 and opened
// from the same client address gets it, and its subscription ends with it.
// The answer is a page that closes the popup, saying whether the sign-in
// may go on (200 either way, as PocketBase answers without its dashboard).
func (h *handlers) oauth2Redirect(c *fiber.Ctx) error {
	data := h.oauth2RedirectInput(c)
	sent := false
	if data.State != "" && h.Realtime != nil {
		msg, err := json.Marshal(data)
		if err == nil {
			ip := h.clientIP(c)
			sent = h.sendMessage(data.State, ip, oauth2Topic, msg)
			if !sent && !h.holdsClient(data.State) {
				// Behind a load balancer the client may be on another node.
				sent = h.relay(c.UserContext(), data.State, relayMessage, relayedMessage{IP: ip, Topic: oauth2Topic, Data: msg}) == nil
			}
		}
	}
	if sent && data.Error == "" && data.Code != "" && data.AppleUser != "" {
		h.oauth2Names.put(data.Code, data.AppleUser, h.Now())
	}
	if !sent || data.Error != "" || data.Code == "" {
		return oauth2Page(c, "Failed to authenticate. You can close this window and go back to the app to try again.")
	}
	return oauth2Page(c, "Auth completed. You can close this window and go back to the app.")
}

// oauth2RedirectInput reads state, code and error from the query of a GET,
// or from the body of a POST (form-encoded, multipart or JSON). A body that
// does not read leaves them empty: the flow fails, it is no 4xx for the
// popup to show.
func (h *handlers) oauth2RedirectInput(c *fiber.Ctx) oauth2RedirectData {
	if c.Method() != fiber.MethodPost {
		return oauth2RedirectData{State: c.Query("state"), Code: c.Query("code"), Error: c.Query("error")}
	}
	var data oauth2RedirectData
	ct, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	switch ct {
	case fiber.MIMEApplicationJSON:
		var in struct {
			oauth2RedirectData
			User string `json:"user"`
		}
		if err := json.Unmarshal(c.Body(), &in); err != nil {
			return oauth2RedirectData{}
		}
		data, data.AppleUser = in.oauth2RedirectData, in.User
	case fiber.MIMEMultipartForm:
		form, err := c.MultipartForm()
		if err != nil {
			return data
		}
		first := func(k string) string {
			if v := form.Value[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		data = oauth2RedirectData{State: first("state"), Code: first("code"), Error: first("error"), AppleUser: first("user")}
	default:
		q, err := url.ParseQuery(string(c.Body()))
		if err != nil {
			return data
		}
		data = oauth2RedirectData{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"), AppleUser: q.Get("user")}
	}
	// Fiber's strings live in its buffers; the message outlives the request.
	return oauth2RedirectData{State: strings.Clone(data.State), Code: strings.Clone(data.Code), Error: strings.Clone(data.Error),
		AppleUser: strings.Clone(data.AppleUser)}
}

// oauth2CloseScript closes the popup the SDK opened; its hash is the only
// script the page's Content-Security-Policy allows.
const oauth2CloseScript = "window.close();"

var oauth2PageCSP = func() string {
	sum := sha256.Sum256([]byte(oauth2CloseScript))
	return "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// oauth2Page answers the popup with text and closes it.
func oauth2Page(c *fiber.Ctx, text string) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Security-Policy", oauth2PageCSP)
	c.Set("Referrer-Policy", "no-referrer")
	return c.SendString(`<!doctype html><html><head><meta charset="utf-8"><title>OAuth2</title></head>` +
		`<body style="font-family:sans-serif;text-align:center;padding:2em"><p>` + text + `</p>` +
		`<script>` + oauth2CloseScript + `</script></body></html>`)
}

// loggedURL is the URL a request is kept under in the request log: the
// OAuth2 redirect's query carries the provider's code, so it is left out.
func loggedURL(c *fiber.Ctx) string {
	if c.Path() == "/api"+oauth2RedirectPath {
		return "/api" + oauth2RedirectPath
	}
	return strings.Clone(c.OriginalURL())
}
