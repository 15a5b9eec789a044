package badgerstore

import "golang.org/x/sys/windows"

// statfsFree is the default Options.FreeSpace: the bytes available to the
// caller on the volume holding dir (GetDiskFreeSpaceEx's
// FreeBytesAvailableToCaller, which honours disk quotas, as f_bavail leaves
// out root's reserved blocks).
func statfsFree(dir string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	return avail, nil
}
