package realtime

import (
	"context"
	"errors"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// transitions delivers update e by comparing its old and new rows: a
// subscription the record starts to match (view access and filter) gets
// "enter" with the new record, one it stops matching gets "leave" with the
// old record as the caller could see it, one it matches on both sides gets
// "update". handled is false when the view access needs the database (or
// a row cannot be judged): deliveries then treats e as it always did. A
// filter that needs the database makes its subscription fall back alone:
// "update" when the new record is visible and passes the filter.
func (c *Client) transitions(ctx context.Context, caller collections.Caller, e *published, ids []string, subs []*subscription) (out []Delivery, handled bool, err error) {
	h := c.hub
	col, ok := h.cfg.Records.Collection(e.CollectionID)
	if !ok {
		return nil, false, nil
	}
	oldData, err := e.row(col, true)
	if err != nil {
		return nil, false, nil
	}
	newData, err := e.row(col, false)
	if err != nil {
		return nil, false, nil
	}
	var env filter.Env
	for i, s := range subs {
		old, err := h.side(ctx, caller, e, col, true, s.shape)
		if err != nil || old.needsDB {
			return nil, false, nil
		}
		cur, err := h.side(ctx, caller, e, col, false, s.shape)
		if err != nil || cur.needsDB {
			return nil, false, nil
		}
		was, is := old.visible, cur.visible
		fallback := false
		if s.expr != nil {
			env = h.filterEnv(caller, col, s.shape)
			for _, x := range []struct {
				in   *bool
				data map[string]any
			}{{&was, oldData}, {&is, newData}} {
				if !*x.in || fallback {
					continue
				}
				ok, err := filter.Eval(s.expr, env, x.data)
				switch {
				case errors.Is(err, filter.ErrNeedsDatabase):
					fallback = true
				case collections.ErrorCode(err) == collections.EINVALID:
					*x.in = false // no longer valid for the caller
				case err != nil:
					h.cfg.Logger.Error("realtime: filter event", "seq", e.Seq, "sub", ids[i], "err", err)
					*x.in = false
				default:
					*x.in = ok
				}
			}
		}
		if fallback {
			if !cur.visible {
				continue
			}
			ok, err := h.passes(ctx, caller, e, s)
			if err != nil {
				if ctx.Err() != nil {
					return nil, true, ctx.Err()
				}
				h.cfg.Logger.Error("realtime: filter event", "seq", e.Seq, "sub", ids[i], "err", err)
			}
			if ok {
				out = append(out, Delivery{Sub: ids[i], Action: "update", Record: cur.body, Seq: e.Seq})
			}
			continue
		}
		switch {
		case was && is:
			out = append(out, Delivery{Sub: ids[i], Action: "update", Record: cur.body, Seq: e.Seq})
		case is:
			out = append(out, Delivery{Sub: ids[i], Action: "enter", Record: cur.body, Seq: e.Seq})
		case was:
			out = append(out, Delivery{Sub: ids[i], Action: "leave", Record: old.body, Seq: e.Seq})
		}
	}
	return out, true, nil
}
