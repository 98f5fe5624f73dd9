package api

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
)

func (h *handlers) collectionRoutes() []Route {
	return []Route{
		{"GET", "/collections", Superusers, h.hooked(RequestCollectionsList, h.listCollections), "List the collections."},
		{"POST", "/collections", Superusers, h.hooked(RequestCollectionCreate, h.createCollection), "Create a collection (or plan it, with dryRun)."},
		{"PUT", "/collections/import", Superusers, h.hooked(RequestCollectionsImport, h.importCollections), "Import collections in one transaction."},
		{"POST", "/collections/view-preview", Superusers, h.previewView, "Run a view query read-only and return its first rows."},
		{"GET", "/collections/meta/scaffolds", Superusers, h.collectionScaffolds, "Return a new collection of each type."},
		{"POST", "/collections/meta/dry-run-view", Superusers, h.dryRunView, "Return the fields a view query would give."},
		{"GET", "/collections/:collection", Superusers, h.hooked(RequestCollectionView, h.viewCollection), "Return a collection."},
		{"PATCH", "/collections/:collection", Superusers, h.hooked(RequestCollectionUpdate, h.updateCollection), "Change a collection (or plan it, with dryRun)."},
		{"DELETE", "/collections/:collection", Superusers, h.hooked(RequestCollectionDelete, h.deleteCollection), "Delete a collection and its records."},
		{"DELETE", "/collections/:collection/truncate", Superusers, h.truncateCollection, "Delete every record of a collection."},
	}
}

// previewView answers {"viewQuery"} with the query's first rows, as the
// view would list them: {"items": [...]}. The query runs read-only.
func (h *handlers) previewView(c *fiber.Ctx) error {
	var in struct {
		ViewQuery string `json:"viewQuery"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	rows, err := h.Collections.PreviewView(c.UserContext(), in.ViewQuery)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": rows})
}

// collectionScaffolds answers the collections a new base, auth and view
// collection start from, by type, as PocketBase's scaffolds.
func (h *handlers) collectionScaffolds(c *fiber.Ctx) error {
	out := map[string]*collections.Collection{}
	for _, typ := range []string{collections.TypeBase, collections.TypeAuth, collections.TypeView} {
		out[typ] = collections.Scaffold(typ)
	}
	return c.JSON(out)
}

// dryRunViewSample is how many rows dry-run-view returns, as PocketBase.
const dryRunViewSample = 10

// dryRunView answers PocketBase's view check: {"query"} in, the fields a
// view of that query would have and its first rows out ({fields, sample}).
// Nothing is saved; the query runs read-only.
func (h *handlers) dryRunView(c *fiber.Ctx) error {
	var in struct {
		Query string `json:"query"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	switch n := len(strings.TrimSpace(in.Query)); {
	case n == 0:
		return collections.Invalid("An error occurred while validating the submitted data.", map[string]collections.FieldError{
			"query": {Code: "validation_required", Message: "Cannot be blank."}})
	case len(in.Query) > 5000:
		return collections.Invalid("An error occurred while validating the submitted data.", map[string]collections.FieldError{
			"query": {Code: "validation_length_out_of_range", Message: "The length must be between 0 and 5000."}})
	}
	view := collections.Collection{Name: "temp_view_" + strings.ToLower(collections.NewID()[:5]),
		Type: collections.TypeView, ViewQuery: in.Query}
	if _, err := h.Collections.CreateCollection(c.UserContext(), &view, collections.SaveOptions{DryRun: true}); err != nil {
		return err
	}
	rows, err := h.Collections.PreviewView(c.UserContext(), in.Query)
	if err != nil {
		return err
	}
	fields := view.Fields
	if fields == nil {
		fields = []*collections.Field{}
	}
	return c.JSON(fiber.Map{"fields": fields, "sample": rows[:min(len(rows), dryRunViewSample)]})
}

// planResponse answers a dry run: the collection as it would be saved and
// the SQL that would run.
type planResponse struct {
	DryRun     bool                    `json:"dryRun"`
	Collection *collections.Collection `json:"collection,omitempty"`
	Plans      []*collections.Plan     `json:"plans"`
}

func saveOptions(c *fiber.Ctx) collections.SaveOptions {
	actor := ""
	if id := identity(c); id != nil {
		actor = id.Record.ID()
	}
	return collections.SaveOptions{
		DryRun:        c.QueryBool("dryRun"),
		AllowDataLoss: c.QueryBool("allowDataLoss"),
		Actor:         actor,
	}
}

func (h *handlers) listCollections(c *fiber.Ctx) error {
	all := h.Collections.Collections()
	if f := strings.TrimSpace(c.Query("filter")); f != "" {
		// PocketBase clients look collections up by name or type.
		var keep []*collections.Collection
		for _, col := range all {
			if matchCollectionFilter(col, f) {
				keep = append(keep, col)
			}
		}
		all = keep
	}
	if c.Query("sort") == "name" || c.Query("sort") == "+name" {
		sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	}
	q, err := pageQuery(c)
	if err != nil {
		return err
	}
	items := []*collections.Collection{}
	start := (q.Page - 1) * q.PerPage
	for i := start; i < len(all) && i < start+q.PerPage; i++ {
		items = append(items, h.withRules(all[i]))
	}
	totalPages := (len(all) + q.PerPage - 1) / q.PerPage
	return c.JSON(fiber.Map{"page": q.Page, "perPage": q.PerPage, "totalItems": len(all), "totalPages": totalPages, "items": items})
}

// matchCollectionFilter understands the simple equality filters clients send
// for collections: name='x', type='auth', id='x', joined by && or ||.
func matchCollectionFilter(col *collections.Collection, f string) bool {
	for _, alt := range strings.Split(f, "||") {
		ok := true
		for _, cond := range strings.Split(alt, "&&") {
			k, v, found := strings.Cut(cond, "=")
			if !found {
				return false
			}
			v = strings.Trim(strings.TrimSpace(v), `'"`)
			switch strings.TrimSpace(k) {
			case "name":
				ok = ok && strings.EqualFold(col.Name, v)
			case "type":
				ok = ok && col.Type == v
			case "id":
				ok = ok && col.ID == v
			case "system":
				ok = ok && (v == "true") == col.System
			default:
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (h *handlers) viewCollection(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	return c.JSON(h.withRules(col))
}

// keepRules adds the current rules (read back from the guest policies) to
// a collection patch that does not set them, so that saving a collection
// never undoes policies edited through the rbac API.
func (h *handlers) keepRules(idOrName string, patch []byte) ([]byte, error) {
	col, ok := h.Collections.Collection(idOrName)
	if !ok {
		return append([]byte(nil), patch...), nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(patch, &m); err != nil || m == nil {
		return nil, collections.Errorf(collections.EINVALID, "Invalid JSON body: expected an object.")
	}
	current := h.withRules(col)
	for key, rule := range map[string]*string{"listRule": current.ListRule, "viewRule": current.ViewRule,
		"createRule": current.CreateRule, "updateRule": current.UpdateRule, "deleteRule": current.DeleteRule} {
		if _, set := m[key]; !set {
			m[key], _ = json.Marshal(rule)
		}
	}
	return json.Marshal(m)
}

// withRules returns the collection with its PocketBase rules read back from
// the guest role's policies: none is null, an unconditional one "", else
// the conditions joined with ||.
func (h *handlers) withRules(col *collections.Collection) *collections.Collection {
	out := *col
	rule := func(action string) *string {
		d := h.Decider.Decide("", col.ID, action)
		switch {
		case !d.Allowed:
			return nil
		case d.Unconditional:
			s := ""
			return &s
		case len(d.Conditions) == 1:
			return &d.Conditions[0]
		}
		s := "(" + strings.Join(d.Conditions, ") || (") + ")"
		return &s
	}
	out.ListRule, out.ViewRule = rule(collections.ActionList), rule(collections.ActionView)
	out.CreateRule, out.UpdateRule, out.DeleteRule = rule(collections.ActionCreate), rule(collections.ActionUpdate), rule(collections.ActionDelete)
	return &out
}

func (h *handlers) createCollection(c *fiber.Ctx) error {
	var col collections.Collection
	if err := decodeJSON(c.Body(), &col); err != nil {
		return err
	}
	opts := saveOptions(c)
	plan, err := h.Collections.CreateCollection(c.UserContext(), &col, opts)
	if err != nil {
		return err
	}
	if opts.DryRun {
		return c.JSON(planResponse{DryRun: true, Collection: &col, Plans: []*collections.Plan{plan}})
	}
	saved, _ := h.Collections.Collection(col.ID)
	return c.JSON(h.withRules(saved))
}

func (h *handlers) updateCollection(c *fiber.Ctx) error {
	body := c.Body()
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		return collections.Errorf(collections.EINVALID, "Invalid JSON body.")
	}
	body, err := h.keepRules(c.Params("collection"), body)
	if err != nil {
		return err
	}
	opts := saveOptions(c)
	plan, col, err := h.Collections.UpdateCollection(c.UserContext(), c.Params("collection"), body, opts)
	if err != nil {
		return err
	}
	if opts.DryRun {
		return c.JSON(planResponse{DryRun: true, Collection: col, Plans: []*collections.Plan{plan}})
	}
	return c.JSON(h.withRules(col))
}

func (h *handlers) deleteCollection(c *fiber.Ctx) error {
	opts := saveOptions(c)
	plan, err := h.Collections.DeleteCollection(c.UserContext(), c.Params("collection"), opts)
	if err != nil {
		return err
	}
	if opts.DryRun {
		return c.JSON(planResponse{DryRun: true, Plans: []*collections.Plan{plan}})
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) truncateCollection(c *fiber.Ctx) error {
	opts := saveOptions(c)
	plan, err := h.Collections.TruncateCollection(c.UserContext(), c.Params("collection"), opts)
	if err != nil {
		return err
	}
	if opts.DryRun {
		return c.JSON(planResponse{DryRun: true, Plans: []*collections.Plan{plan}})
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) importCollections(c *fiber.Ctx) error {
	var body struct {
		Collections   []*collections.Collection `json:"collections"`
		DeleteMissing bool                      `json:"deleteMissing"`
	}
	if err := decodeJSON(c.Body(), &body); err != nil {
		return err
	}
	if len(body.Collections) == 0 {
		return collections.Invalid("Failed to import the collections.", map[string]collections.FieldError{
			"collections": {Code: "validation_required", Message: "Cannot be blank."}})
	}
	opts := saveOptions(c)
	plans, err := h.Collections.Import(c.UserContext(), body.Collections, body.DeleteMissing, opts)
	if err != nil {
		return err
	}
	if opts.DryRun {
		return c.JSON(planResponse{DryRun: true, Plans: plans})
	}
	return c.SendStatus(fiber.StatusNoContent)
}
