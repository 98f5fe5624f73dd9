package collections

import "context"

// keepLastSuperuser refuses to delete superuser id when it is the only
// one, with PocketBase's message. Called inside the deleting transaction,
// it locks every superuser first: of two transactions deleting the last two
// superusers, the second waits for the first and then finds one left.
func (r *Records) keepLastSuperuser(ctx context.Context, c *Collection, id string) error {
	ids, err := r.store.LockAll(ctx, c)
	if err != nil {
		return err
	}
	if len(ids) == 1 && ids[0] == id {
		return Errorf(EINVALID, "You can't delete the only existing superuser")
	}
	return nil
}
