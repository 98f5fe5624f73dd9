package server

import (
	"context"

	"github.com/lumbunghq/lumbung/collections"
)

// ReadCollections returns the collections of the database cfg names, as
// a superuser sees them, in creation order. Like UpsertSuperuser it works
// whether or not a server runs on the same data directory.
func ReadCollections(ctx context.Context, cfg Config) ([]*collections.Collection, error) {
	cfg.defaults()
	s, err := open(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	defer s.Close(context.WithoutCancel(ctx))
	return s.svc.Collections(), nil
}
