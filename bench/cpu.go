package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is the machine's CPU counters (Linux /proc/stat) and this process's CPU time at one moment.
type cpuSample struct {
	at        time.Time
	busy, all uint64 // clock ticks over all CPUs
	self      time.Duration
	ok        bool
}

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return s
	}
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		s.all += n
		if i != 3 && i != 4 { // idle and iowait
			s.busy += n
		}
	}
	s.ok = true
	return s
}

// until returns the cores, the busy share of all of them, and this process's share, between s and e.
func (s cpuSample) until(e cpuSample) (int, float64, float64) {
	cores := runtime.NumCPU()
	if !s.ok || !e.ok || e.all <= s.all {
		return 0, 0, 0
	}
	busy := float64(e.busy-s.busy) / float64(e.all-s.all)
	self := float64(e.self-s.self) / float64(e.at.Sub(s.at)) / float64(cores)
	return cores, busy, self
}

// loadAvg returns the 1-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
