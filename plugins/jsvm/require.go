package jsvm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dop251/goja"
)

// requireFrom returns the require function of a module in folder from
// (relative to the hooks folder, "" for the folder itself): CommonJS
// modules of the hooks folder, found by a path relative to from
// ("./utils.js", "../lib/x"), an absolute path inside the folder
// (`${__hooks}/utils.js`), or a bare name under node_modules. Nothing
// outside the hooks folder is read: not by "..", not through a symbolic
// link.
func (st *vmState) requireFrom(from string) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		spec := call.Argument(0).String()
		rel, err := st.resolve(from, spec)
		if err != nil {
			st.fault(err)
		}
		if m, ok := st.modules[rel]; ok {
			return m.Get("exports")
		}
		m, err := st.loadModule(rel)
		if err != nil {
			var ex *goja.Exception
			if errors.As(err, &ex) {
				st.rethrow(err)
			}
			st.fault(err)
		}
		return m.Get("exports")
	}
}

// resolve finds the module spec names, as a path relative to the hooks
// folder with forward slashes.
func (st *vmState) resolve(from, spec string) (string, error) {
	dir := st.gen.r.dir
	var rel string
	switch {
	case spec == "":
		return "", errors.New("require: no module named")
	case filepath.IsAbs(spec):
		r, err := filepath.Rel(dir, filepath.Clean(spec))
		if err != nil {
			return "", fmt.Errorf("require(%q): the module is outside the hooks folder", spec)
		}
		rel = filepath.ToSlash(r)
	case strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || spec == "." || spec == "..":
		rel = path.Join(from, spec)
	default:
		rel = path.Join("node_modules", spec)
	}
	rel = path.Clean(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return "", fmt.Errorf("require(%q): the module is outside the hooks folder", spec)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	candidates := []string{rel, rel + ".js", rel + ".json", rel + "/index.js"}
	if b, err := root.ReadFile(rel + "/package.json"); err == nil {
		var pkg struct{ Main string }
		if json.Unmarshal(b, &pkg) == nil && pkg.Main != "" {
			main := path.Clean(path.Join(rel, pkg.Main))
			candidates = append([]string{main, main + ".js"}, candidates...)
		}
	}
	for _, c := range candidates {
		if c == ".." || strings.HasPrefix(c, "../") {
			continue
		}
		if info, err := root.Stat(c); err == nil && !info.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("require(%q): no such module in the hooks folder", spec)
}

// loadModule runs the module at rel and caches it.
func (st *vmState) loadModule(rel string) (*goja.Object, error) {
	root, err := os.OpenRoot(st.gen.r.dir)
	if err != nil {
		return nil, err
	}
	src, err := root.ReadFile(rel)
	root.Close()
	if err != nil {
		return nil, fmt.Errorf("require(%q): %w", rel, err)
	}
	m := st.vm.NewObject()
	if strings.HasSuffix(rel, ".json") {
		var v any
		if err := json.Unmarshal(src, &v); err != nil {
			return nil, fmt.Errorf("require(%q): %w", rel, err)
		}
		m.Set("exports", st.toJSValue(v))
		st.modules[rel] = m
		return m, nil
	}
	p, err := st.gen.module(rel, string(src))
	if err != nil {
		return nil, fmt.Errorf("require(%q): %w", rel, err)
	}
	wrapper, err := st.vm.RunProgram(p)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(wrapper)
	if !ok {
		return nil, fmt.Errorf("require(%q): not a module", rel)
	}
	exports := st.vm.NewObject()
	m.Set("exports", exports)
	m.Set("id", rel)
	st.modules[rel] = m // before it runs: modules that require each other
	abs := filepath.Join(st.gen.r.dir, filepath.FromSlash(rel))
	if _, err := fn(goja.Undefined(), exports, st.vm.ToValue(st.requireFrom(path.Dir(rel))), m,
		st.vm.ToValue(abs), st.vm.ToValue(filepath.Dir(abs))); err != nil {
		delete(st.modules, rel)
		return nil, err
	}
	return m, nil
}
