package jsvm

import (
	"sync"
	"time"

	"github.com/dop251/goja"
)

// budget is the time one call may run JavaScript on a VM: when it runs
// out the VM is interrupted (goja's Interrupt: the script stops at its
// next instruction with an error no try/catch can hold). Waiting on Go
// work that is not the script's (e.next(), $http.send) pauses it.
type budget struct {
	vm *goja.Runtime

	mu    sync.Mutex
	token uint64 // which timer may still interrupt
	left  time.Duration
	since time.Time
	timer *time.Timer
	depth int // pauses in progress
}

// start gives the call d and starts counting.
func (b *budget) start(d time.Duration) {
	b.mu.Lock()
	b.left, b.depth = d, 0
	b.mu.Unlock()
	b.resume()
}

// pause stops counting until resume.
func (b *budget) pause() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.depth++
	if b.depth > 1 {
		return
	}
	b.token++
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if b.left -= time.Since(b.since); b.left < 0 {
		b.left = 0
	}
}

// resume counts again.
func (b *budget) resume() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.depth > 0 {
		b.depth--
		if b.depth > 0 {
			return
		}
	}
	b.token++
	tok := b.token
	b.since = time.Now()
	b.timer = time.AfterFunc(max(b.left, 0), func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.token == tok {
			b.vm.Interrupt(errTimeout)
		}
	})
}

// stop ends the call: no interrupt follows, and one that came is cleared
// so the VM can run the next call.
func (b *budget) stop() {
	b.mu.Lock()
	b.token++
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.mu.Unlock()
	b.vm.ClearInterrupt()
}
