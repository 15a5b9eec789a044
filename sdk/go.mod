module github.com/relayd/relayd/sdk

go 1.24.0
