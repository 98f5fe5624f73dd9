package api

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Apple sends the user's name only once, on the first sign-in, and only in
// the form it POSTs to the redirect URL ("user": {"name": {"firstName",
// "lastName"}}), not in its ID token. As PocketBase does, the redirect keeps
// the name for a minute under the code, and auth-with-oauth2 with that code
// takes it. It is kept on the node that got the redirect.

// oauth2NameTTL is how long a name waits for its auth-with-oauth2.
const oauth2NameTTL = time.Minute

// oauth2NamesMax bounds the names kept at once (each under a minute old).
const oauth2NamesMax = 10000

// oauth2Names keeps names posted to the redirect by code; the zero value
// is ready to use.
type oauth2Names struct {
	mu sync.Mutex
	m  map[string]oauth2Name
}

type oauth2Name struct {
	name    string
	expires time.Time
}

// put keeps the name in Apple's user JSON under code. Anything that does
// not read, or an empty name, is ignored.
func (n *oauth2Names) put(code, userJSON string, now time.Time) {
	if code == "" || userJSON == "" || len(code) > 1000 || len(userJSON) > 10000 {
		return
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(userJSON), &u) != nil {
		return
	}
	name := strings.TrimSpace(u.Name.FirstName + " " + u.Name.LastName)
	if r := []rune(name); len(r) > 150 {
		name = strings.TrimSpace(string(r[:150]))
	}
	if name == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = map[string]oauth2Name{}
	}
	for k, v := range n.m {
		if !now.Before(v.expires) {
			delete(n.m, k)
		}
	}
	if len(n.m) >= oauth2NamesMax {
		return
	}
	n.m[code] = oauth2Name{name: name, expires: now.Add(oauth2NameTTL)}
}

// take returns and forgets the name kept under code ("" for none).
func (n *oauth2Names) take(code string, now time.Time) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	v, ok := n.m[code]
	delete(n.m, code)
	if !ok || !now.Before(v.expires) {
		return ""
	}
	return v.name
}
