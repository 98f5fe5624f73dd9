// Package jsvm runs PocketBase's JavaScript hooks on Lumbung: the files
// *.pb.js of the hooks folder (DataDir/hooks, or a pb_hooks folder as
// PocketBase keeps one) bind record hooks (onRecordCreate, …), add routes
// (routerAdd) and schedule jobs (cronAdd) with PocketBase's JS API
// ($app, $apis, $security, $http, $os), so a PocketBase app's hooks run
// unchanged where Lumbung supports what they use (see the README of
// package plugins for the list).
//
// Scripts run on a pool of goja VMs, each of which has loaded every hook
// file; a handler runs on a VM taken from the pool (or a new one when all
// are busy), for at most Config.Timeout of JavaScript. The folder is
// polled, and a change loads the files again into a new pool that
// replaces the old one once it loaded without error.
package jsvm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server/egress"
)

func init() { plugins.Register(&Plugin{}) }

// ID is the plugin's ID in the settings: {"plugins": {"jsvm": {...}}}.
const ID = "jsvm"

// Config configures the plugin; the settings' "config" object of the
// plugin decodes into it (durations as Go writes them: "30s", "500ms").
type Config struct {
	// Dir is the hooks folder. Empty: DataDir/hooks, else DataDir/pb_hooks,
	// else pb_hooks beside the data folder (PocketBase's place), the first
	// that exists. No folder: the plugin does nothing.
	Dir string `json:"dir,omitempty"`
	// PoolSize is how many VMs are kept loaded (default 4).
	PoolSize int `json:"poolSize,omitempty"`
	// Timeout is how long one call of a handler may run JavaScript
	// (default 30s; waiting for e.next() and $http.send does not count).
	// A handler still running then is interrupted and its request fails.
	Timeout plugins.Duration `json:"timeout,omitempty"`
	// Watch is how often the folder is checked for changes (default 1s);
	// negative turns hot reload off.
	Watch plugins.Duration `json:"watch,omitempty"`
	// HTTPAllow lists address ranges (CIDR, such as "127.0.0.0/8") that
	// $http.send may reach although they are loopback, link-local,
	// private or unspecified addresses, which it refuses by default.
	HTTPAllow []string `json:"httpAllow,omitempty"`
}

// Plugin is the JS hooks plugin. Its Config holds defaults the settings
// override.
type Plugin struct {
	Config Config
	run    *runner
}

var (
	_ plugins.Plugin      = (*Plugin)(nil)
	_ plugins.Provisioner = (*Plugin)(nil)
	_ plugins.Cleaner     = (*Plugin)(nil)
)

// ID implements plugins.Plugin.
func (p *Plugin) ID() string { return ID }

// Register loads the hook files and binds what they declare. A script
// that does not load stops the start, with its file and line.
func (p *Plugin) Register(host plugins.Host) error {
	cfg := p.Config
	if err := host.Config(&cfg); err != nil {
		return err
	}
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = plugins.Duration(30 * time.Second)
	}
	if cfg.Watch == 0 {
		cfg.Watch = plugins.Duration(time.Second)
	}
	allow, err := egress.ParseAllow(cfg.HTTPAllow)
	if err != nil {
		return err
	}
	dir := hooksDir(cfg.Dir, host.DataDir())
	if dir == "" {
		return nil
	}
	r := newRunner(host, cfg, dir, allow)
	if err := r.start(); err != nil {
		return err
	}
	p.run = r
	return nil
}

// Provision runs the scripts' onBootstrap handlers and starts watching
// the hooks folder.
func (p *Plugin) Provision(ctx context.Context) error {
	if p.run == nil {
		return nil
	}
	if err := p.run.bootstrap(ctx); err != nil {
		return fmt.Errorf("JS onBootstrap: %w", err)
	}
	p.run.watchStart()
	return nil
}

// Cleanup stops watching the hooks folder.
func (p *Plugin) Cleanup() error {
	if p.run != nil {
		p.run.watchStop()
	}
	return nil
}

// hooksDir returns the hooks folder: dir when set, else the first of
// DataDir/hooks, DataDir/pb_hooks and DataDir/../pb_hooks that exists;
// "" when there is none.
func hooksDir(dir, dataDir string) string {
	candidates := []string{dir}
	if dir == "" {
		candidates = []string{filepath.Join(dataDir, "hooks"), filepath.Join(dataDir, "pb_hooks"), filepath.Join(dataDir, "..", "pb_hooks")}
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			abs, err := filepath.Abs(c)
			if err != nil {
				return c
			}
			return abs
		}
	}
	return ""
}

// errTimeout interrupts a handler that ran out of time.
var errTimeout = errors.New("the script ran out of time")

func (c Config) timeoutText() string { return fmt.Sprint(time.Duration(c.Timeout)) }
