package main

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The role scenarios compare with the superuser's answers only while every
// record satisfies the role's condition.
func TestRecordsSatisfyRoleCondition(t *testing.T) {
	if want := "score >= " + strconv.Itoa(roleMinScore); roleCondition != want {
		t.Fatalf("roleCondition = %q, want %q", roleCondition, want)
	}
	for i := range 2 * 1000 {
		if score := seedRecord(i)["score"].(float64); score < roleMinScore {
			t.Fatalf("seeded record %d has score %v", i, score)
		}
	}
	create, _ := scenarioByName("create")
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		var rec struct{ Score float64 }
		if err := json.Unmarshal(create.body(rnd, nil), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Score < roleMinScore {
			t.Fatalf("created record has score %v", rec.Score)
		}
	}
}

func TestRoleScenariosRepeatTheirScenario(t *testing.T) {
	env := &scenarioEnv{records: "/api/collections/bench/records", ids: []string{"a", "b", "c", "d"}}
	seen := map[string]bool{}
	roles := 0
	for _, s := range scenarios {
		seen[s.name] = true
		if s.roleOf == "" {
			continue
		}
		roles++
		of, ok := scenarioByName(s.roleOf)
		if !ok || !seen[s.roleOf] || of.roleOf != "" {
			t.Errorf("%s repeats %q: not a superuser scenario that runs before it", s.name, s.roleOf)
			continue
		}
		if s.method != of.method || (s.body == nil) != (of.body == nil) {
			t.Errorf("%s: %s with body %v, %s: %s with body %v", s.name, s.method, s.body != nil, of.name, of.method, of.body != nil)
		}
		for seed := range uint64(20) {
			a, b := s.path(env, rand.New(rand.NewPCG(seed, 0))), of.path(env, rand.New(rand.NewPCG(seed, 0)))
			if a != b {
				t.Errorf("%s sends %s where %s sends %s", s.name, a, of.name, b)
			}
		}
	}
	if roles == 0 {
		t.Error("no role scenarios")
	}
	if !roleScenarios([]string{"list", "view-role"}) || roleScenarios([]string{"list", "view", "create"}) {
		t.Error("roleScenarios does not tell which selections need the role")
	}
}

func TestTargetAuthFor(t *testing.T) {
	tg := &target{auth: "super", roleAuth: "member"}
	list, _ := scenarioByName("list")
	role, _ := scenarioByName("list-role")
	if tg.authFor(list) != "super" || tg.authFor(role) != "member" {
		t.Errorf("authFor: %q for list, %q for list-role", tg.authFor(list), tg.authFor(role))
	}
}
