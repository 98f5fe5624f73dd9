package localpg

import "syscall"

// stopWithParent makes the kernel send postgres SIGQUIT (immediate
// shutdown) when the thread that started it exits. Go threads outlive the
// goroutines they run unless locked with runtime.LockOSThread, so in
// practice that is when the process dies.
func stopWithParent(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGQUIT }
