package postgres

import (
	"errors"
	"net/url"
	"strings"
)

// pgxOnly are settings pgx reads from a connection string that libpq, and
// so pg_dump, pg_restore and psql, refuse as unknown: the pool's
// (pool_max_conns, ...) and the connection's statement caches.
func pgxOnly(key string) bool {
	switch key {
	case "statement_cache_capacity", "description_cache_capacity", "default_query_exec_mode", "min_read_buffer_size":
		return true
	}
	return strings.HasPrefix(key, "pool_")
}

// libpqConn splits dsn (a postgres:// URL or keyword=value pairs) into a
// connection string the client programs accept, without the password and
// without pgx's own settings, and the password, which goes to them in
// PGPASSWORD so it never shows on a command line.
func libpqConn(dsn string) (conn, password string, err error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", "", errors.New("the database URL is not a valid URL") // the error would echo the password
		}
		if u.User != nil {
			password, _ = u.User.Password()
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if p := q.Get("password"); p != "" {
			password = p
		}
		for k := range q {
			if k == "password" || pgxOnly(k) {
				q.Del(k)
			}
		}
		u.RawQuery = q.Encode()
		return u.String(), password, nil
	}
	pairs, err := splitPairs(dsn)
	if err != nil {
		return "", "", err
	}
	var out []string
	for _, kv := range pairs {
		switch {
		case kv[0] == "password":
			password = kv[1]
		case !pgxOnly(kv[0]):
			out = append(out, kv[0]+"='"+strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(kv[1])+"'")
		}
	}
	return strings.Join(out, " "), password, nil
}

// splitPairs reads keyword=value pairs as libpq does: values may be single
// quoted, with backslash escapes.
func splitPairs(s string) ([][2]string, error) {
	var pairs [][2]string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return pairs, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, errors.New("the database URL is neither a postgres:// URL nor keyword=value pairs")
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			s = s[1:]
			closed := false
			for len(s) > 0 {
				c := s[0]
				s = s[1:]
				if c == '\\' && len(s) > 0 {
					val.WriteByte(s[0])
					s = s[1:]
					continue
				}
				if c == '\'' {
					closed = true
					break
				}
				val.WriteByte(c)
			}
			if !closed {
				return nil, errors.New("the database URL has an unterminated quoted value")
			}
		} else {
			end := strings.IndexAny(s, " \t\n\r")
			if end < 0 {
				end = len(s)
			}
			val.WriteString(s[:end])
			s = s[end:]
		}
		pairs = append(pairs, [2]string{key, val.String()})
	}
}
