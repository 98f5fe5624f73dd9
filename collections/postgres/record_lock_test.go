package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
)

// MustSuperusers returns a service on a fresh database with a _superusers
// collection holding the given emails, the records' ids and the pool.
func MustSuperusers(tb testing.TB, emails ...string) (*collections.Service, *collections.Collection, []string, *postgres.DB) {
	tb.Helper()
	ctx := context.Background()
	svc, _, db := MustDatabase(tb)
	su := &collections.Collection{Name: collections.SuperusersName, Type: collections.TypeAuth, System: true}
	if _, err := svc.CreateCollection(ctx, su, collections.SaveOptions{}); err != nil {
		tb.Fatal(err)
	}
	col, _ := svc.Collection(collections.SuperusersName)
	var ids []string
	for _, email := range emails {
		rec, err := svc.SystemRecords().Create(ctx, col, map[string]any{"email": email, "password": "long enough password"})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, rec.ID())
	}
	return svc, col, ids, db
}

func countRecords(tb testing.TB, svc *collections.Service, c *collections.Collection) int {
	tb.Helper()
	page, err := svc.SystemRecords().List(context.Background(), c, collections.Query{})
	if err != nil {
		tb.Fatal(err)
	}
	return page.TotalItems
}

const onlySuperuser = "You can't delete the only existing superuser"

func TestLastSuperuserStays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, col, ids, _ := MustSuperusers(t, "a@example.com", "b@example.com")
	if err := svc.SystemRecords().Delete(ctx, col, ids[0]); err != nil {
		t.Fatalf("deleting one of two: %v", err)
	}
	err := svc.SystemRecords().Delete(ctx, col, ids[1])
	if collections.ErrorCode(err) != collections.EINVALID || collections.ErrorMessage(err) != onlySuperuser {
		t.Fatalf("deleting the last: %v", err)
	}
	if err := svc.SystemRecords().Delete(ctx, col, ids[0]); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Fatalf("deleting a deleted one: %v", err)
	}
	if _, err := svc.TruncateCollection(ctx, col.Name, collections.SaveOptions{}); collections.ErrorCode(err) != collections.EINVALID {
		t.Fatalf("truncate: %v", err)
	}
	if n := countRecords(t, svc, col); n != 1 {
		t.Fatalf("%d superusers left, want 1", n)
	}
}

// TestLastSuperusersDeletedConcurrently: of two transactions deleting the
// last two superusers, the second waits for the first and then refuses.
func TestLastSuperusersDeletedConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, col, ids, db := MustSuperusers(t, "a@example.com", "b@example.com")
	held, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- svc.InTx(ctx, func(tx *collections.Records) error {
			if err := tx.Delete(ctx, col, ids[0]); err != nil {
				return err
			}
			close(held)
			<-release // the deleting transaction stays open
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-first:
		t.Fatalf("first delete: %v", err)
	}
	second := make(chan error, 1)
	go func() { second <- svc.SystemRecords().Delete(ctx, col, ids[1]) }()
	// The second delete must wait for the first transaction (or refuse
	// at once); deleting while the first is open is the defect.
	for waiting := false; !waiting; {
		select {
		case err := <-second:
			close(release)
			<-first
			if err == nil {
				t.Fatalf("both of the last two superusers were deleted")
			}
			t.Fatalf("the second delete failed without waiting: %v", err)
		default:
		}
		err := db.Pool.QueryRow(ctx, "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // polling interval, not a limit
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first delete: %v", err)
	}
	err := <-second
	if collections.ErrorCode(err) != collections.EINVALID || collections.ErrorMessage(err) != onlySuperuser {
		t.Fatalf("second delete: %v", err)
	}
	if n := countRecords(t, svc, col); n != 1 {
		t.Fatalf("%d superusers left, want 1", n)
	}
}
