//go:build !unix

package localpg

import (
	"context"
	"errors"
)

// Start reports that the embedded PostgreSQL is not supported on this system.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	return nil, errors.New("localpg: the embedded PostgreSQL needs Linux or another Unix; set DATABASE_URL to an external PostgreSQL server")
}

// Stop does nothing on this system.
func (s *Server) Stop(ctx context.Context) error { return nil }
