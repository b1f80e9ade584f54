package bench

import (
	"os"
	"path/filepath"
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

// pgCPU returns a function reading the CPU time the PostgreSQL backends serving database db have used so far,
// when the cluster runs on this machine under everymeter's layout (socket directory <dir>/run, data directory
// <dir>/pg); ok is false otherwise. Backends are told apart by their process title, which names the database,
// so other databases of a shared cluster (other tests) are not counted. A backend that exits takes its time
// with it: the pool keeps its connections for the whole run, so that loses next to nothing.
func pgCPU(socketDir, db string) (func() time.Duration, bool) {
	b, err := os.ReadFile(filepath.Join(filepath.Dir(socketDir), "pg", "postmaster.pid"))
	if err != nil || db == "" {
		return nil, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm := strings.TrimSpace(first)
	if _, err := strconv.Atoi(pm); err != nil {
		return nil, false
	}
	mark := " " + db + " "
	return func() time.Duration {
		var ticks uint64
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err != nil {
				continue
			}
			st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil {
				continue
			}
			// Fields after the parenthesised command: state ppid … utime(14) stime(15).
			i := strings.LastIndexByte(string(st), ')')
			if i < 0 {
				continue
			}
			f := strings.Fields(string(st[i+1:]))
			if len(f) < 13 || f[1] != pm {
				continue
			}
			title, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
			if !strings.Contains(strings.ReplaceAll(string(title), "\x00", " ")+" ", mark) {
				continue
			}
			u, _ := strconv.ParseUint(f[11], 10, 64)
			s, _ := strconv.ParseUint(f[12], 10, 64)
			ticks += u + s
		}
		return time.Duration(ticks) * (time.Second / clockTicks)
	}, true
}

// clockTicks is USER_HZ, the unit of /proc/*/stat times (100 on every Linux this runs on).
const clockTicks = 100
