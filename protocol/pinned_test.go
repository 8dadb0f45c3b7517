package protocol

// Values observed when the streams were fixed (see TestSeedsPinned).
const pinnedBaseSeed = 0xdf4ff2e5a1543813

var pinnedSample = []int{9, 6, 3, 2, 5}
