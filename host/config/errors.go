package config

import "errors"

// ErrTrustProxy refuses the removed trust_proxy setting, from a config
// file or a flag. It believed the leftmost X-Forwarded-For entry, which
// the client writes, so every address-based limit and ban could be
// bypassed through a proxy.
var ErrTrustProxy = errors.New("trust_proxy was removed: it let clients choose their own address through a proxy; " +
	"delete it and list the addresses of your reverse proxies in trusted_proxies instead " +
	"(trusted_proxies = [\"127.0.0.1\"] for a proxy on the same machine)")
