// The runtime hooks AssemblyScript otherwise imports from module "env",
// which relayd does not provide (a plugin may import only relayd_v1 and
// wasi_snapshot_preview1). asconfig.json aliases them: --use abort=relayd_abort
// (and seed, trace). This directory is a --lib path, so these are globals.

@external("relayd_v1", "log")
declare function relayd_rt_log(level: i32, ptr: usize, len: i32): void;

@external("relayd_v1", "now")
declare function relayd_rt_now(): i64;

function relayd_rt_write(level: i32, s: string): void {
  const b = String.UTF8.encode(s, false);
  relayd_rt_log(level, changetype<usize>(b), min(b.byteLength, 4096));
}

/**
 * relayd_abort replaces AssemblyScript's abort (a failed assertion, a
 * thrown error, an index out of range): it logs the message and where at
 * error level, then traps. The relay counts a plugin error for the call,
 * answers with the plugin's on_error setting and replaces the instance.
 */
export function relayd_abort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  let s = "abort: ";
  if (message !== null) s += message;
  if (fileName !== null) s += " (" + fileName + ":" + line.toString() + ":" + column.toString() + ")";
  relayd_rt_write(3, s);
  unreachable();
}

/** relayd_trace replaces trace(): a debug line with the message and its values. */
export function relayd_trace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  let s = "trace: " + message;
  if (n > 0) s += " " + a0.toString();
  if (n > 1) s += " " + a1.toString();
  if (n > 2) s += " " + a2.toString();
  if (n > 3) s += " " + a3.toString();
  if (n > 4) s += " " + a4.toString();
  relayd_rt_write(0, s);
}

/** relayd_seed seeds Math.random from the relay's clock (not for secrets). */
export function relayd_seed(): f64 {
  return <f64>relayd_rt_now();
}
