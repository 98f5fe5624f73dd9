package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childProcAttr puts the server in its own process group, so Ctrl-C reaches
// only this command, which then stops it in order, and has the kernel send
// it SIGTERM should this command die first.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// clockTick is the unit of /proc CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// sampleCPU reads the CPU time used so far by this process, the server
// under load and the PostgreSQL cluster (the postmaster, its live children and
// the children it has reaped), and the machine's busy time. A pid of 0 or
// one that cannot be read gives -1.
func sampleCPU(serverPID, postmasterPID int) cpuSample {
	s := cpuSample{at: time.Now(), server: -1, postgres: -1, machine: -1}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if st, ok := procStat(serverPID); ok {
		s.server = st.own
	}
	if st, ok := procStat(postmasterPID); ok {
		s.postgres = st.own + st.reaped
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if ch, ok := procStat(pid); ok && ch.ppid == postmasterPID {
				s.postgres += ch.own
			}
		}
	}
	s.machine = machineBusy()
	return s
}

type procTimes struct {
	ppid        int
	own, reaped time.Duration
}

// procStat reads utime+stime and cutime+cstime from /proc/<pid>/stat.
func procStat(pid int) (procTimes, bool) {
	if pid <= 0 {
		return procTimes{}, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procTimes{}, false
	}
	// The command name may hold spaces; the fields after it do not.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return procTimes{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return procTimes{}, false
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	return procTimes{
		ppid:   int(n(1)),
		own:    time.Duration(n(11)+n(12)) * clockTick,
		reaped: time.Duration(n(13)+n(14)) * clockTick,
	}, true
}

// machineBusy is the time all CPUs spent running anything, from /proc/stat:
// user, nice, system, irq and softirq (not idle, iowait or steal).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return -1
	}
	var busy int64
	for _, k := range []int{1, 2, 3, 6, 7} { // user, nice, system, irq, softirq
		v, _ := strconv.ParseInt(f[k], 10, 64)
		busy += v
	}
	return time.Duration(busy) * clockTick
}
