package api_test

import (
	"net/url"
	"testing"
)

// TestGeoPointField: a PocketBase collection with a geoPoint field imports,
// its values are {lon, lat} objects validated as PocketBase does, and
// filters reach the coordinates as json paths and through geoDistance.
func TestGeoPointField(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	// The collection as PocketBase 0.39 exports it.
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [{"id": "pbc_1958510301", "name": "places", "type": "base",
		"listRule": "", "viewRule": "", "createRule": "", "updateRule": "",
		"fields": [{"id": "text3208210256", "name": "id", "type": "text", "system": true, "primaryKey": true, "required": true,
		            "autogeneratePattern": "[a-z0-9]{15}", "pattern": "^[a-z0-9]+$", "min": 15, "max": 15},
		           {"id": "text1579384326", "name": "name", "type": "text"},
		           {"id": "geoPoint1587448267", "name": "location", "type": "geoPoint", "required": false, "hidden": false, "presentable": false, "system": false, "help": ""},
		           {"id": "geoPoint2", "name": "must", "type": "geoPoint", "required": true}],
		"indexes": []}]}`, 204, nil)
	var coll struct{ Fields []map[string]any }
	e.MustJSON("GET", "/api/collections/places", "", "", 200, &coll)
	if f := coll.Fields[2]; f["type"] != "geoPoint" || f["name"] != "location" {
		t.Fatalf("imported field %v, want the geoPoint location", f)
	}
	q := url.QueryEscape
	const must = `"must": {"lon": 1, "lat": 1}`
	e.Run(t, []scenario{
		{Name: "create with an object", Method: "POST", URL: "/api/collections/places/records", Token: "-",
			Body: `{"name": "rome", "location": {"lon": 12.4964, "lat": 41.9028}, ` + must + `}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"location":{"lon":12.4964,"lat":41.9028}`}},
		{Name: "create with json text", Method: "POST", URL: "/api/collections/places/records", Token: "-",
			Body: `{"name": "paris", "location": "{\"lat\": 48.8566, \"lon\": 2.3522}", ` + must + `}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"location":{"lon":2.3522,"lat":48.8566}`}},
		{Name: "an unset point is 0,0", Method: "POST", URL: "/api/collections/places/records", Token: "-",
			Body: `{"name": "nowhere", ` + must + `}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"location":{"lon":0,"lat":0}`}},
		{Name: "longitude out of range", Method: "POST", URL: "/api/collections/places/records", Token: "-",
			Body: `{"location": {"lon": 181, "lat": 0}, ` + must + `}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"location":{"code":"validation_invalid_longitude"`}},
		{Name: "latitude out of range", Method: "POST", URL: "/api/collections/places/records", Token: "-",
			Body: `{"location": {"lon": 0, "lat": -90.5}, ` + must + `}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"location":{"code":"validation_invalid_latitude"`}},
		{Name: "not a point", Method: "POST", URL: "/api/collections/places/records", Token: "-",
			Body: `{"location": {"lon": "east", "lat": 1}, ` + must + `}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"location":{"code":"validation_invalid_geo_point"`}},
		{Name: "required refuses null island", Method: "POST", URL: "/api/collections/places/records", Token: "-",
			Body: `{"must": {"lon": 0, "lat": 0}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"must":{"code":"validation_required"`}},
		{Name: "json path filter", Method: "GET", URL: "/api/collections/places/records?filter=" + q("location.lat > 45"), Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, `"name":"paris"`}},
		{Name: "geoDistance filter", Method: "GET", URL: "/api/collections/places/records?filter=" + q("geoDistance(location.lon, location.lat, 12.5, 41.9) < 10"), Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, `"name":"rome"`}},
		{Name: "geoDistance sort-free range", Method: "GET", URL: "/api/collections/places/records?filter=" + q("geoDistance(location.lon, location.lat, 12.5, 41.9) < 1200"), Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":2`}},
	})
	var rome struct {
		Items []struct{ ID string }
	}
	e.MustJSON("GET", "/api/collections/places/records?filter="+q("name='rome'"), "-", "", 200, &rome)
	if len(rome.Items) != 1 {
		t.Fatalf("rome: %d records", len(rome.Items))
	}
	id := rome.Items[0].ID
	e.Run(t, []scenario{
		{Name: "update", Method: "PATCH", URL: "/api/collections/places/records/" + id, Token: "-",
			Body: `{"location": {"lon": -0.1276, "lat": 51.5072}}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"location":{"lon":-0.1276,"lat":51.5072}`, `"must":{"lon":1,"lat":1}`}},
		{Name: "update out of range", Method: "PATCH", URL: "/api/collections/places/records/" + id, Token: "-",
			Body: `{"location": {"lon": 0, "lat": 91}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"location":{"code":"validation_invalid_latitude"`}},
		{Name: "update to null island on a required point", Method: "PATCH", URL: "/api/collections/places/records/" + id, Token: "-",
			Body: `{"must": null}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"must":{"code":"validation_required"`}},
	})
}

// TestGeoPointFieldAddedLater: records from before a geoPoint field was
// added read as {"lon":0,"lat":0}, as in PocketBase.
func TestGeoPointFieldAddedLater(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	var c struct {
		ID     string
		Fields []map[string]any
	}
	e.MustJSON("POST", "/api/collections", "", `{"name": "spots", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
		"fields": [{"name": "name", "type": "text"}]}`, 200, &c)
	e.MustJSON("POST", "/api/collections/spots/records", "-", `{"name": "old"}`, 200, nil)
	c.Fields = append(c.Fields, map[string]any{"name": "where", "type": "geoPoint"})
	e.MustJSON("PATCH", "/api/collections/spots", "", jsonBody(t, map[string]any{"fields": c.Fields}), 200, nil)
	e.Run(t, []scenario{
		{Name: "old record reads the zero point", Method: "GET", URL: "/api/collections/spots/records", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"name":"old"`, `"where":{"lon":0,"lat":0}`}},
		{Name: "geoDistance from the zero point", Method: "GET", URL: "/api/collections/spots/records?filter=" + url.QueryEscape("geoDistance(where.lon, where.lat, 0, 0) = 0"),
			Token: "-", ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`}},
	})
}
