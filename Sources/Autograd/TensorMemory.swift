import CAutogradKernels

/// The memory that tensors leave behind when they are freed, and how to give it back.
///
/// Freed buffers of 16 KiB and more go to a cache, by size class, so that the next tensor of the
/// same size reuses one without a fresh allocation and its page faults (the speed of training
/// loops rests on it). The cache holds at most `cacheLimit` bytes. A program that has finished a
/// phase of heavy work (training, before a long evaluation or a pause) can call `emptyCache()`,
/// as PyTorch users call `torch.cuda.empty_cache()` and MLX users `mx.clear_cache()`.
///
/// Graph nodes that a backward pass freed wait, per thread, for the next graph's ops (at most
/// 2^18 of them, 46 MB). Graphs of 500,000 nodes and more hand their memory back to the system
/// when freed, without being asked.
public enum TensorMemory {
  /// The bytes held by cached buffers now.
  public static var cachedBytes: Int { BufferCache.cachedBytes }

  /// The most bytes the cache keeps: 512 MiB unless set. Lowering it frees what no longer fits at
  /// once; 0 turns caching off, so that every buffer is freed as its tensor is.
  public static var cacheLimit: Int {
    get { BufferCache.limit }
    set { BufferCache.limit = newValue }
  }

  /// Frees every cached buffer and the calling thread's waiting graph nodes, and asks the
  /// allocator to return its free pages to the system, so that the process's resident memory
  /// falls to what live tensors use.
  public static func emptyCache() {
    BufferCache.empty()
    NodePool.releaseAll()
    ag_return_free_memory()
  }
}
