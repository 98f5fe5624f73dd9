package pgtest

import "testing"

func TestWithDatabase(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://u:p%40ss@/lumbung?host=%2Ftmp%2Fpg&sslmode=disable", "postgres://u:p%40ss@/t1?host=%2Ftmp%2Fpg&sslmode=disable"},
		{"postgresql://u@db.example:5432/app?dbname=other&sslmode=require", "postgresql://u@db.example:5432/t1?sslmode=require"},
		{"postgres://u@localhost", "postgres://u@localhost/t1"},
		{"host=/tmp/pg user=u dbname=app", "host=/tmp/pg user=u dbname=app dbname='t1'"},
		{"", "dbname='t1'"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.dsn, "t1")
		if err != nil || got != tt.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tt.dsn, got, err, tt.want)
		}
	}
}
