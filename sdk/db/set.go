package db

// Set is the keys under one prefix seen as a set of members (the keys
// without the prefix), each with an optional value: banned pubkeys with a
// reason, allowed kinds, event ids seen. Give each set its own prefix,
// ending with a separator so that no prefix is the start of another
// ("ban/" and "banip/", not "ban" and "banip").
//
// A Set is a value; the members live in the plugin's durable state, so
// every instance and every later run of the plugin sees them.
type Set struct{ prefix string }

// NewSet returns the set of the keys under prefix.
func NewSet(prefix string) Set { return Set{prefix: prefix} }

// Prefix returns the set's prefix.
func (s Set) Prefix() string { return s.prefix }

// Add adds member with an empty value if it is absent, and reports whether
// it added it (false: it was there already, and keeps its value).
func (s Set) Add(member string) (bool, error) { return PutNew(s.prefix+member, nil) }

// Put adds member, or replaces its value, with a copy of val.
func (s Set) Put(member string, val []byte) error { return Put(s.prefix+member, val) }

// Has reports whether member is in the set.
func (s Set) Has(member string) (bool, error) { return Has(s.prefix + member) }

// Get returns a copy of member's value; ok is false if it is not in the
// set.
func (s Set) Get(member string) (val []byte, ok bool, err error) { return Get(s.prefix + member) }

// Remove removes member and reports whether it was in the set.
func (s Set) Remove(member string) (bool, error) { return Delete(s.prefix + member) }

// Each calls fn with each member and its value, in ascending byte order,
// until fn returns false. val is valid only during fn.
func (s Set) Each(fn func(member string, val []byte) bool) error {
	return Scan(s.prefix, func(k string, v []byte) bool { return fn(k[len(s.prefix):], v) })
}

// Members returns every member, in ascending byte order.
func (s Set) Members() ([]string, error) {
	var out []string
	err := ScanKeys(s.prefix, func(k string) bool {
		out = append(out, k[len(s.prefix):])
		return true
	})
	return out, err
}
