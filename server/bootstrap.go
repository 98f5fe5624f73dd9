package server

import (
	"context"
	"fmt"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// bootstrap creates the system collections a new database needs.
func bootstrap(ctx context.Context, svc *collections.Service) error {
	if _, ok := svc.Collection(auth.SuperusersCollection); ok {
		return nil
	}
	c := &collections.Collection{Name: auth.SuperusersCollection, Type: collections.TypeAuth, System: true}
	_, err := svc.CreateCollection(ctx, c, collections.SaveOptions{Actor: "system"})
	if err != nil {
		// Another node may have created it first.
		if rerr := svc.Reload(ctx); rerr == nil {
			if _, ok := svc.Collection(auth.SuperusersCollection); ok {
				return nil
			}
		}
		return fmt.Errorf("create %s: %w", auth.SuperusersCollection, err)
	}
	return nil
}
