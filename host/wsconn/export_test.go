package wsconn

// WriterGoroutines returns how many writer goroutines s has started.
func WriterGoroutines(s *Server) int64 { return s.writers.Load() }

// IdleReaders returns how many reader goroutines of s wait for a read
// pass, and the most that may.
func IdleReaders(s *Server) (idle, most int32) { return s.idleReaders.Load(), s.maxIdle }
