//go:build deploy

// Package deploy holds the deployment files (Dockerfile, compose, Kubernetes,
// systemd) and the tests that check them without Docker or a cluster.
package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// composeFile is the part of the Compose specification that compose.yaml
// uses. Decoding is strict, so a key outside it (a typo, or a key Compose
// does not know) fails the test until it is added here.
type composeFile struct {
	Name     string                    `json:"name"`
	XLumbung composeService            `json:"x-lumbung"`
	Services map[string]composeService `json:"services"`
	Networks map[string]struct {
		Internal bool `json:"internal"`
		IPAM     *struct {
			Config []struct {
				Subnet string `json:"subnet"`
			} `json:"config"`
		} `json:"ipam"`
	} `json:"networks"`
	Volumes map[string]*struct{} `json:"volumes"`
}

type composeService struct {
	Build *struct {
		Context    string `json:"context"`
		Dockerfile string `json:"dockerfile"`
		Target     string `json:"target"`
	} `json:"build"`
	Image       string            `json:"image"`
	Restart     string            `json:"restart"`
	Command     []string          `json:"command"`
	Environment map[string]string `json:"environment"`
	DependsOn   map[string]struct {
		Condition string `json:"condition"`
	} `json:"depends_on"`
	Healthcheck *struct {
		Test     []string `json:"test"`
		Interval string   `json:"interval"`
		Timeout  string   `json:"timeout"`
		Retries  int      `json:"retries"`
	} `json:"healthcheck"`
	StopGracePeriod string   `json:"stop_grace_period"`
	ReadOnly        bool     `json:"read_only"`
	Tmpfs           []string `json:"tmpfs"`
	Ports           []string `json:"ports"`
	Volumes         []string `json:"volumes"`
	Networks        map[string]*struct {
		IPv4Address string `json:"ipv4_address"`
	} `json:"networks"`
}

// TestCompose decodes compose.yaml strictly and checks that it wires
// PostgreSQL, three nodes and the balancer together: the nodes trust only
// the balancer's address, which lies in its network, and every file it
// mounts exists.
func TestCompose(t *testing.T) {
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := decodeStrict(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"postgres", "lumbung-1", "lumbung-2", "lumbung-3", "balancer"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no service %q", name)
		}
	}
	if len(c.Services) != 5 {
		t.Errorf("%d services, want postgres, three nodes and the balancer", len(c.Services))
	}

	balancer := c.Services["balancer"]
	edge := balancer.Networks["edge"]
	if edge == nil || edge.IPv4Address == "" {
		t.Fatal("the balancer needs a fixed address on the edge network")
	}
	lbAddr := netip.MustParseAddr(edge.IPv4Address)
	net := c.Networks["edge"]
	if net.IPAM == nil || len(net.IPAM.Config) != 1 {
		t.Fatal("the edge network needs one fixed subnet")
	}
	subnet := netip.MustParsePrefix(net.IPAM.Config[0].Subnet)
	if !subnet.Contains(lbAddr) {
		t.Errorf("the balancer's address %s is outside the edge network %s", lbAddr, subnet)
	}
	if !c.Networks["db"].Internal {
		t.Error("the database network should be internal")
	}

	stages := dockerStages(t)
	for _, name := range []string{"lumbung-1", "lumbung-2", "lumbung-3"} {
		n := c.Services[name]
		if n.Build == nil || n.Build.Dockerfile != "deploy/Dockerfile" || filepath.Clean(n.Build.Context) != ".." {
			t.Errorf("%s: build %+v, want deploy/Dockerfile from the repository root", name, n.Build)
		} else if _, ok := stages[n.Build.Target]; !ok {
			t.Errorf("%s: the Dockerfile has no stage %q", name, n.Build.Target)
		}
		env := n.Environment
		if env["LUMBUNG_HTTP"] != "0.0.0.0:8090" {
			t.Errorf("%s: LUMBUNG_HTTP %q, want 0.0.0.0:8090", name, env["LUMBUNG_HTTP"])
		}
		if !strings.Contains(env["DATABASE_URL"], "@postgres:5432/") {
			t.Errorf("%s: DATABASE_URL %q does not name the postgres service", name, env["DATABASE_URL"])
		}
		for _, p := range strings.Split(env["LUMBUNG_TRUSTED_PROXIES"], ",") {
			pre, err := netip.ParsePrefix(p)
			if err != nil {
				a, aerr := netip.ParseAddr(p)
				if aerr != nil {
					t.Errorf("%s: LUMBUNG_TRUSTED_PROXIES entry %q: %v", name, p, err)
					continue
				}
				pre = netip.PrefixFrom(a, a.BitLen())
			}
			if !pre.Contains(lbAddr) || !subnet.Overlaps(pre) {
				t.Errorf("%s: trusted proxies %q do not match the balancer %s in %s", name, p, lbAddr, subnet)
			}
		}
		if n.Networks["edge"] == nil || n.Networks["db"] == nil {
			t.Errorf("%s: networks %v, want edge and db", name, n.Networks)
		}
		if n.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("%s: should wait for a healthy postgres", name)
		}
		if _, ok := balancer.DependsOn[name]; !ok {
			t.Errorf("the balancer does not depend on %s", name)
		}
	}
	if c.Services["postgres"].Healthcheck == nil {
		t.Error("postgres has no healthcheck")
	}
	for _, svc := range c.Services {
		for _, v := range svc.Volumes {
			if src, _, ok := strings.Cut(v, ":"); ok && strings.HasPrefix(src, "./") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("mounted file: %v", err)
				}
			}
		}
	}

	// The balancer sends to every node, round robin, and checks their health.
	caddy, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+([^{]+)\{`).FindSubmatch(caddy)
	if m == nil {
		t.Fatal("the Caddyfile has no reverse_proxy")
	}
	upstreams := strings.Fields(string(m[1]))
	if !slices.Equal(upstreams, []string{"lumbung-1:8090", "lumbung-2:8090", "lumbung-3:8090"}) {
		t.Errorf("upstreams %v, want the three nodes on 8090", upstreams)
	}
	for _, want := range []string{"lb_policy round_robin", "health_uri /api/health"} {
		if !bytes.Contains(caddy, []byte(want)) {
			t.Errorf("the Caddyfile lacks %q", want)
		}
	}
	for _, sticky := range []string{"lb_policy cookie", "lb_policy ip_hash", "lb_policy client_ip_hash"} {
		if bytes.Contains(caddy, []byte(sticky)) {
			t.Errorf("the Caddyfile has sticky sessions (%q)", sticky)
		}
	}
}

// dockerStage is one FROM ... AS name stage of the Dockerfile, with its
// instructions (continuation lines joined, comments dropped).
type dockerStage struct {
	from  string
	lines []string
}

func dockerStages(t *testing.T) map[string]*dockerStage {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stages := map[string]*dockerStage{}
	var cur *dockerStage
	var pending string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if pending == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, pending = pending+line, ""
		fields := strings.Fields(line)
		if strings.EqualFold(fields[0], "FROM") {
			if len(fields) != 4 || !strings.EqualFold(fields[2], "AS") {
				t.Fatalf("Dockerfile: %q: every stage needs a name (FROM image AS name)", line)
			}
			cur = &dockerStage{from: fields[1]}
			stages[fields[3]] = cur
			continue
		}
		if cur != nil {
			cur.lines = append(cur.lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// TestDockerfile checks the stages: a static build, and two final images
// (a node, and one with Debian's PostgreSQL for the embedded default) that
// run as an unprivileged user on 0.0.0.0:8090 with a HEALTHCHECK on
// /api/health.
func TestDockerfile(t *testing.T) {
	stages := dockerStages(t)
	build := stages["build"]
	if build == nil {
		t.Fatal("no build stage")
	}
	joined := strings.Join(build.lines, "\n")
	for _, want := range []string{"CGO_ENABLED=0", "go build", "./server/cmd/lumbung"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the build stage lacks %q", want)
		}
	}
	for _, name := range []string{"lumbung", "embedded"} {
		s := stages[name]
		if s == nil {
			t.Errorf("no %s stage", name)
			continue
		}
		has := func(prefix string) string {
			for _, l := range s.lines {
				if strings.HasPrefix(l, prefix) {
					return l
				}
			}
			return ""
		}
		if u := strings.Fields(has("USER ") + " x x")[1]; u == "x" || u == "root" || u == "0" || strings.HasPrefix(u, "0:") {
			t.Errorf("%s: runs as %q, want an unprivileged user", name, u)
		}
		if h := has("HEALTHCHECK "); !strings.Contains(h, "CMD ") || !strings.Contains(h, "127.0.0.1:8090/api/health") {
			t.Errorf("%s: HEALTHCHECK %q, want one on /api/health", name, h)
		}
		if !strings.Contains(has("ENV "), "LUMBUNG_HTTP=0.0.0.0:8090") {
			t.Errorf("%s: does not listen on 0.0.0.0:8090", name)
		}
		if has("EXPOSE 8090") == "" || has("COPY --from=build /out/lumbung ") == "" {
			t.Errorf("%s: wants EXPOSE 8090 and the binary from the build stage", name)
		}
	}
	if e := stages["embedded"]; e != nil && !strings.Contains(strings.Join(e.lines, "\n"), "postgresql") {
		t.Error("the embedded stage does not install PostgreSQL")
	}
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil || !bytes.Contains(ignore, []byte("node_modules")) {
		t.Errorf("Dockerfile.dockerignore should keep node_modules out of the context (%v)", err)
	}
}

var static struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// mustBuildStatic builds ./server/cmd/lumbung as the Dockerfile does
// (CGO_ENABLED=0) into bin/lumbung-static, once per test process.
func mustBuildStatic(t *testing.T) string {
	t.Helper()
	static.once.Do(func() {
		static.path, static.err = filepath.Abs("../bin/lumbung-static")
		if static.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", static.path, "./server/cmd/lumbung")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		static.out, static.err = cmd.CombinedOutput()
	})
	if static.err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", static.err, static.out)
	}
	return static.path
}

// TestStaticBinary builds the binary the Dockerfile builds and checks it
// is static: no program interpreter (dynamic loader) and no shared
// libraries, so it runs on any Linux image, scratch included.
func TestStaticBinary(t *testing.T) {
	bin := mustBuildStatic(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("program header %v: the binary is dynamically linked", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("shared libraries %v (%v)", libs, err)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "lumbung ") {
		t.Errorf("lumbung version: %v: %s", err, out)
	}
}

// TestSystemdUnit checks the unit with systemd's own parser
// (systemd-analyze verify, which reports unknown keys and bad values) and
// that it is hardened and waits long enough for the drain.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("systemd/lumbung.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"DynamicUser=yes", "StateDirectory=lumbung", "ProtectSystem=strict", "ProtectHome=yes",
		"NoNewPrivileges=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n", "TimeoutStopSec=60",
		"ExecStart=/usr/local/bin/lumbung serve",
	} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (make test-deploy installs Debian's systemd): the unit's syntax is not checked")
	}
	// verify needs ExecStart to exist: point it at the static binary.
	bin := mustBuildStatic(t)
	dir := t.TempDir()
	copyUnit := filepath.Join(dir, "lumbung.service")
	if err := os.WriteFile(copyUnit, bytes.ReplaceAll(unit, []byte("/usr/local/bin/lumbung"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(analyze, "verify", "--man=no", copyUnit)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, stderr.String())
	}
}

// TestSmokeScriptSyntax parses deploy/smoke.sh with sh -n (it runs only
// where Docker does: make test-cluster-compose).
func TestSmokeScriptSyntax(t *testing.T) {
	for _, script := range []string{"smoke.sh", "compose-initdb.sh"} {
		if out, err := exec.Command("sh", "-n", script).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", script, err, out)
		}
		if st, err := os.Stat(script); err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("%s should be executable (%v)", script, err)
		}
	}
}
