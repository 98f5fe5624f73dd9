package jsvm

import (
	"fmt"
	"html/template"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/dop251/goja"
)

// bindTemplate adds PocketBase's $template: loadFiles(...paths) and
// loadString(text) parse Go's html/template templates (values escaped as
// the context needs; raw(text) marks trusted HTML), and render(data) runs
// the first, the others defining the blocks it uses. Files are read from
// the hooks folder only: `${__hooks}/views/page.html` or a path relative
// to the folder; not through "..", not through a symbolic link.
func (st *vmState) bindTemplate() {
	funcs := template.FuncMap{"raw": func(s string) template.HTML { return template.HTML(s) }}
	renderer := func(tpl *template.Template) goja.Value {
		r := st.vm.NewObject()
		r.Set("render", func(call goja.FunctionCall) goja.Value {
			var b strings.Builder
			if err := tpl.Execute(&b, exportValue(call.Argument(0))); err != nil {
				st.fault(fmt.Errorf("$template: %w", err))
			}
			return st.vm.ToValue(b.String())
		})
		return r
	}
	t := st.vm.NewObject()
	t.Set("loadString", func(call goja.FunctionCall) goja.Value {
		tpl, err := template.New("").Funcs(funcs).Parse(call.Argument(0).String())
		if err != nil {
			st.fault(fmt.Errorf("$template: %w", err))
		}
		return renderer(tpl)
	})
	t.Set("loadFiles", func(call goja.FunctionCall) goja.Value {
		if len(call.Arguments) == 0 {
			panic(st.vm.NewTypeError("$template.loadFiles: no file named"))
		}
		root, err := os.OpenRoot(st.gen.r.dir)
		if err != nil {
			st.fault(fmt.Errorf("$template: %w", err))
		}
		defer root.Close()
		var first, tpl *template.Template
		for _, a := range call.Arguments {
			rel, err := st.hooksFile(a.String())
			if err != nil {
				st.fault(fmt.Errorf("$template.loadFiles: %w", err))
			}
			src, err := root.ReadFile(rel)
			if err != nil {
				st.fault(fmt.Errorf("$template.loadFiles(%q): %w", a.String(), err))
			}
			if first == nil {
				first = template.New(path.Base(rel)).Funcs(funcs)
				tpl = first
			} else {
				tpl = tpl.New(path.Base(rel))
			}
			if _, err := tpl.Parse(string(src)); err != nil {
				st.fault(fmt.Errorf("$template: %w", err))
			}
		}
		return renderer(first)
	})
	st.vm.Set("$template", t)
}

// hooksFile is the path relative to the hooks folder of name: a path
// inside the folder, absolute or relative to it.
func (st *vmState) hooksFile(name string) (string, error) {
	rel := filepath.ToSlash(name)
	if filepath.IsAbs(name) {
		r, err := filepath.Rel(st.gen.r.dir, filepath.Clean(name))
		if err != nil {
			return "", fmt.Errorf("%q is outside the hooks folder", name)
		}
		rel = filepath.ToSlash(r)
	}
	rel = path.Clean(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(rel) {
		return "", fmt.Errorf("%q is outside the hooks folder", name)
	}
	return rel, nil
}
