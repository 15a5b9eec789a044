package metrics

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// sizeTTL is how long a measured store size is served before the store
// directory is walked again.
const sizeTTL = 30 * time.Second

// Store measures the event store: the time of each write transaction
// (ObserveCommit, which badgerstore calls as Options.OnCommit) and the
// bytes its files take on disk.
type Store struct {
	commit prometheus.Histogram
	size   dirSize
}

// NewStore registers the store metrics in reg; dir is the store's
// directory.
func NewStore(reg prometheus.Registerer, dir string) (*Store, error) {
	s := &Store{
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "relayd_store_commit_seconds",
			Help:    "Time to apply and commit one write transaction (a group commit of events, fsync included).",
			Buckets: LatencyBuckets(),
		}),
		size: dirSize{dir: dir, now: time.Now},
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "relayd_store_bytes",
		Help: "Disk space the store's files take (allocated blocks), measured at most every 30 s.",
	}, s.size.bytes)
	for _, c := range []prometheus.Collector{s.commit, size} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: store: %w", err)
		}
	}
	return s, nil
}

// ObserveCommit records one write transaction that took d.
func (s *Store) ObserveCommit(d time.Duration) { s.commit.Observe(d.Seconds()) }

// dirSize is the disk space of a directory tree, measured again when the
// last measure is older than sizeTTL, on the scrape that asks: walking a
// store of a few thousand files is well under a millisecond of system
// calls, once per TTL.
type dirSize struct {
	dir string
	now func() time.Time

	mu    sync.Mutex
	at    time.Time
	value float64
}

func (d *dirSize) bytes() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now := d.now(); d.at.IsZero() || now.Sub(d.at) >= sizeTTL {
		d.value, d.at = float64(treeSize(d.dir)), now
	}
	return d.value
}

// treeSize adds up the disk space of the files under dir. Files that vanish
// meanwhile (a compaction) are skipped.
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		if fi, err := e.Info(); err == nil {
			n += allocated(fi)
		}
		return nil
	})
	return n
}
