package postgres

import (
	"strconv"
	"strings"
	"testing"
)

func TestCallerFree(t *testing.T) {
	for src, want := range map[string]bool{
		`score >= 0`:                                   true,
		`@collection.members.user ?= owner`:            true,
		`owner = @request.auth.id`:                     false,
		`created > @now`:                               false,
		`@collection.members.user ?= @request.auth.id`: false,
		`@collection.a.x = 1 && when < @todayStart`:    false,
		`email ~ "@example.com"`:                       false, // a literal: compiled each time, still right
		`strftime('%Y') = '2025'`:                      false, // now, when compiled
		`strftime('%Y', created) = '2025'`:             false,
	} {
		if got := callerFree(src); got != want {
			t.Errorf("callerFree(%s) = %v, want %v", src, got, want)
		}
	}
}

func TestTotalsBounded(t *testing.T) {
	tt := NewTotals()
	tt.Follow(func() int64 { return 0 })
	long := strings.Repeat("x", 1<<20)
	for i := range 10 {
		tt.put(totalKey{query: long + strconv.Itoa(i)}, 1, tt.begin(nil))
		if tt.size > maxTotalsBytes {
			t.Fatalf("after %d long keys: %d bytes kept, bound %d", i+1, tt.size, maxTotalsBytes)
		}
	}
	for i := range maxTotals + 10 {
		tt.put(totalKey{query: strconv.Itoa(i)}, 1, tt.begin(nil))
		if len(tt.entries) > maxTotals {
			t.Fatalf("%d entries kept, bound %d", len(tt.entries), maxTotals)
		}
	}
}
