package jsvm

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
)

// bindCron adds cronAdd(name, expression, fn) and cronRemove(name).
// Jobs run through the server's scheduler: once across the nodes of the
// database, listed in GET /api/crons.
func (st *vmState) bindCron() {
	st.vm.Set("cronAdd", func(call goja.FunctionCall) goja.Value {
		st.declaring("cronAdd")
		name, expr := call.Argument(0).String(), call.Argument(1).String()
		fn, ok := goja.AssertFunction(call.Argument(2))
		if !ok {
			panic(st.vm.NewTypeError("cronAdd: the handler must be a function"))
		}
		st.regs.crons = slices.DeleteFunc(st.regs.crons, func(c jsCron) bool { return c.name == name })
		st.regs.crons = append(st.regs.crons, jsCron{name: name, expr: expr, fn: fn})
		return goja.Undefined()
	})
	st.vm.Set("cronRemove", func(call goja.FunctionCall) goja.Value {
		st.declaring("cronRemove")
		name := call.Argument(0).String()
		st.regs.crons = slices.DeleteFunc(st.regs.crons, func(c jsCron) bool { return c.name == name })
		return goja.Undefined()
	})
}

// syncCrons schedules the jobs of g and unschedules those it dropped. At
// the start a job the scheduler refuses (a bad expression, a name
// taken) stops the start; after a reload it is logged.
func (r *runner) syncCrons(g *generation, starting bool) error {
	want := map[string]string{}
	for _, c := range g.shape.crons {
		want[c.name] = c.expr
	}
	for _, name := range slices.Sorted(maps.Keys(r.crons)) {
		if expr, ok := want[name]; !ok || expr != r.crons[name] {
			r.host.Cron().Remove(name)
			delete(r.crons, name)
		}
	}
	var errs []error
	for _, c := range g.shape.crons {
		if _, ok := r.crons[c.name]; ok {
			continue
		}
		name := c.name
		if err := r.host.Cron().Add(name, c.expr, func(ctx context.Context) error { return r.runCron(ctx, name) }); err != nil {
			err = fmt.Errorf("JS cron %q: %w", name, err)
			if starting {
				return err
			}
			errs = append(errs, err)
			continue
		}
		r.crons[name] = c.expr
	}
	for _, err := range errs {
		r.log.Error("JS cron not scheduled", "err", err)
	}
	return nil
}

// runCron runs the job name of the current generation.
func (r *runner) runCron(ctx context.Context, name string) error {
	g := r.current()
	if g.shape.cron(name) == nil {
		return nil
	}
	return g.run(ctx, func(st *vmState) error {
		return st.withApp(lazyApp(st, r.host.Records(collections.System)), func() error {
			_, err := st.regs.cron(name).fn(goja.Undefined())
			return err
		})
	})
}
