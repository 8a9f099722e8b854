//! The one way the tray runs a future of the library off the UI thread and
//! the sync loop: on a blocking thread of its own, with a current-thread
//! runtime. The engine's futures hold the SQLite connection across awaits,
//! so they are not `Send` (the CLI runs them the same way), and sign-ins
//! wait minutes for the user, which must block neither the window nor the
//! scheduler.

use orosync::app::AppError;
use std::future::Future;

/// Run the future `f` makes on a thread of its own and wait for it.
/// `what` names the job in the two errors of the thread itself ("cannot
/// start {what}", "{what} stopped unexpectedly"); the job's own errors
/// come back as they are.
pub async fn on_own_thread<T, F, Fut>(what: &'static str, f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, AppError>>,
{
    tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AppError::Io(format!("cannot start {what}: {e}")))?;
        rt.block_on(f())
    })
    .await
    .map_err(|e| AppError::Io(format!("{what} stopped unexpectedly: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future that is not `Send` (it holds an `Rc` across an await, as
    /// the engine's hold a SQLite connection) runs, and its answer and its
    /// error come back unchanged.
    #[test]
    fn a_non_send_future_runs_and_its_result_comes_back_as_it_is() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let ok = rt.block_on(on_own_thread("the test", || async {
            let held = std::rc::Rc::new(41);
            tokio::task::yield_now().await;
            Ok(*held + 1)
        }));
        assert_eq!(ok.unwrap(), 42);
        let err = rt.block_on(on_own_thread("the test", || async {
            Err::<(), _>(AppError::Usage("no profile".into()))
        }));
        assert!(matches!(err, Err(AppError::Usage(m)) if m == "no profile"));
    }

    /// A job that panics is an error naming the job, not a panic of the
    /// caller (the UI thread, or the sync loop).
    #[test]
    fn a_job_that_panics_is_an_error_naming_it() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let err = rt
            .block_on(on_own_thread("the check", || async {
                if true {
                    panic!("boom");
                }
                Ok(())
            }))
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the check stopped unexpectedly"),
            "{err}"
        );
    }
}
