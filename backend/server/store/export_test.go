package store

// Queued reports how many writers wait for their turn (SQLite's group commit), for tests
// that arrange writers to share one commit.
func (s *DB) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}
