package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
)

// TestPlanGeoPoint: a geoPoint column defaults to {"lon":0,"lat":0}, so
// that rows from before the field read as the zero point; a json field
// that becomes a point takes the default (its empty values become the
// zero point), and a point that becomes json drops it.
func TestPlanGeoPoint(t *testing.T) {
	t.Parallel()
	svc := MustService(t)
	ctx := context.Background()
	recs := svc.SystemRecords()
	if _, err := svc.CreateCollection(ctx, mustCollection(t, `{"id": "pbc_spots00001", "name": "spots", "fields": [
		{"id": "text_name", "name": "name", "type": "text"},
		{"id": "json_spot", "name": "spot", "type": "json"}]}`), collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	spots, _ := svc.Collection("spots")
	for name, spot := range map[string]any{"a-null": nil, "b-point": map[string]any{"lon": 3, "lat": 4}, "c-list": []any{1, 2}} {
		if _, err := recs.Create(ctx, spots, map[string]any{"name": name, "spot": spot}); err != nil {
			t.Fatal(err)
		}
	}
	// The same fields (autodates included) with spot a point and a new
	// point field at.
	fields := func(spotType string) json.RawMessage {
		c, _ := svc.Collection("spots")
		list := []map[string]any{}
		for _, f := range c.Fields {
			var m map[string]any
			b, _ := json.Marshal(f)
			_ = json.Unmarshal(b, &m)
			if f.Name == "spot" {
				m = map[string]any{"id": f.ID, "name": "spot", "type": spotType}
			}
			list = append(list, m)
		}
		if _, ok := c.Field("at"); !ok {
			list = append(list, map[string]any{"id": "geoPoint_at", "name": "at", "type": "geoPoint"})
		}
		b, _ := json.Marshal(map[string]any{"fields": list})
		return b
	}
	toPoint := fields("geoPoint")
	plan, _, err := svc.UpdateCollection(ctx, "spots", toPoint, collections.SaveOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.UpdateCollection(ctx, "spots", toPoint, collections.SaveOptions{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	spots, _ = svc.Collection("spots")
	page, err := recs.List(ctx, spots, collections.Query{Sort: "name"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range page.Items {
		got = append(got, fmt.Sprintf("%v %s %s", r.Data["name"], r.Data["spot"], r.Data["at"]))
	}
	want := []string{
		`a-null {"lon":0,"lat":0} {"lon":0,"lat":0}`,
		`b-point {"lon":3,"lat":4} {"lon":0,"lat":0}`,
		`c-list {"lon":0,"lat":0} {"lon":0,"lat":0}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records after the change:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	plan2, _, err := svc.UpdateCollection(ctx, "spots", fields("json"), collections.SaveOptions{})
	if err != nil {
		t.Fatalf("back to json: %v", err)
	}
	golden(t, "plan_geopoint.sql", describe(plan, plan2))
}
