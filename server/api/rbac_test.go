package api_test

import (
	"fmt"
	"testing"
)

// TestUnassign: DELETE /api/rbac/assignments takes the assignment in a
// JSON body, as POST does and the README shows, or as query parameters.
func TestUnassign(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	assigned := func(role string) int {
		var as struct{ Items []any }
		w.MustJSON("GET", "/api/rbac/assignments?role="+role, "", "", 200, &as)
		return len(as.Items)
	}
	if assigned("viewer") != 1 || assigned("editor") != 1 {
		t.Fatalf("the world has %d viewers and %d editors", assigned("viewer"), assigned("editor"))
	}
	w.MustJSON("DELETE", "/api/rbac/assignments", "", fmt.Sprintf(`{"collection": "members", "id": %q, "role": "viewer"}`, w.users["alice"]), 204, nil)
	if n := assigned("viewer"); n != 0 {
		t.Fatalf("%d viewers after a DELETE with a JSON body", n)
	}
	w.MustJSON("DELETE", fmt.Sprintf("/api/rbac/assignments?collection=members&id=%s&role=editor", w.users["bob"]), "", "", 204, nil)
	if n := assigned("editor"); n != 0 {
		t.Fatalf("%d editors after a DELETE with query parameters", n)
	}
	w.Run(t, []scenario{
		{Name: "a malformed body", Method: "DELETE", URL: "/api/rbac/assignments", Body: `{"collection": `, ExpectedStatus: 400},
		{Name: "users cannot unassign", Method: "DELETE", URL: "/api/rbac/assignments", Token: w.tokens["carol"],
			Body: fmt.Sprintf(`{"collection": "members", "id": %q, "role": "editor"}`, w.users["carol"]), ExpectedStatus: 403},
	})
}
