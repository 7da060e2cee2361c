//! The panic boundary's hook: a panic the library catches prints nothing, and every other
//! panic still reaches the hook the host had installed. One test in a binary of its own,
//! because the panic hook is process-wide.

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tasker_batch::operations::{catch_panic, catching, panic_text};
use tasker_batch::ErrorCode;

#[test]
fn caught_panics_are_quiet_and_the_hosts_hook_still_sees_the_others() {
    // The host's hook, installed before the library's first call.
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    panic::set_hook(Box::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    }));

    // Caught by the library: reported as text, never shown to the host's hook.
    assert_eq!(
        catch_panic(|| -> () { panic!("boom") }),
        Err("boom".to_owned())
    );
    let n = 7;
    assert_eq!(
        catch_panic(|| -> () { panic!("formatted {n}") }),
        Err("formatted 7".to_owned())
    );
    assert_eq!(catch_panic(|| 42), Ok(42));
    let error = catching("partition", || -> tasker_batch::Result<()> {
        panic!("deep")
    })
    .unwrap_err();
    assert_eq!(error.code, ErrorCode::Internal);
    assert_eq!(error.message, "internal error in partition: deep");
    // Nested boundaries, and a panic after the inner one returned.
    assert_eq!(
        catch_panic(|| {
            let inner = catch_panic(|| -> () { panic!("inner") });
            assert_eq!(inner, Err("inner".to_owned()));
            panic!("outer")
        }),
        Err::<(), _>("outer".to_owned())
    );
    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "a caught panic reached the host's hook"
    );

    // The host's own panics, outside any library call, still reach its hook: on this thread
    // once the library's calls have returned, and on another thread.
    let outside = panic::catch_unwind(|| panic!("the host's"));
    assert_eq!(panic_text(outside.unwrap_err().as_ref()), "the host's");
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let other = std::thread::spawn(|| panic!("another thread")).join();
    assert!(other.is_err());
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    // A library call on another thread is quiet there too.
    let quiet = std::thread::spawn(|| catch_panic(|| -> () { panic!("there") }))
        .join()
        .unwrap();
    assert_eq!(quiet, Err("there".to_owned()));
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    // A payload that is not text.
    assert_eq!(
        catch_panic(|| panic::panic_any(5_u8)),
        Err::<(), _>("a panic without a message".to_owned())
    );
}
