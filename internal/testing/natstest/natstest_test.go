package natstest

import (
	"testing"
)

func TestStartCluster(t *testing.T) {
	c := StartCluster(t, 3)
	c.Servers[1].Stop()
	c.WaitReady()
	c.Servers[1].Restart()
	c.WaitReady()
	t.Log(c.URLs())
}
