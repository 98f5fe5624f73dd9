package localpg

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Tools are PostgreSQL client programs of one installation, such as
// pg_dump, pg_restore and psql, found by FindTools.
type Tools struct {
	// Dir is the directory holding every program asked for.
	Dir string
	// Major is the major version the first program reports.
	Major int
}

// Path returns the path of the program name in t.Dir.
func (t Tools) Path(name string) string { return filepath.Join(t.Dir, name) }

// FindTools looks for a directory holding every program in names whose
// major version is want, where the server binaries are looked for: the
// directory of the first on PATH, then /usr/lib/postgresql/*/bin and
// /usr/pgsql-*/bin, highest version first (binDir, when set, is the only
// place searched). When none matches, the error names what was found and
// how to install the right version.
func FindTools(ctx context.Context, binDir string, want int, names ...string) (Tools, error) {
	var dirs []string
	if binDir != "" {
		dirs = []string{binDir}
	} else {
		if p, err := exec.LookPath(names[0]); err == nil {
			if resolved, err := filepath.EvalSymlinks(p); err == nil {
				p = resolved
			}
			dirs = append(dirs, filepath.Dir(p))
		}
		for _, g := range defaultGlobs {
			found, _ := filepath.Glob(g) // the only error is a malformed pattern
			slices.SortStableFunc(found, func(a, b string) int { return compareVersions(dirVersion(b), dirVersion(a)) })
			dirs = append(dirs, found...)
		}
	}
	var seen []string
	for _, d := range dirs {
		complete := true
		for _, n := range names {
			if !isExecutable(filepath.Join(d, n)) {
				complete = false
			}
		}
		if !complete || slices.Contains(seen, d) {
			continue
		}
		major, err := postgresMajor(ctx, filepath.Join(d, names[0]))
		if err != nil {
			seen = append(seen, fmt.Sprintf("%s (%v)", d, err))
			continue
		}
		if major == want {
			return Tools{Dir: d, Major: major}, nil
		}
		seen = append(seen, fmt.Sprintf("%s (PostgreSQL %d)", d, major))
	}
	found := "none were found"
	if len(seen) > 0 {
		found = "only these were found: " + strings.Join(seen, "; ")
	}
	return Tools{}, fmt.Errorf("the database server is PostgreSQL %d and its client programs (%s) must be the same major version, but %s; "+
		"install them (e.g. `apt-get install -y postgresql-client-%d`)", want, strings.Join(names, ", "), found, want)
}
