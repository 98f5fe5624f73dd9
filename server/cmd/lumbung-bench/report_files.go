package main

import (
	"fmt"
	"io"
	"strings"
)

// memoryReport is a server's memory around upload-memory's uploads, in
// KiB from /proc/<pid>/status; -1 where unknown.
type memoryReport struct {
	Clients int `json:"clients"` // uploads sent at once
	FileMB  int `json:"fileMB"`  // the size of each
	// RSSBeforeKiB is VmRSS before the uploads; PeakRSSKiB the highest
	// VmRSS read while they ran (Samples reads).
	RSSBeforeKiB int64 `json:"rssBeforeKiB"`
	PeakRSSKiB   int64 `json:"peakRssKiB"`
	Samples      int   `json:"samples"`
	// VmHWM, the peak RSS since the server started, before and after:
	// when it rose, the uploads set a new peak that sampling may have
	// missed.
	HWMBeforeKiB int64 `json:"hwmBeforeKiB"`
	HWMAfterKiB  int64 `json:"hwmAfterKiB"`
}

// growthKiB is the peak RSS during the uploads above the RSS before, the
// VmHWM counted when the uploads raised it; -1 when unknown.
func (m *memoryReport) growthKiB() int64 {
	if m.RSSBeforeKiB < 0 || m.PeakRSSKiB < 0 {
		return -1
	}
	peak := m.PeakRSSKiB
	if m.HWMAfterKiB > m.HWMBeforeKiB && m.HWMBeforeKiB >= 0 {
		peak = max(peak, m.HWMAfterKiB)
	}
	return peak - m.RSSBeforeKiB
}

// writeFiles prints the file scenarios' throughput in MB/s and the
// servers' memory during upload-memory, when they ran.
func (r *benchReport) writeFiles(w io.Writer) {
	var rows, mem []scenarioReport
	for _, s := range r.Scenarios {
		if sc, ok := scenarioByName(s.Name); ok && sc.files && sc.payload != nil {
			rows = append(rows, s)
		}
		if (s.Lumbung != nil && s.Lumbung.Memory != nil) || (s.PocketBase != nil && s.PocketBase.Memory != nil) {
			mem = append(mem, s)
		}
	}
	if len(rows) > 0 {
		fmt.Fprintln(w, "\nUploads: file bytes taken in per second (MB = 2^20 bytes; the baseline stores no files):")
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%-19s | %-12s | %9s %9s | %9s %9s | %5s\n", "scenario", "pg mode", "lumbung", "MB/s", "pocketb.", "MB/s", "l/pb")
		fmt.Fprintf(w, "%-19s | %-12s | %9s %9s | %9s %9s |\n", "", "", "req/s", "", "req/s", "")
		fmt.Fprintln(w, strings.Repeat("-", 19)+"-+-"+strings.Repeat("-", 12)+"-+-"+strings.Repeat("-", 19)+"-+-"+strings.Repeat("-", 19)+"-+------")
		for _, s := range rows {
			pbRatio := "n/a"
			if s.PocketBaseRatio != nil {
				pbRatio = fmt.Sprintf("%.2f", *s.PocketBaseRatio)
			}
			fmt.Fprintf(w, "%-19s | %-12s | %9s %9s | %9s %9s | %5s\n", s.Name, s.Mode,
				reqPerSecPrecise(s.Lumbung), mbPerSec(s.Lumbung), reqPerSecPrecise(s.PocketBase), mbPerSec(s.PocketBase), pbRatio)
		}
	}
	for _, s := range mem {
		var m *memoryReport
		for _, t := range []*targetReport{s.Lumbung, s.PocketBase} {
			if t != nil && t.Memory != nil {
				m = t.Memory
				break
			}
		}
		fmt.Fprintf(w, "\nServer memory during %s: %d clients upload one %d MB file each, all at once (%d MB in all);\n",
			s.Name, m.Clients, m.FileMB, m.Clients*m.FileMB)
		fmt.Fprintln(w, "RSS in MB from /proc/<pid>/status, VmRSS sampled every", memorySampleEvery, "and VmHWM (peak since start):")
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%-10s | %10s %9s %9s | %10s %9s | %7s | %s\n", "target", "RSS before", "peak", "growth", "HWM before", "after", "samples", "uploads ok")
		fmt.Fprintln(w, strings.Repeat("-", 10)+"-+-"+strings.Repeat("-", 30)+"-+-"+strings.Repeat("-", 20)+"-+-"+strings.Repeat("-", 7)+"-+-"+strings.Repeat("-", 10))
		for _, t := range []struct {
			name string
			rep  *targetReport
		}{{"lumbung", s.Lumbung}, {"pocketbase", s.PocketBase}} {
			if t.rep == nil || t.rep.Memory == nil {
				fmt.Fprintf(w, "%-10s | %9s\n", t.name, "n/a")
				continue
			}
			m := t.rep.Memory
			fmt.Fprintf(w, "%-10s | %10s %9s %9s | %10s %9s | %7d | %d of %d\n", t.name,
				kibAsMB(m.RSSBeforeKiB), kibAsMB(m.PeakRSSKiB), kibAsMB(m.growthKiB()),
				kibAsMB(m.HWMBeforeKiB), kibAsMB(m.HWMAfterKiB), m.Samples, t.rep.OK, t.rep.Requests)
		}
		fmt.Fprintln(w, "\ngrowth = the peak during the uploads (VmHWM after, when the uploads raised it) - RSS before;")
		fmt.Fprintln(w, "a server that streams uploads to disk grows by buffers, not by the files")
	}
}

// reqPerSecPrecise formats t's req/s with a decimal: uploads are few.
func reqPerSecPrecise(t *targetReport) string {
	if t == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", t.ReqPerSec)
}

func mbPerSec(t *targetReport) string {
	if t == nil {
		return "n/a"
	}
	return num(t.MBPerSec, 1)
}

// kibAsMB formats KiB as MB (2^20 bytes), "-" when unknown.
func kibAsMB(kib int64) string {
	if kib < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(kib)/1024)
}
