package jsvm

import (
	"maps"
	"time"
)

// Hot reload polls the folder's file stamps (modification time and size)
// instead of using inotify: it works on every file system the folder may
// live on (network shares, container volumes, editors that save by
// renaming), needs no new dependency, and a hooks folder is a few files.

// watchStart polls the hooks folder every Config.Watch and reloads the
// scripts when a file is added, removed or changed.
func (r *runner) watchStart() {
	if r.cfg.Watch < 0 || r.stop != nil {
		return
	}
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(time.Duration(r.cfg.Watch))
		defer t.Stop()
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
			stamps, err := scan(r.dir)
			if err != nil {
				r.log.Warn("JS hooks folder", "err", err)
				continue
			}
			r.mu.Lock()
			same := maps.Equal(stamps, r.stamps)
			r.mu.Unlock()
			if !same {
				r.reload(stamps)
			}
		}
	}()
}

// watchStop stops polling and waits for a reload under way.
func (r *runner) watchStop() {
	if r.stop == nil {
		return
	}
	close(r.stop)
	<-r.done
	r.stop = nil
}
