package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// defaultGlobs are searched after PATH: Debian/Ubuntu, then the PGDG RPM layout.
var defaultGlobs = []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"}

// binaries are the PostgreSQL server programs Start runs.
type binaries struct {
	postgres string
	initdb   string
	major    int // major version reported by postgres --version
}

// search says where findBinaries looks; tests substitute their own.
type search struct {
	binDir  string   // when set, the only place searched
	usePath bool     // look on PATH first
	globs   []string // then these, highest version first
}

// findBinaries returns the first candidate whose major version is want,
// or the first candidate at all when want is 0 (no cluster yet).
func findBinaries(ctx context.Context, s search, want int) (binaries, error) {
	cands := s.candidates()
	if len(cands) == 0 {
		where := "on PATH and in " + strings.Join(s.globs, ", ")
		if s.binDir != "" {
			where = "in " + s.binDir
		} else if !s.usePath {
			where = "in " + strings.Join(s.globs, ", ")
		}
		return binaries{}, fmt.Errorf("localpg: %w (looked %s)", ErrNoBinaries, where)
	}
	var seen []string
	for _, c := range cands {
		major, err := postgresMajor(ctx, c.postgres)
		if err != nil {
			seen = append(seen, fmt.Sprintf("%s (%v)", c.postgres, err))
			continue
		}
		c.major = major
		if want == 0 || major == want {
			return c, nil
		}
		seen = append(seen, fmt.Sprintf("%s (PostgreSQL %d)", c.postgres, major))
	}
	if want == 0 {
		return binaries{}, fmt.Errorf("localpg: %w (none usable: %s)", ErrNoBinaries, strings.Join(seen, "; "))
	}
	return binaries{}, fmt.Errorf("localpg: the cluster was created by PostgreSQL %d but only these binaries were found: %s; "+
		"install the PostgreSQL %d server binaries, or upgrade the cluster with pg_upgrade", want, strings.Join(seen, "; "), want)
}

// candidates lists directories holding both postgres and initdb, in search order.
func (s search) candidates() []binaries {
	if s.binDir != "" {
		if b, ok := binariesIn(s.binDir); ok {
			return []binaries{b}
		}
		return nil
	}
	var out []binaries
	if s.usePath {
		pg, err1 := exec.LookPath("postgres")
		initdb, err2 := exec.LookPath("initdb")
		if err1 == nil && err2 == nil {
			out = append(out, binaries{postgres: pg, initdb: initdb})
		}
	}
	for _, g := range s.globs {
		dirs, _ := filepath.Glob(g) // the only error is a malformed pattern
		slices.SortStableFunc(dirs, func(a, b string) int { return compareVersions(dirVersion(b), dirVersion(a)) })
		for _, d := range dirs {
			if b, ok := binariesIn(d); ok {
				out = append(out, b)
			}
		}
	}
	return out
}

func binariesIn(dir string) (binaries, bool) {
	b := binaries{postgres: filepath.Join(dir, "postgres"), initdb: filepath.Join(dir, "initdb")}
	return b, isExecutable(b.postgres) && isExecutable(b.initdb)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

var versionNumbers = regexp.MustCompile(`\d+(\.\d+)*`)

// dirVersion extracts the version from ".../postgresql/15/bin" or ".../pgsql-9.6/bin".
func dirVersion(binDir string) []int {
	return parseVersion(versionNumbers.FindString(filepath.Base(filepath.Dir(binDir))))
}

func parseVersion(s string) []int {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	return v
}

func compareVersions(a, b []int) int { return slices.Compare(a, b) }

// postgresMajor runs `postgres --version` ("postgres (PostgreSQL) 15.18 (Debian ...)").
func postgresMajor(ctx context.Context, postgres string) (int, error) {
	out, err := exec.CommandContext(ctx, postgres, "--version").Output()
	if err != nil {
		return 0, err
	}
	_, rest, ok := bytes.Cut(out, []byte("(PostgreSQL)"))
	if !ok {
		return 0, fmt.Errorf("unexpected --version output %q", bytes.TrimSpace(out))
	}
	v := parseVersion(versionNumbers.FindString(string(rest)))
	if len(v) == 0 {
		return 0, fmt.Errorf("unexpected --version output %q", bytes.TrimSpace(out))
	}
	return v[0], nil
}

// clusterMajor reads PG_VERSION of an existing data directory; 0 if there is none.
func clusterMajor(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("localpg: %w", err)
	}
	v := parseVersion(strings.TrimSpace(string(b)))
	if len(v) == 0 {
		return 0, fmt.Errorf("localpg: unreadable %s: %q", filepath.Join(dataDir, "PG_VERSION"), b)
	}
	return v[0], nil
}
