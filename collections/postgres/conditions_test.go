package postgres

import "testing"

func TestCallerFree(t *testing.T) {
	for src, want := range map[string]bool{
		`score >= 0`:                                   true,
		`@collection.members.user ?= owner`:            true,
		`owner = @request.auth.id`:                     false,
		`created > @now`:                               false,
		`@collection.members.user ?= @request.auth.id`: false,
		`@collection.a.x = 1 && when < @todayStart`:    false,
		`email ~ "@example.com"`:                       false, // a literal: compiled each time, still right
	} {
		if got := callerFree(src); got != want {
			t.Errorf("callerFree(%s) = %v, want %v", src, got, want)
		}
	}
}
