//go:build linux && !relayd_portable

package wsconn

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// poller is a level-triggered, one-shot epoll set. Each registered socket
// carries its connection id (not its fd) as event data, so an event that
// arrives after a connection closed and its fd number was reused cannot be
// delivered to the wrong connection.
type poller struct {
	epfd   int
	wakefd int // eventfd that interrupts wait on close
}

const pollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("wsconn: epoll_create1: %w", err)
	}
	wfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("wsconn: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setData(&ev, 0)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wfd)
		return nil, fmt.Errorf("wsconn: epoll_ctl wake: %w", err)
	}
	return &poller{epfd: epfd, wakefd: wfd}, nil
}

func setData(ev *unix.EpollEvent, id uint64) {
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
}

func getData(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// add registers fd, armed for one read event.
func (p *poller) add(fd int, id uint64) error {
	ev := unix.EpollEvent{Events: pollEvents}
	setData(&ev, id)
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// rearm re-enables the one-shot read event for fd.
func (p *poller) rearm(fd int, id uint64) error {
	ev := unix.EpollEvent{Events: pollEvents}
	setData(&ev, id)
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
}

// wait blocks until events arrive and calls fn with each connection id. It
// returns when close was called.
func (p *poller) wait(fn func(id uint64)) error {
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return fmt.Errorf("wsconn: epoll_wait: %w", err)
		}
		for i := 0; i < n; i++ {
			id := getData(&events[i])
			if id == 0 {
				return nil // woken by close
			}
			fn(id)
		}
	}
}

// close wakes wait and releases the epoll set.
func (p *poller) close() {
	var one = [8]byte{1}
	unix.Write(p.wakefd, one[:])
}

// release frees the file descriptors once wait has returned.
func (p *poller) release() {
	unix.Close(p.epfd)
	unix.Close(p.wakefd)
}
