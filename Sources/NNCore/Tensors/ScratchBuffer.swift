// ScratchBuffer.swift: memory a layer reuses from one batch to the next (a convolution's patch matrices),
// so a training step neither allocates nor zero-fills it. Contents are undefined after `pointer(count:)`:
// the caller overwrites what it reads.

/// A growable block of uninitialised `Scalar`s owned by one layer (never shared between threads' layers).
final class ScratchBuffer<Scalar: NNFloat> {
    private var base: UnsafeMutablePointer<Scalar>? = nil
    private var capacity = 0

    init() {}

    /// At least `count` values (the same block as last time when it is large enough).
    func pointer(count: Int) -> UnsafeMutablePointer<Scalar> {
        if count > capacity || base == nil {
            base?.deallocate()
            capacity = max(count, 1)
            base = UnsafeMutablePointer<Scalar>.allocate(capacity: capacity)
        }
        return base!
    }

    deinit { base?.deallocate() }
}
