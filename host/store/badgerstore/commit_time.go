package badgerstore

import "time"

// timeCommit reports to Options.OnCommit a commitSaves call that started at
// start, if it committed a transaction no call reported yet. commitSaves
// retries by calling itself: the call that committed reports (from the
// start of its own attempt), the callers it returns through do not, and a
// call that committed nothing (a failed commit) reports nothing. Only the
// writer goroutine calls it.
func (s *Store) timeCommit(start time.Time) {
	if s.opts.OnCommit == nil {
		return
	}
	if n := s.commits.Load(); n != s.timedCommits {
		s.timedCommits = n
		s.opts.OnCommit(time.Since(start))
	}
}
