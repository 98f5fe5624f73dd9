// Package cluster holds the cluster suite, run by `make test-cluster`:
// three `lumbung serve` processes (the built binary, named by
// LUMBUNG_BIN) on one private PostgreSQL, reached over loopback by a
// client that spreads its requests round-robin over them, as a load
// balancer does. The scenarios check that the nodes behave as one server,
// that a node killed under load loses no acknowledged write and no
// realtime event, and that a PostgreSQL restart under load is answered
// with 503s and then recovered from.
//
// The tests carry the build tag "cluster", so `go test ./...` leaves them
// out:
//
//	make build
//	LUMBUNG_BIN=$PWD/bin/lumbung go test -tags cluster -v ./server/cluster
package cluster
