package server

import (
	"io"
	"log/slog"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/store/badgerstore"
)

// Restore makes cfg's store from a backup (badgerstore.Store.Backup, as
// `relayd backup` writes it), with the options the relay opens it with.
// The store directory must be new; see badgerstore.Restore.
func Restore(cfg config.Config, log *slog.Logger, r io.Reader) error {
	return badgerstore.Restore(storeDir(cfg), storeOptions(cfg, log), r)
}
