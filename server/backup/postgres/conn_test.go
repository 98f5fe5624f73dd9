package postgres

import "testing"

// TestLibpqConn: the password leaves the connection string for
// PGPASSWORD, and pgx's own settings, which libpq refuses, are stripped.
func TestLibpqConn(t *testing.T) {
	for _, tc := range []struct{ dsn, conn, password string }{
		{"postgres://app:s%40cret@db:5432/lumbung?sslmode=require&pool_max_conns=10&pool_max_conn_idle_time=1m",
			"postgres://app@db:5432/lumbung?sslmode=require", "s@cret"},
		{"postgres://app@db/lumbung?password=x&statement_cache_capacity=0", "postgres://app@db/lumbung", "x"},
		{"postgres://app:pw@/lumbung?host=%2Ftmp%2Fpg&port=5432", "postgres://app@/lumbung?host=%2Ftmp%2Fpg&port=5432", "pw"},
		{`host=db user=app password='a\'b c' dbname=x pool_max_conns=5`, `host='db' user='app' dbname='x'`, "a'b c"},
	} {
		conn, password, err := libpqConn(tc.dsn)
		if err != nil || conn != tc.conn || password != tc.password {
			t.Errorf("%s: %q %q %v, want %q %q", tc.dsn, conn, password, err, tc.conn, tc.password)
		}
	}
}
