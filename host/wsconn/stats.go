package wsconn

// QueuedBytes returns the payload bytes waiting to be written, over every
// open connection. It visits each connection (one short lock each), so it
// is for a metrics scrape, not for a hot path.
func (s *Server) QueuedBytes() int {
	n := 0
	s.each(func(c *Conn) { n += c.QueuedBytes() })
	return n
}
