package api_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// A collection created through one node is there on another at once,
// before its notification arrives (the second node here has no listener
// at all): a name the cache does not know sends the node to the database
// when the schema has moved on, and only then.
func TestNewCollectionReachesOtherNodeAtOnce(t *testing.T) {
	t.Parallel()
	var dsn string
	a := MustEnv(t, func(cfg *server.Config) { dsn = cfg.DatabaseURL })
	srv, err := server.New(context.Background(), server.Config{DatabaseURL: dsn, PasswordCost: 4, MaxConns: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	b := &env{tb: t, srv: srv, token: a.token, events: recordHooks(srv)}

	a.MustJSON("POST", "/api/collections", "", `{"name": "notes", "createRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	b.Run(t, []scenario{
		{Name: "a guest writes through the other node", Method: "POST", URL: "/api/collections/notes/records", Token: "-",
			Body: `{"title": "hello"}`, ExpectedStatus: 200, ExpectedContent: []string{`"title":"hello"`}},
		{Name: "an unknown collection is still a 404", Method: "GET", URL: "/api/collections/nothing/records", Token: "-",
			ExpectedStatus: 404},
	})
}
