package wasmhost

// mapNoReserve is 0: FreeBSD has no MAP_NORESERVE; it charges swap to a
// private mapping for its writable pages, so a PROT_NONE reservation is
// address space only until commitMemory makes it writable.
const mapNoReserve = 0
