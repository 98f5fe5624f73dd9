package api_test

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
)

// TestViewQueriesWrittenForSQLite: PocketBase's view queries are SQLite.
// The common constructs run as they are (strftime, datetime('now', …),
// julianday, json_extract, group_concat, ||, CAST(… AS TEXT), booleans
// compared with 1, dates compared with text, names in any case,
// `backquotes`); the rest is refused with a message naming the construct.
func TestViewQueriesWrittenForSQLite(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "orders", "listRule": "", "viewRule": "", "fields": [
		{"name": "customerName", "type": "text"}, {"name": "totalCents", "type": "number"}, {"name": "paid", "type": "bool"},
		{"name": "meta", "type": "json"}, {"name": "placedAt", "type": "date"}]}`, 200, nil)
	for _, body := range []string{
		`{"customerName": "Ann", "totalCents": 1250, "paid": true, "meta": {"channel": "web", "items": [{"sku": "a"}, {"sku": "b"}]}, "placedAt": "2024-03-05 10:00:00.000Z"}`,
		`{"customerName": "Ann", "totalCents": 300, "paid": false, "meta": {"channel": "shop"}, "placedAt": "2024-03-20 18:30:00.000Z"}`,
		`{"customerName": "Bob", "totalCents": 990, "paid": true, "meta": {"channel": "web"}, "placedAt": "2024-04-01 08:15:00.000Z"}`,
	} {
		e.MustJSON("POST", "/api/collections/orders/records", "", body, 200, nil)
	}
	view := func(name, query string) []map[string]any {
		t.Helper()
		e.MustJSON("POST", "/api/collections", "", jsonBody(t, map[string]any{"name": name, "type": "view", "listRule": "", "viewQuery": query}), 200, nil)
		var page struct{ Items []map[string]any }
		e.MustJSON("GET", "/api/collections/"+name+"/records?sort=id&perPage=100", "-", "", 200, &page)
		return page.Items
	}

	monthly := view("monthly", "SELECT strftime('%Y-%m', placedAt) AS id, count(*) AS orders, sum(totalCents) / 100.0 AS revenue, "+
		"group_concat(DISTINCT customername) AS customers FROM orders GROUP BY strftime('%Y-%m', placedat)")
	if fmt.Sprint(monthly) != "[map[collectionId:"+monthly[0]["collectionId"].(string)+" collectionName:monthly customers:Ann id:2024-03 orders:2 revenue:15.5] "+
		"map[collectionId:"+monthly[0]["collectionId"].(string)+" collectionName:monthly customers:Bob id:2024-04 orders:1 revenue:9.9]]" {
		t.Errorf("strftime, group_concat, names in any case: %v", monthly)
	}

	rows := view("order_lines", "SELECT o.id, o.customerName || ' (' || json_extract(o.meta, '$.channel') || ')' AS label, "+
		"json_extract(meta, '$.items[1].sku') AS second_sku, CAST(o.totalCents AS TEXT) AS cents, "+
		"julianday(o.placedAt) - julianday('2024-03-01') AS day_of_march, "+
		"datetime(placedAt, 'start of month', '+1 month') AS next_month "+
		"FROM `orders` o WHERE o.paid = 1 AND placedAt > '2024-03-01' AND placedAt < datetime('now', '+1 day') ORDER BY o.placedAt")
	if len(rows) != 2 {
		t.Fatalf("order_lines: %v", rows)
	}
	var ann map[string]any
	for _, r := range rows {
		if strings.HasPrefix(r["label"].(string), "Ann") {
			ann = r
		}
	}
	if day, _ := ann["day_of_march"].(float64); ann == nil || ann["label"] != "Ann (web)" || ann["second_sku"] != "b" || ann["cents"] != "1250" || math.Abs(day-4.4166667) > 1e-6 ||
		ann["next_month"] != "2024-04-01 00:00:00.000Z" {
		t.Errorf("||, json_extract, CAST, julianday, datetime modifiers: %v", ann)
	}
	var page struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections/order_lines/records?filter="+url.QueryEscape(`label ~ "Bob"`), "-", "", 200, &page)
	if len(page.Items) != 1 {
		t.Errorf("filtering the view: %v", page.Items)
	}

	e.Run(t, []scenario{
		{Name: "a SQLite function Lumbung does not know", Method: "POST", URL: "/api/collections", ExpectedStatus: 400,
			Body:            `{"name": "bad1", "type": "view", "viewQuery": "SELECT o.id, j.value FROM orders o, json_each(o.meta) j"}`,
			ExpectedContent: []string{"json_each", "Lumbung understands strftime"}},
		{Name: "a string in double quotes", Method: "POST", URL: "/api/collections", ExpectedStatus: 400,
			Body:            `{"name": "bad2", "type": "view", "viewQuery": "SELECT id FROM orders WHERE customerName = \"Ann\""}`,
			ExpectedContent: []string{`\"Ann\" names a column`, `write 'Ann' for a string`}},
		{Name: "the preview understands the same", Method: "POST", URL: "/api/collections/view-preview", ExpectedStatus: 200,
			Body:            `{"viewQuery": "SELECT id, strftime('%d/%m', placedat) AS day FROM orders WHERE paid = 0"}`,
			ExpectedContent: []string{`"day":"20/03"`}},
	})
}

// TestImportDeleteMissingDropsWhatKeptCollectionsLeave: an import with
// deleteMissing drops a collection that a kept collection points at when
// the kept collection's imported definition no longer has that relation
// (PocketBase checks references once the import is done).
func TestImportDeleteMissingDropsWhatKeptCollectionsLeave(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	var before struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections?perPage=100", "", "", 200, &before)
	e.MustJSON("POST", "/api/collections", "", `{"name": "pages", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	var users map[string]any
	e.MustJSON("GET", "/api/collections/users", "", "", 200, &users)
	fields := users["fields"].([]any)
	var pages struct{ ID string }
	e.MustJSON("GET", "/api/collections/pages", "", "", 200, &pages)
	users["fields"] = append(fields, map[string]any{"name": "home", "type": "relation", "collectionId": pages.ID, "maxSelect": 1},
		map[string]any{"name": "liked", "type": "relation", "collectionId": pages.ID, "maxSelect": 9})
	e.MustJSON("PATCH", "/api/collections/users", "", jsonBody(t, users), 200, nil)
	var page map[string]any
	e.MustJSON("POST", "/api/collections/pages/records", "", `{"title": "x"}`, 200, &page)
	MustUser(t, e, "ann@example.com", "ann password")
	e.MustJSON("PUT", "/api/collections/import", "", jsonBody(t, map[string]any{"collections": before.Items, "deleteMissing": true}), 204, nil)
	if status, _ := e.Do("GET", "/api/collections/pages", "", ""); status != 404 {
		t.Fatalf("pages still there: %d", status)
	}
	var after map[string]any
	e.MustJSON("GET", "/api/collections/users", "", "", 200, &after)
	if s := fmt.Sprint(after["fields"]); strings.Contains(s, "home") || strings.Contains(s, "liked") {
		t.Fatalf("users keeps the relations: %s", s)
	}
	MustSignIn(t, e, "users", "ann@example.com", "ann password")
	// Still refused when something kept goes on pointing at it.
	e.MustJSON("POST", "/api/collections", "", `{"name": "pages", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "links", "fields": [{"name": "page", "type": "relation", "collectionId": "pages", "maxSelect": 1}]}`, 200, nil)
	var links map[string]any
	e.MustJSON("GET", "/api/collections/links", "", "", 200, &links)
	e.Run(t, []scenario{{Name: "a kept relation", Method: "PUT", URL: "/api/collections/import", ExpectedStatus: 400,
		Body:            jsonBody(t, map[string]any{"collections": append(before.Items, links), "deleteMissing": true}),
		ExpectedContent: []string{`Collection \"pages\" cannot be deleted: it is referenced by links.page`}}})
}
