package wsconn

// WriterGoroutines returns how many writer goroutines s has started.
func WriterGoroutines(s *Server) int64 { return s.writers.Load() }
