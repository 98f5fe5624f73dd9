package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// migrationName is what a migration's name may say after its time.
var migrationName = regexp.MustCompile(`^[a-z0-9_]+$`)

// Create writes a new, empty JS migration <unix time>_<name>.js into the
// migrations folder and returns its path.
func (m *Migrations) Create(name string) (string, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if !migrationName.MatchString(name) {
		return "", collections.Errorf(collections.EINVALID, "A migration's name is lowercase letters, digits and _ (such as add_posts_title), not %q.", name)
	}
	return m.write(name, blankMigration)
}

// Snapshot writes a migration <unix time>_collections_snapshot.js that
// imports every collection as the database has them
// (app.importCollections(snapshot, false), PocketBase's `migrate
// collections`), recorded as applied on this database, and returns its
// path: on a fresh one it makes the whole schema at once, collections
// that relate to each other included.
func (m *Migrations) Snapshot(ctx context.Context) (string, error) {
	if m.svc == nil {
		return "", fmt.Errorf("migrations: no database")
	}
	list := m.svc.Collections()
	b, err := json.MarshalIndent(list, "  ", "  ")
	if err != nil {
		return "", err
	}
	path, err := m.write("collections_snapshot", fmt.Sprintf(`/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const snapshot = %s;

  return app.importCollections(snapshot, false);
}, (app) => {
  return null;
})
`, b))
	if err != nil {
		return "", err
	}
	return path, m.MarkApplied(ctx, filepath.Base(path))
}

const blankMigration = `/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  // add up queries...
}, (app) => {
  // add down queries...
})
`

// write writes src into the migrations folder as <time>_<name>.js, with
// a time after every migration already there (so two changes in one
// second still apply in the order they were made), and returns its path.
func (m *Migrations) write(name, src string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir := m.Dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	stamp := time.Now().Unix()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		prefix, _, _ := strings.Cut(e.Name(), "_")
		if n, err := strconv.ParseInt(prefix, 10, 64); err == nil && n >= stamp {
			stamp = n + 1
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("%d_%s.js", stamp, name))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(src); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// bindAutomigrate writes a JS migration of every schema change made on
// this node (in the dashboard or through the API; not those migrations
// make) into the migrations folder, recorded as applied at once: created
// (the collection's definition, reverted by deleting it), updated (the
// new definition, reverted to the old) or deleted (reverted by creating
// it again). Applied to another database, the files make the same
// schema.
func (s *Server) bindAutomigrate(m *Migrations) {
	h := s.svc.Hooks()
	write := func(e *collections.CollectionEvent, action, src string) error {
		if collections.InMigration(e.Context) {
			return e.Next()
		}
		path, err := m.write(action+"_"+fileSafe(e.Collection.Name), src)
		if err == nil {
			err = m.MarkApplied(context.WithoutCancel(e.Context), filepath.Base(path))
		}
		if err != nil {
			s.cfg.Logger.Error("automigrate: the change was made, its migration file was not written", "collection", e.Collection.Name, "err", err)
		} else {
			s.cfg.Logger.Info("automigrate: migration written", "file", path)
		}
		return e.Next()
	}
	h.OnCollectionAfterCreate().BindFunc(func(e *collections.CollectionEvent) error {
		return write(e, "created", createdMigration(e.Collection))
	})
	h.OnCollectionAfterUpdate().BindFunc(func(e *collections.CollectionEvent) error {
		if e.Old == nil || sameDefinition(e.Old, e.Collection) {
			return e.Next() // saved as it was: nothing to migrate
		}
		return write(e, "updated", updatedMigration(e.Old, e.Collection))
	})
	h.OnCollectionAfterDelete().BindFunc(func(e *collections.CollectionEvent) error {
		return write(e, "deleted", deletedMigration(e.Collection))
	})
}

// sameDefinition reports whether a and b differ only in their times.
func sameDefinition(a, b *collections.Collection) bool {
	x, y := *a, *b
	x.Created, x.Updated, y.Created, y.Updated = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	bx, errx := json.Marshal(&x)
	by, erry := json.Marshal(&y)
	return errx == nil && erry == nil && string(bx) == string(by)
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

func fileSafe(name string) string {
	return strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(name), "_"), "_")
}

// collectionJS is c's definition as a JS object literal (its JSON,
// indented to sit in a migration).
func collectionJS(c *collections.Collection) string {
	b, err := json.MarshalIndent(c, "  ", "  ")
	if err != nil {
		return "{}"
	}
	return string(b)
}

func createdMigration(c *collections.Collection) string {
	return fmt.Sprintf(`/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const collection = new Collection(%s);

  return app.save(collection);
}, (app) => {
  const collection = app.findCollectionByNameOrId(%q);

  return app.delete(collection);
})
`, collectionJS(c), c.ID)
}

func updatedMigration(old, c *collections.Collection) string {
	return fmt.Sprintf(`/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const collection = app.findCollectionByNameOrId(%q);

  unmarshal(%s, collection);

  return app.save(collection);
}, (app) => {
  const collection = app.findCollectionByNameOrId(%q);

  unmarshal(%s, collection);

  return app.save(collection);
})
`, c.ID, collectionJS(c), old.ID, collectionJS(old))
}

func deletedMigration(c *collections.Collection) string {
	return fmt.Sprintf(`/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const collection = app.findCollectionByNameOrId(%q);

  return app.delete(collection);
}, (app) => {
  const collection = new Collection(%s);

  return app.save(collection);
})
`, c.ID, collectionJS(c))
}
