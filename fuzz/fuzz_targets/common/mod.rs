//! Shared by the fuzz targets: a counting global allocator, so that each target asserts a
//! bound on the memory one input makes the decoders use, not only the absence of panics.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use imps_csp::Limits;

/// The system allocator, counting the bytes in use and their peak.
pub struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(by: usize) {
    let now = IN_USE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrink(by: usize) {
    IN_USE.fetch_sub(by, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Old and new block both exist during the copy.
            grow(new_size);
            shrink(layout.size());
        }
        p
    }
}

/// The limits the targets decode with: the server's, for its default 256 KiB body limit.
pub fn limits() -> Limits {
    Limits::for_body(256 << 10)
}

/// Starts measuring: the peak from now on is counted from the bytes in use now.
pub fn start() -> usize {
    let now = IN_USE.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

/// Bytes allocated above `base` at the peak since [`start`].
pub fn peak_above(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

/// The memory one input of `len` bytes may take while it is decoded `decodes` times (and
/// encoded as often): `decodes × (4 × decoded budget + 64 × len) + 256 KiB`. Text is at most
/// the decoded budget, held at most twice at once (a string and its doubled buffer while it
/// grows); 64 bytes per input byte covers the model structs an element becomes; 256 KiB the
/// fixed costs (token tables, quick-xml's buffers, formatting of errors).
pub fn bound(len: usize, decodes: usize) -> usize {
    let budget = limits().decoded_budget(len);
    decodes * (4 * budget + 64 * len) + (256 << 10)
}

/// Panics when the peak since [`start`] is above [`bound`].
pub fn check(base: usize, len: usize, decodes: usize, what: &str) {
    let peak = peak_above(base);
    let bound = bound(len, decodes);
    assert!(
        peak <= bound,
        "{what}: {peak} bytes allocated at the peak for {len} bytes of input (bound {bound})"
    );
}
