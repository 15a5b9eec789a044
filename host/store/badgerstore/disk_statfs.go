//go:build linux || darwin || freebsd || dragonfly

package badgerstore

import "golang.org/x/sys/unix"

// statfsFree is the default Options.FreeSpace: the bytes available to an
// unprivileged user (f_bavail), so that root's reserved blocks are not
// counted as free.
func statfsFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
