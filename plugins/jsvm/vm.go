package jsvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
)

// vmState is one VM of a generation with what its hook files declared.
type vmState struct {
	gen   *generation
	vm    *goja.Runtime
	regs  registrations
	first bool // the generation's first VM: its load output is shown

	loading bool            // the hook files are running: on*, routerAdd and cronAdd declare
	ctx     context.Context // the call's context while a call runs
	budget  budget
	modules map[string]*goja.Object // require() cache: module objects by path

	appFn       func() *goja.Object // what the global $app is now (see withApp)
	recordProto *goja.Object        // the prototype of records
	holder      *goja.Symbol        // the key of the Go value behind records and collections
	model       *goja.Symbol        // the key of the model of an arrayOf list
	warned      map[string]bool
}

// newVMState makes a VM with PocketBase's globals.
func newVMState(g *generation, first bool) *vmState {
	vm := goja.New()
	vm.SetFieldNameMapper(goja.UncapFieldNameMapper())
	vm.SetMaxCallStackSize(2000)
	st := &vmState{gen: g, vm: vm, first: first, modules: map[string]*goja.Object{},
		holder: goja.NewSymbol("lumbung"), warned: map[string]bool{}}
	st.budget.vm = vm
	if _, err := vm.RunString(errorsPrelude); err != nil {
		panic(err) // the prelude is constant
	}
	vm.Set("__hooks", g.r.dir)
	st.bindConsole()
	osObj := vm.NewObject()
	osObj.Set("getenv", os.Getenv)
	vm.Set("$os", osObj)
	vm.Set("require", st.requireFrom(""))
	vm.Set("DynamicModel", func(call goja.ConstructorCall) *goja.Object {
		out := vm.NewObject()
		if shape, ok := call.Argument(0).(*goja.Object); ok {
			for _, k := range shape.Keys() {
				out.Set(k, shape.Get(k))
			}
		}
		return out
	})
	st.bindArrayOf()
	st.bindTemplate()
	st.bindFilesystem()
	// sleep(ms) waits, not counted in the call's JavaScript time, at
	// most that time limit at once (a VM waiting is one the pool lacks).
	vm.Set("sleep", func(call goja.FunctionCall) goja.Value {
		d := min(time.Duration(call.Argument(0).ToInteger())*time.Millisecond, time.Duration(g.r.cfg.Timeout))
		st.budget.pause()
		defer st.budget.resume()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-st.context().Done():
		}
		return goja.Undefined()
	})
	st.bindRecord()
	st.bindHooks()
	st.bindRoutes()
	st.bindCron()
	st.bindSecurity()
	st.bindHTTP()
	st.bindMail()
	system := lazyApp(st, g.r.host.Records(collections.System))
	st.appFn = system
	// $app reads what the running call scopes it to (withApp), built when a
	// script first reads it; assigning it (as a migration's VM does) sets it.
	get := vm.ToValue(func(goja.FunctionCall) goja.Value { return st.appFn() })
	set := vm.ToValue(func(call goja.FunctionCall) goja.Value {
		a := call.Argument(0).ToObject(vm)
		st.appFn = func() *goja.Object { return a }
		return goja.Undefined()
	})
	if err := vm.GlobalObject().DefineAccessorProperty("$app", get, set, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
		panic(err) // not reached: a new VM's global object takes it
	}
	return st
}

// context returns the running call's context.
func (st *vmState) context() context.Context {
	if st.ctx != nil {
		return st.ctx
	}
	return context.Background()
}

// throw throws err into the script: a Go error it may catch, which
// answers as Lumbung answers it when it does not.
func (st *vmState) throw(err error) {
	panic(st.vm.NewGoError(err))
}

// fault throws into the script an error of its own doing that a binding
// found (a module that is not there, an address refused, a request that
// failed): the script may catch it; uncaught, it answers as any script
// error (see fail).
func (st *vmState) fault(err error) {
	panic(st.vm.NewGoError(scriptError{err}))
}

// scriptError marks an error of the script's own doing.
type scriptError struct{ err error }

func (e scriptError) Error() string { return e.err.Error() }
func (e scriptError) Unwrap() error { return e.err }

// rethrow throws into the script an error a script call returned: the
// value a script threw as it was (an ApiError stays one), a Go error as
// one the script may catch.
func (st *vmState) rethrow(err error) {
	var ex *goja.Exception
	if errors.As(err, &ex) && ex.Value() != nil {
		panic(ex.Value())
	}
	panic(st.vm.NewGoError(err))
}

// warn logs a warning once per VM generation, from its first VM only.
func (st *vmState) warn(key, msg string, args ...any) {
	if !st.first || st.warned[key] {
		return
	}
	st.warned[key] = true
	st.gen.r.log.Warn(msg, args...)
}

// bindConsole adds console.log/info/debug/warn/error, which log through
// the server's logger with the script's file and line. While the files
// load, only the first VM of a generation logs (every VM runs them).
func (st *vmState) bindConsole() {
	c := st.vm.NewObject()
	logAt := func(level slog.Level) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			if st.loading && !st.first {
				return goja.Undefined()
			}
			parts := make([]string, len(call.Arguments))
			for i, a := range call.Arguments {
				parts[i] = st.format(a)
			}
			st.gen.r.log.Log(st.context(), level, strings.Join(parts, " "), "at", st.caller())
			return goja.Undefined()
		}
	}
	c.Set("log", logAt(slog.LevelInfo))
	c.Set("info", logAt(slog.LevelInfo))
	c.Set("debug", logAt(slog.LevelDebug))
	c.Set("warn", logAt(slog.LevelWarn))
	c.Set("error", logAt(slog.LevelError))
	st.vm.Set("console", c)
}

// caller is the file and line of the script calling a Go function.
func (st *vmState) caller() string {
	for _, f := range st.vm.CaptureCallStack(8, nil) {
		if p := f.Position(); p.Filename != "" {
			return fmt.Sprintf("%s:%d", p.Filename, p.Line)
		}
	}
	return "?"
}

// format writes a value as console.log does: strings as they are, other
// values as JSON where they have one.
func (st *vmState) format(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if goja.IsNull(v) {
		return "null"
	}
	if s, ok := v.Export().(string); ok {
		return s
	}
	if obj, ok := v.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(obj); !isFn && obj.ClassName() != "Error" {
			if s, err := st.stringify(v); err == nil && s != "" {
				return s
			}
		}
	}
	return v.String()
}

// stringify is JSON.stringify(v).
func (st *vmState) stringify(v goja.Value) (string, error) {
	fn, _ := goja.AssertFunction(st.vm.Get("JSON").ToObject(st.vm).Get("stringify"))
	out, err := fn(goja.Undefined(), v)
	if err != nil {
		return "", err
	}
	if goja.IsUndefined(out) {
		return "", nil
	}
	return out.String(), nil
}

// fromJSON is JSON.parse of b, as a script value (null when b is not
// JSON).
func (st *vmState) fromJSON(b []byte) goja.Value {
	fn, _ := goja.AssertFunction(st.vm.Get("JSON").ToObject(st.vm).Get("parse"))
	out, err := fn(goja.Undefined(), st.vm.ToValue(string(b)))
	if err != nil {
		return goja.Null()
	}
	return out
}

// toJSValue is a Go value (decoded JSON, records' values) as a script's
// own objects and arrays.
func (st *vmState) toJSValue(v any) goja.Value {
	switch v.(type) {
	case map[string]any, []any:
		b, err := json.Marshal(v)
		if err != nil {
			return goja.Null()
		}
		return st.fromJSON(b)
	}
	return st.vm.ToValue(v)
}

// fn makes a script function of a Go one.
func (st *vmState) fn(f func(call goja.FunctionCall) goja.Value) goja.Value {
	return st.vm.ToValue(f)
}

// declaring refuses a declaration (a hook, route or job) made after the
// files loaded: the handlers of every VM must be the same.
func (st *vmState) declaring(what string) {
	if !st.loading {
		panic(st.vm.NewTypeError("%s can be called only at the top level of a hook file", what))
	}
}
