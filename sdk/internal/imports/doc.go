// Package imports declares the relayd_v1 host functions for the guest SDK.
//
// Under GOOS=wasip1 the functions are //go:wasmimport declarations wrapped
// to take Go slices and strings. On every other GOOS they forward to a Host
// set with SetHost, so that package sdk builds natively and package sdktest
// can run a policy in-process; without a Host they report ErrUnavailable.
// Both builds have the same Go signatures.
package imports
