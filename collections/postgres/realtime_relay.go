package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RealtimeChannel is the NOTIFY channel that announces relayed realtime
// requests, and RealtimeAnswersChannel their answers (see
// RealtimeRequests).
const (
	RealtimeChannel        = "lumbung_realtime"
	RealtimeAnswersChannel = "lumbung_realtime_answers"
)

// RealtimeRequests are realtime requests relayed from the node that
// received them to the node holding the client's connection.
type RealtimeRequests struct{ db *DB }

// NewRealtimeRequests returns the relayed requests of db.
func NewRealtimeRequests(db *DB) *RealtimeRequests { return &RealtimeRequests{db: db} }

// RealtimeRequest is one relayed request.
type RealtimeRequest struct {
	ID       int64
	ClientID string
	Kind     string
	Request  []byte
}

// maxRequestAge is how old an unclaimed request may be and still be
// served: older ones were given up by the node that sent them.
const maxRequestAge = 10 * time.Second

// Send stores a request for client clientID and wakes every node; it
// returns the request's id.
func (s *RealtimeRequests) Send(ctx context.Context, clientID, kind string, request []byte) (int64, error) {
	var id int64
	err := s.db.Pool.QueryRow(ctx, `WITH r AS (INSERT INTO _realtime_requests (client_id, kind, request) VALUES ($1, $2, $3) RETURNING id)
		SELECT id FROM r, pg_notify($4, '')`, clientID, kind, request, RealtimeChannel).Scan(&id)
	if err != nil {
		return 0, translate(err, nil)
	}
	return id, nil
}

// Open returns the unclaimed requests sent in the last few seconds.
func (s *RealtimeRequests) Open(ctx context.Context) ([]RealtimeRequest, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, client_id, kind, request FROM _realtime_requests
		WHERE NOT claimed AND created > now() - make_interval(secs => $1) ORDER BY id`, maxRequestAge.Seconds())
	if err != nil {
		return nil, translate(err, nil)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RealtimeRequest, error) {
		var q RealtimeRequest
		return q, r.Scan(&q.ID, &q.ClientID, &q.Kind, &q.Request)
	})
	return out, translate(err, nil)
}

// Claim marks request id as taken by this node; false when another node
// took it first or it is gone.
func (s *RealtimeRequests) Claim(ctx context.Context, id int64) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, "UPDATE _realtime_requests SET claimed = true WHERE id = $1 AND NOT claimed", id)
	if err != nil {
		return false, translate(err, nil)
	}
	return tag.RowsAffected() == 1, nil
}

// Reply stores the answer to request id and wakes every node.
func (s *RealtimeRequests) Reply(ctx context.Context, id int64, answer []byte) error {
	if answer == nil {
		answer = []byte{}
	}
	_, err := s.db.Pool.Exec(ctx, `WITH u AS (UPDATE _realtime_requests SET answer = $2 WHERE id = $1 RETURNING id)
		SELECT pg_notify($3, '') FROM u`, id, answer, RealtimeAnswersChannel)
	return translate(err, nil)
}

// ErrNoAnswer is Answer's error while request id has no answer yet.
var ErrNoAnswer = errors.New("no answer yet")

// Answer returns the answer to request id, or ErrNoAnswer.
func (s *RealtimeRequests) Answer(ctx context.Context, id int64) ([]byte, error) {
	var answer []byte
	err := s.db.Pool.QueryRow(ctx, "SELECT answer FROM _realtime_requests WHERE id = $1", id).Scan(&answer)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("realtime request %d: gone", id)
	case err != nil:
		return nil, translate(err, nil)
	case answer == nil:
		return nil, ErrNoAnswer
	}
	return answer, nil
}

// Delete removes request id.
func (s *RealtimeRequests) Delete(ctx context.Context, id int64) error {
	_, err := s.db.Pool.Exec(ctx, "DELETE FROM _realtime_requests WHERE id = $1", id)
	return translate(err, nil)
}

// Prune deletes the requests sent before t and returns how many.
func (s *RealtimeRequests) Prune(ctx context.Context, t time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, "DELETE FROM _realtime_requests WHERE created < $1", t)
	if err != nil {
		return 0, translate(err, nil)
	}
	return tag.RowsAffected(), nil
}
